"""``submit``, ``jobs`` and ``sources`` as a user runs them: separate processes, a real
Celery worker, real Redis and PostgreSQL, and the deterministic test backend."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from parser_service.db import Job, StoredRecord
from tests.conftest import INVOICE_EXAMPLES
from tests.service import conftest as service_fixtures
from tests.service.conftest import REDIS, ROOT, settings_env, wait_for

# The service fixtures (a fresh PostgreSQL database, a unique queue, real workers).
_postgres_admin = service_fixtures._postgres_admin
pg_url = service_fixtures.pg_url
redis_url = service_fixtures.redis_url
queue_name = service_fixtures.queue_name
service_settings = service_fixtures.service_settings
service = service_fixtures.service
worker = service_fixtures.worker

OYO = INVOICE_EXAMPLES / "oyo.pdf"
AWS = INVOICE_EXAMPLES / "AmazonWebServices.pdf"


def cli(settings, *args: str, env: dict[str, str] | None = None, timeout: float = 180):
    """``parser-service ARGS`` in a child process configured with ``settings``."""
    child_env = {**os.environ, **(settings_env(settings) if settings else {}), **(env or {})}
    return subprocess.run([sys.executable, "-m", "parser_service.cli", *args], cwd=ROOT, env=child_env,
                          capture_output=True, text=True, timeout=timeout)


def test_submit_waits_for_a_worker_shows_progress_and_jobs_lists_it(service, service_settings, worker, tmp_path):
    worker(service_settings).wait_ready()
    done = cli(service_settings, "submit", str(OYO), str(AWS), "--domain", "invoices")
    assert done.returncode == 0, done.stderr

    entries = json.loads(done.stdout)
    assert [Path(e["file"]).name for e in entries] == ["oyo.pdf", "AmazonWebServices.pdf"]
    assert {e["status"] for e in entries} == {"succeeded"}
    assert all(e["records_done"] == e["records_total"] == 1 for e in entries)
    assert "oyo.pdf: pending" in done.stderr or "oyo.pdf: running" in done.stderr
    assert "oyo.pdf: succeeded, records 1/1" in done.stderr
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredRecord)) == 2

    listed = cli(service_settings, "jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {row["id"] for row in json.loads(listed.stdout)} == {e["job_id"] for e in entries}
    assert json.loads(cli(service_settings, "jobs", "list", "--status", "failed", "--json").stdout) == []
    table = cli(service_settings, "jobs").stdout
    assert "oyo.pdf" in table and "succeeded" in table

    job_id = entries[0]["job_id"]
    status = cli(service_settings, "jobs", "status", job_id[:8], "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["id"] == job_id and shown["status"] == "succeeded" and shown["filename"] == "oyo.pdf"
    assert sum(shown["records_by_status"].values()) == 1
    missing = cli(service_settings, "jobs", "status", "no-such-job")
    assert missing.returncode == 2 and "no job with an id starting with 'no-such-job'" in missing.stderr


def test_submit_goes_on_past_a_bad_file_and_exits_non_zero(service, service_settings, worker, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(range(256)) * 8)
    worker(service_settings).wait_ready()
    done = cli(service_settings, "submit", str(broken), str(tmp_path / "missing.pdf"), str(OYO), "--domain",
               "invoices")
    assert done.returncode == 1
    assert "broken.pdf: unsupported file type" in done.stderr and "missing.pdf" in done.stderr
    entries = {Path(e["file"]).name: e for e in json.loads(done.stdout)}
    assert entries["broken.pdf"]["status"] == "failed" and entries["broken.pdf"]["job_id"] is None
    assert entries["oyo.pdf"]["status"] == "succeeded"

    unknown = cli(service_settings, "submit", str(OYO), "--domain", "no-such-plugin")
    assert unknown.returncode == 3 and "unknown domain 'no-such-plugin'" in unknown.stderr


def test_submit_without_waiting_leaves_the_job_on_the_queue(service, service_settings, worker):
    done = cli(service_settings, "submit", str(OYO), "--domain", "invoices", "--no-wait")
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)
    assert entry["status"] == "pending" and not entry["duplicate"]

    worker(service_settings).wait_ready()  # no beat, no reconciler: only the queued message runs it

    def finished() -> str | None:
        with service.db.session() as session:
            job = session.get(Job, entry["job_id"])
            return job.status if job is not None and job.status in ("succeeded", "failed") else None

    assert wait_for(finished, 60, what="the queued job to finish") == "succeeded"
    again = cli(service_settings, "submit", str(OYO), "--domain", "invoices")  # the same bytes: no new job
    assert again.returncode == 0, again.stderr
    (duplicate,) = json.loads(again.stdout)
    assert duplicate["duplicate"] and duplicate["job_id"] == entry["job_id"]


def test_sources_are_added_listed_scanned_and_removed(service, service_settings, tmp_path):
    inbox, done_dir = tmp_path / "inbox", tmp_path / "done"
    inbox.mkdir()
    added = cli(service_settings, "sources", "add", "scans", str(inbox), "--pattern", "*.pdf", "--domain", "invoices",
                "--interval", "30", "--move-to", str(done_dir))
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["interval_s"] == 30
    listed = json.loads(cli(service_settings, "sources", "list", "--json").stdout)
    assert [(s["name"], s["pattern"], s["domain"]) for s in listed] == [("scans", "*.pdf", "invoices")]
    assert "scans" in cli(service_settings, "sources", "list").stdout

    shutil.copy(OYO, inbox / "oyo.pdf")
    (inbox / "oyo.pdf.ready").touch()
    scanned = cli(service_settings, "sources", "scan", "scans")
    assert scanned.returncode == 0, scanned.stderr
    (report,) = json.loads(scanned.stdout)
    assert report["ingested"] == ["oyo.pdf"] and len(report["jobs"]) == 1
    assert (done_dir / "oyo.pdf").exists() and not (inbox / "oyo.pdf").exists()
    with service.db.session() as session:
        job = session.get(Job, report["jobs"][0])
        assert job is not None and job.task_id  # sent to the queue
    duplicate = cli(service_settings, "sources", "add", "scans", str(inbox))
    assert duplicate.returncode == 3 and "already exists" in duplicate.stderr

    assert cli(service_settings, "sources", "remove", "scans").returncode == 0
    assert json.loads(cli(service_settings, "sources", "list", "--json").stdout) == []
    gone = cli(service_settings, "sources", "scan", "scans")
    assert gone.returncode == 3 and "no source named 'scans'" in gone.stderr


def test_unreachable_redis_and_database_are_one_line_errors(tmp_path):
    env = {"PARSER_SERVICE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0",
           "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"}
    for command in (["submit", str(OYO)], ["worker"], ["beat"], ["sources", "scan"]):
        done = cli(None, *command, env=env, timeout=60)
        assert done.returncode == 3, (command, done.stderr)
        assert "cannot reach Redis at redis://127.0.0.1:1/0" in done.stderr and "REDIS_URL" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    for command in (["jobs"], ["sources", "list"]):
        done = cli(None, *command, env=env, timeout=60)
        assert done.returncode == 3, (command, done.stderr)
        assert "cannot use the database at postgresql+psycopg://postgres@127.0.0.1:1/nowhere" in done.stderr
        assert "DATABASE_URL" in done.stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_a_refused_database_is_one_line_with_the_url_and_no_password(tmp_path):
    """Every command that opens the database, the API and key commands included, says which
    database (its password hidden) and why, in one line, and exits 3."""
    port = closed_port()
    env = {"PARSER_SERVICE_DATA_DIR": str(tmp_path), "REDIS_URL": REDIS,
           "DATABASE_URL": f"postgresql+psycopg://parser:s3cret-pw@127.0.0.1:{port}/parser"}
    for command in (["keys", "create", "me"], ["keys", "list"], ["keys", "revoke", "x"], ["api", "--port", "1"],
                    ["jobs"], ["jobs", "status", "abc"], ["sources", "list"], ["worker"], ["beat"],
                    ["submit", str(OYO)], ["sources", "scan"]):
        done = cli(None, *command, env=env, timeout=60)
        assert done.returncode == 3, (command, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (command, done.stderr)
        assert lines[0].startswith(f"parser-service: error: cannot use the database at "
                                   f"postgresql+psycopg://parser:***@127.0.0.1:{port}/parser (")
        assert "Connection refused" in lines[0] and "DATABASE_URL" in lines[0]
        assert "s3cret-pw" not in done.stderr + done.stdout


def test_a_worker_started_with_another_data_folder_is_refused(service, service_settings, tmp_path):
    """A relative PARSER_SERVICE_DATA_DIR is resolved in the directory a process starts in: a
    worker started elsewhere gets another blob folder, and is refused before it takes a job."""
    with OYO.open("rb") as handle:
        service.submit(handle, OYO.name, "invoices")  # the store is set up in the API's folder
    stray = tmp_path / "stray"
    stray.mkdir()
    env = {"PARSER_SERVICE_DATA_DIR": "parser-service-data"}  # relative, in another directory
    done = subprocess.run([sys.executable, "-m", "parser_service.cli", "worker"], cwd=stray, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **settings_env(service_settings), **env})
    assert done.returncode == 3, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"the blob folder here is {stray / 'parser-service-data' / 'blobs'}" in line
    assert str(service_settings.blobs()) in line and "same absolute PARSER_SERVICE_DATA_DIR" in line
    api = subprocess.run([sys.executable, "-m", "parser_service.cli", "api", "--port", str(closed_port())],
                         cwd=stray, capture_output=True, text=True, timeout=60,
                         env={**os.environ, **settings_env(service_settings), **env})
    assert api.returncode == 3 and "the blob folder here is" in api.stderr, api.stderr


def test_jobs_escapes_control_characters_in_file_names(service, service_settings, tmp_path):
    """Issue 25: a file named with terminal escape codes was printed raw by ``jobs``, so a
    file name could rewrite what the terminal shows."""
    name = "evil\x1b[2J\x1b[31mRED\r\u202eftp.csv"
    source = tmp_path / "plain.csv"
    source.write_text("Date,Description,Amount\n2024-01-02,Shop,-3.50\n", encoding="utf-8")
    with source.open("rb") as stream:
        _, job, _ = service.submit(stream, name, "bank_transactions")
    table = cli(service_settings, "jobs")
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\r" not in table.stdout and "\u202e" not in table.stdout
    assert "evil\\x1b[2J\\x1b[31mRED\\x0d\\u202eftp.csv" in table.stdout
    status = cli(service_settings, "jobs", "status", job.id[:8]).stdout
    assert "\x1b" not in status and "evil\\x1b[2J" in status
    assert json.loads(cli(service_settings, "jobs", "--json").stdout)[0]["filename"] == name  # JSON keeps it, escaped

