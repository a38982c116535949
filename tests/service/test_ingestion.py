"""Watched folders: each new, complete file becomes one document and one job, exactly once.

Scans run in this process against a real PostgreSQL database (the ``service`` fixture);
the last test runs the real beat and worker processes, with the deterministic test
backend, and ends with records in PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from parser_service.db import IngestedFile, Job, JobStatus, StoredDocument, StoredRecord
from parser_service.domains import host as plugin_host
from parser_service.errors import ConfigError, UnknownDomainError
from parser_service.parsers.sniff import sha256_of
from parser_service.service import ingestion
from tests.conftest import INVOICE_EXAMPLES
from tests.service.conftest import ROOT, settings_env, wait_for

OYO = INVOICE_EXAMPLES / "oyo.pdf"
AWS = INVOICE_EXAMPLES / "AmazonWebServices.pdf"


class Queue(list[str]):
    """Stands in for the Celery queue where a test only checks what would be sent."""

    def __call__(self, job_id: str) -> None:
        self.append(job_id)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def scan(service, name: str, queue: Queue | None = None) -> ingestion.ScanReport:
    return ingestion.scan_source(service, name, enqueue=queue if queue is not None else Queue())


def count(service, model) -> int:
    with service.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def rows(service, name: str) -> dict[str, IngestedFile]:
    source = ingestion.get_source(service, name)
    return {row.path: row for row in ingestion.file_rows(service, source)}


def test_each_new_file_is_ingested_exactly_once_across_scans(service, inbox):
    ingestion.add_source(service, "in", inbox, pattern="*.pdf", domain="invoices")
    shutil.copy(OYO, inbox / "oyo.pdf")
    shutil.copy(AWS, inbox / "aws.pdf")
    queue = Queue()

    first = scan(service, "in", queue)
    assert sorted(first.waiting) == ["aws.pdf", "oyo.pdf"] and not first.ingested  # not yet known stable
    second = scan(service, "in", queue)
    assert sorted(second.ingested) == ["aws.pdf", "oyo.pdf"] and not second.errors
    for _ in range(3):
        again = scan(service, "in", queue)
        assert not (again.ingested or again.duplicates or again.waiting or again.errors)

    assert queue == second.jobs and len(set(queue)) == 2
    assert count(service, StoredDocument) == 2 and count(service, Job) == 2
    seen = rows(service, "in")
    assert {row.status for row in seen.values()} == {"ingested"}
    with service.db.session() as session:
        job = session.get(Job, seen["oyo.pdf"].job_id)
        assert job is not None and job.domain == "invoices" and job.status == JobStatus.pending
        assert job.document.sha256 == sha256_of(OYO) == seen["oyo.pdf"].sha256
    assert (inbox / "oyo.pdf").exists()  # no move_to: files stay where they are


def test_a_file_still_being_written_waits_until_its_size_is_stable(service, inbox):
    ingestion.add_source(service, "in", inbox, pattern="*.pdf", domain="invoices")
    data = OYO.read_bytes()
    target = inbox / "growing.pdf"
    target.write_bytes(data[: len(data) // 3])

    assert scan(service, "in").waiting == ["growing.pdf"]
    with target.open("ab") as handle:
        handle.write(data[len(data) // 3 : 2 * len(data) // 3])
    assert scan(service, "in").waiting == ["growing.pdf"]  # it grew since the last scan
    with target.open("ab") as handle:
        handle.write(data[2 * len(data) // 3 :])
    assert scan(service, "in").waiting == ["growing.pdf"]
    assert count(service, StoredDocument) == 0

    done = scan(service, "in")  # unchanged since the previous scan: complete
    assert done.ingested == ["growing.pdf"]
    with service.db.session() as session:
        (document,) = session.scalars(select(StoredDocument))
        assert document.size == len(data) and document.sha256 == sha256_of(OYO)


def test_a_file_touched_without_growing_still_waits(service, inbox):
    ingestion.add_source(service, "in", inbox, domain="invoices")
    target = inbox / "oyo.pdf"
    shutil.copy(OYO, target)
    scan(service, "in")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert scan(service, "in").waiting == ["oyo.pdf"]
    assert scan(service, "in").ingested == ["oyo.pdf"]


@pytest.mark.parametrize("suffix", [".ready", ".done"])
def test_a_marker_file_makes_a_file_ready_at_once(service, inbox, suffix):
    ingestion.add_source(service, "in", inbox, domain="invoices")
    shutil.copy(OYO, inbox / "oyo.pdf")
    (inbox / f"oyo.pdf{suffix}").write_text("")
    shutil.copy(AWS, inbox / "aws.pdf")  # no marker: waits for the next scan

    report = scan(service, "in")
    assert report.ingested == ["oyo.pdf"] and report.waiting == ["aws.pdf"]
    assert f"oyo.pdf{suffix}" not in rows(service, "in")  # a marker is never a document


def test_the_same_content_under_another_name_or_source_is_not_ingested_again(service, inbox, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    ingestion.add_source(service, "in", inbox, domain="invoices")
    ingestion.add_source(service, "other", other, domain="bank_transactions")
    shutil.copy(OYO, inbox / "oyo.pdf")
    (inbox / "oyo.pdf.ready").touch()
    first = scan(service, "in")
    assert first.ingested == ["oyo.pdf"]

    shutil.copy(OYO, inbox / "copy of oyo.pdf")
    shutil.copy(OYO, other / "renamed.pdf")
    for name in ("in", "other"):
        scan(service, name)
    assert scan(service, "in").duplicates == ["copy of oyo.pdf"]
    assert scan(service, "other").duplicates == ["renamed.pdf"]

    assert count(service, StoredDocument) == 1 and count(service, Job) == 1
    duplicate = rows(service, "other")["renamed.pdf"]
    assert duplicate.status == "duplicate" and duplicate.job_id == first.jobs[0]


def test_a_file_uploaded_before_is_a_duplicate_in_a_folder(service, inbox):
    with OYO.open("rb") as stream:
        document, job, created = service.submit(stream, "oyo.pdf", "invoices")
    assert created
    ingestion.add_source(service, "in", inbox, domain="bank_transactions")
    shutil.copy(OYO, inbox / "scan-0001.pdf")
    (inbox / "scan-0001.pdf.ready").touch()

    queue = Queue()
    report = scan(service, "in", queue)
    assert report.duplicates == ["scan-0001.pdf"] and not queue
    row = rows(service, "in")["scan-0001.pdf"]
    assert (row.document_id, row.job_id) == (document.id, job.id)
    assert count(service, Job) == 1


def test_processed_files_are_moved_without_overwriting(service, inbox, tmp_path):
    done = tmp_path / "processed"  # created by the first move
    ingestion.add_source(service, "in", inbox, domain="invoices", move_to=done)
    shutil.copy(OYO, inbox / "invoice.pdf")
    (inbox / "invoice.pdf.ready").touch()

    first = scan(service, "in")
    assert first.ingested == ["invoice.pdf"] and first.moved == {"invoice.pdf": str(done / "invoice.pdf")}
    assert not (inbox / "invoice.pdf").exists() and not (inbox / "invoice.pdf.ready").exists()
    assert (done / "invoice.pdf").read_bytes() == OYO.read_bytes()

    shutil.copy(AWS, inbox / "invoice.pdf")  # a new file under the same name
    assert scan(service, "in").waiting == ["invoice.pdf"]
    second = scan(service, "in")
    assert second.ingested == ["invoice.pdf"] and second.moved == {"invoice.pdf": str(done / "invoice-1.pdf")}
    assert (done / "invoice.pdf").read_bytes() == OYO.read_bytes()  # the first one is intact
    assert (done / "invoice-1.pdf").read_bytes() == AWS.read_bytes()
    assert count(service, Job) == 2 and list(inbox.iterdir()) == []


def test_a_failed_move_is_recorded_and_tried_again_without_a_second_job(service, inbox, tmp_path):
    blocker = tmp_path / "processed"
    blocker.write_text("a file where the folder should be")
    ingestion.add_source(service, "in", inbox, domain="invoices", move_to=blocker)
    shutil.copy(OYO, inbox / "oyo.pdf")
    (inbox / "oyo.pdf.ready").touch()

    first = scan(service, "in")
    assert first.ingested == ["oyo.pdf"] and "could not be moved" in first.errors["oyo.pdf"]
    assert rows(service, "in")["oyo.pdf"].status == "ingested" and (inbox / "oyo.pdf").exists()

    blocker.unlink()
    again = scan(service, "in")
    assert again.moved == {"oyo.pdf": str(blocker / "oyo.pdf")} and not again.ingested and not again.errors
    assert count(service, Job) == 1 and rows(service, "in")["oyo.pdf"].error is None


def test_a_file_over_the_size_limit_is_refused_without_storing_it(service, inbox):
    from parser_service.service.jobs import Service

    small = Service(service.settings.model_copy(update={"max_upload_mb": 0.001}), db=service.db)
    ingestion.add_source(small, "in", inbox, domain="invoices")
    shutil.copy(OYO, inbox / "oyo.pdf")
    (inbox / "oyo.pdf.ready").touch()
    report = scan(small, "in")
    assert "larger than the 0.001 MB limit" in report.errors["oyo.pdf"]
    assert rows(small, "in")["oyo.pdf"].status == "error" and count(small, StoredDocument) == 0


def test_a_file_that_cannot_be_read_is_recorded_and_the_scan_goes_on(service, inbox):
    ingestion.add_source(service, "in", inbox, domain="invoices")
    (inbox / "broken.pdf").write_bytes(bytes(range(256)) * 16)
    (inbox / "empty.pdf").write_bytes(b"")
    shutil.copy(OYO, inbox / "oyo.pdf")
    scan(service, "in")

    report = scan(service, "in")
    assert report.ingested == ["oyo.pdf"]
    assert "unsupported file type" in report.errors["broken.pdf"]
    assert "empty" in report.errors["empty.pdf"]
    seen = rows(service, "in")
    assert seen["broken.pdf"].status == "error" and "broken.pdf" in (seen["broken.pdf"].error or "")
    assert seen["broken.pdf"].document_id is None and count(service, Job) == 1

    assert not scan(service, "in").errors  # the same bytes are not tried again
    (inbox / "empty.pdf").write_text("Invoice 42\nTotal: 12.50 EUR\n")  # once fixed, it is taken
    scan(service, "in")
    assert scan(service, "in").ingested == ["empty.pdf"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_tried_again_next_scan(service, inbox):
    ingestion.add_source(service, "in", inbox, domain="invoices")
    target = inbox / "locked.pdf"
    shutil.copy(OYO, target)
    target.chmod(0)
    scan(service, "in")
    assert "cannot be read" in scan(service, "in").errors["locked.pdf"]
    assert rows(service, "in")["locked.pdf"].status == "seen"
    target.chmod(0o644)
    assert scan(service, "in").ingested == ["locked.pdf"]


def test_hidden_temporary_and_unmatched_files_are_left_alone(service, inbox):
    (inbox / "sub").mkdir()
    for name in (".hidden.pdf", "~$lock.pdf", "download.pdf.part", "copy.pdf.tmp", "notes.txt", "sub/deep.pdf"):
        shutil.copy(OYO, inbox / name)
    shutil.copy(AWS, inbox / "real.pdf")
    ingestion.add_source(service, "flat", inbox, pattern="*.pdf", domain="invoices")
    ingestion.add_source(service, "deep", inbox, pattern="**/*.pdf", domain="invoices")

    assert scan(service, "flat").waiting == ["real.pdf"]
    assert sorted(scan(service, "deep").waiting) == ["real.pdf", "sub/deep.pdf"]


def test_patterns_match_names_whatever_their_case(service, inbox):
    (inbox / "Sub").mkdir()
    names = ["umsatz.CSV", "konto.Csv", "plain.csv", "Sub/DEEP.CSV", "report.pdf", "UMSATZ.CSV.PART"]
    for i, name in enumerate(names):
        (inbox / name).write_text(f"Date,Amount\n2024-01-0{i + 1},-1.00\n", encoding="utf-8")
    ingestion.add_source(service, "flat", inbox, pattern="*.csv", domain="bank_transactions")
    ingestion.add_source(service, "deep", inbox, pattern="**/*.csv", domain="bank_transactions")
    ingestion.add_source(service, "sets", inbox, pattern="[k-p]*.CSV", domain="bank_transactions")

    assert sorted(scan(service, "flat").waiting) == ["konto.Csv", "plain.csv", "umsatz.CSV"]
    assert sorted(scan(service, "deep").waiting) == ["Sub/DEEP.CSV", "konto.Csv", "plain.csv", "umsatz.CSV"]
    assert sorted(scan(service, "sets").waiting) == ["konto.Csv", "plain.csv"]
    assert sorted(scan(service, "flat").ingested) == ["konto.Csv", "plain.csv", "umsatz.CSV"]


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*.pdf", ["a.PDF", "b.pdf", "c.pDf"], ["d.pdfx", "e.txt"]),
        ("[!a]*.txt", ["B.TXT", "c.txt"], ["a.txt", "A.TXT"]),
        ("x[ab", ["X[AB", "x[ab"], ["xa", "xb"]),
        ("straße-?.csv", ["STRAßE-1.CSV", "straße-2.csv"], ["strasse-1.csv"]),
    ],
)
def test_case_insensitive_patterns_keep_their_meaning(tmp_path, pattern, matches, misses):
    for name in matches + misses:
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert sorted(path.name for path in ingestion.found_files(tmp_path, pattern)) == sorted(matches)


def test_sources_are_scanned_when_their_interval_has_elapsed(service, inbox, tmp_path):
    (tmp_path / "off").mkdir()
    ingestion.add_source(service, "every-minute", inbox, interval_s=60)
    ingestion.add_source(service, "off", tmp_path / "off", interval_s=1, enabled=False)
    now = datetime.now(UTC)

    assert [r.source for r in ingestion.scan_due(service, now=now)] == ["every-minute"]
    assert ingestion.scan_due(service, now=now + timedelta(seconds=30)) == []
    assert [r.source for r in ingestion.scan_due(service, now=now + timedelta(seconds=61))] == ["every-minute"]


def test_sources_are_added_listed_and_removed_with_clear_errors(service, inbox, tmp_path):
    source = ingestion.add_source(service, "in", inbox, pattern="*.csv", domain="bank_transactions",
                                  interval_s=30, move_to=tmp_path / "done")
    assert source.path == str(inbox.resolve()) and source.move_to == str((tmp_path / "done").resolve())
    with pytest.raises(ConfigError, match="already exists"):
        ingestion.add_source(service, "in", inbox)
    with pytest.raises(ConfigError, match="not a folder"):
        ingestion.add_source(service, "missing", tmp_path / "nowhere")
    with pytest.raises(UnknownDomainError, match="invoices"):
        ingestion.add_source(service, "bad-plugin", inbox, domain="no-such-plugin")
    with pytest.raises(ConfigError, match="interval"):
        ingestion.add_source(service, "fast", inbox, interval_s=0)
    assert [s.name for s in ingestion.list_sources(service)] == ["in"]

    shutil.copy(OYO, inbox / "x.csv")
    scan(service, "in")
    ingestion.remove_source(service, "in")
    assert ingestion.list_sources(service) == [] and count(service, IngestedFile) == 0
    with pytest.raises(ConfigError, match="no source named"):
        ingestion.remove_source(service, "in")


def test_beat_and_a_worker_turn_dropped_files_into_records(service, service_settings, inbox, worker, tmp_path):
    """Real processes: ``parser-service beat`` sends the scans, a Celery worker runs them
    and the jobs they create; the records end up in PostgreSQL."""
    settings = service_settings.model_copy(update={"scan_every_s": 1})
    ingestion.add_source(service, "in", inbox, pattern="*.pdf", domain="invoices", interval_s=1)
    started = worker(settings).wait_ready()
    log = tmp_path / "beat.log"
    env = {**os.environ, **settings_env(settings)}
    with log.open("wb") as sink:
        beat = subprocess.Popen([sys.executable, "-m", "parser_service.cli", "beat"], cwd=ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        shutil.copy(OYO, inbox / "oyo.pdf")
        shutil.copy(AWS, inbox / "aws.pdf")

        def finished() -> list[Job]:
            with service.db.session() as session:
                jobs = list(session.scalars(select(Job).where(Job.status.in_(["succeeded", "failed"]))))
            return jobs if len(jobs) == 2 else []

        try:
            jobs = wait_for(finished, 120, what="two ingested jobs to finish")
        except pytest.fail.Exception:
            pytest.fail(f"no records in time\nbeat:\n{log.read_text()[-4000:]}\nworker:\n{started.output()}")
    finally:
        os.killpg(beat.pid, 15)
        beat.wait(timeout=30)
    assert {job.status for job in jobs} == {"succeeded"}
    assert {row.status for row in rows(service, "in").values()} == {"ingested"}
    assert count(service, StoredRecord) >= 2 and count(service, StoredDocument) == 2


def test_links_out_of_a_watched_folder_are_never_followed(service, inbox, tmp_path):
    """Issue 25: a symlink in a watched folder was followed, so a source read (and stored,
    and moved) files from anywhere the worker could read."""
    secret = tmp_path / "secret"
    secret.mkdir()
    shutil.copy(OYO, secret / "private.pdf")
    (inbox / "leak.pdf").symlink_to(secret / "private.pdf")
    (inbox / "sub").symlink_to(secret, target_is_directory=True)
    (inbox / "dangling.pdf").symlink_to(tmp_path / "nowhere.pdf")
    shutil.copy(AWS, inbox / "real.pdf")
    (inbox / "inside.pdf").symlink_to(inbox / "real.pdf")  # a link within the folder is fine
    for name in ("leak.pdf", "real.pdf", "inside.pdf", "sub/private.pdf", "dangling.pdf"):
        (inbox / f"{name}.ready").write_text("")
    ingestion.add_source(service, "in", inbox, pattern="**/*.pdf", domain="invoices")

    report = scan(service, "in")
    assert report.ingested == ["inside.pdf"] and report.duplicates == ["real.pdf"]  # the same bytes, once
    assert list(report.errors) == ["leak.pdf"]  # a linked folder is not walked, a dangling link is no file
    assert "a link out of the watched folder" in report.errors["leak.pdf"]
    assert count(service, StoredDocument) == 1



def test_a_service_builds_one_plugin_host_for_its_sources_and_jobs(service_settings, service, inbox, bank_csv, monkeypatch):
    """The plugin host is built once, at the edge (here, as a worker's service is built), and
    the source's plugin check, the job's parsers and its extraction all ask that one."""
    from parser_service.service.jobs import Service
    from tests.cli.test_cli_host import count_builds

    built = count_builds(monkeypatch)
    host = plugin_host.build_host()
    jobs = Service(service_settings, db=service.db, host=host)
    ingestion.add_source(jobs, "in", inbox, pattern="*.csv", domain="bank_transactions")
    with pytest.raises(UnknownDomainError):
        ingestion.add_source(jobs, "other", inbox, domain="no-such-domain")
    shutil.copy(bank_csv, inbox / "export.csv")
    queue = Queue()
    scan(jobs, "in", queue)
    assert scan(jobs, "in", queue).ingested == ["export.csv"]
    (job_id,) = queue
    assert jobs.run_job(job_id).status == JobStatus.succeeded
    assert jobs.pipeline.host is host and built == [1]
