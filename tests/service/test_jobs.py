"""``Service``: documents, jobs and ``run_job`` on a real PostgreSQL database, with the
deterministic test backend (no model)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from parser_service.backends.base import Generation, GenerationRequest
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.db import Job, JobStatus, ServiceInfo, StoredDocument, StoredRecord
from parser_service.errors import (
    ConfigError,
    FileTooLargeError,
    GenerationError,
    UnknownDomainError,
    UnsupportedFormatError,
)
from parser_service.pipeline.run import Pipeline
from parser_service.service.blobs import MARKER
from parser_service.service.jobs import Service
from parser_service.settings import Settings
from tests.conftest import INVOICE_EXAMPLES
from tests.service.conftest import concurrently, write_bank_csv

ROWS = 60


def submit(service: Service, path: Path, domain: str | None = "bank_transactions") -> Job:
    with path.open("rb") as handle:
        _, job, _ = service.submit(handle, path.name, domain)
    return job


def records_of(service: Service, job_id: str) -> list[StoredRecord]:
    with service.db.session() as session:
        return list(session.scalars(select(StoredRecord).where(StoredRecord.job_id == job_id).order_by(StoredRecord.index)))


def count(service: Service, model: type[Any]) -> int:
    with service.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


class FlakyBackend(DeterministicBackend):
    """Fails with a retryable error on one chosen call, like a model server that went away."""

    def __init__(self, settings: Settings, fail_on_call: int) -> None:
        super().__init__(settings)
        self.calls, self.fail_on_call = 0, fail_on_call

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise GenerationError("model server timed out", retryable=True)
        return super().generate(requests, logprobs=logprobs)


# --- documents and jobs ---------------------------------------------------------------------


def test_submit_stores_the_document_and_a_pending_job(service: Service, bank_csv: Path) -> None:
    with bank_csv.open("rb") as handle:
        document, job, new = service.submit(handle, "export.csv", "bank_transactions", {"note": "x"})
    assert new and job.status == JobStatus.pending and job.options == {"note": "x"}
    assert (document.media_type, document.size, document.filename) == ("text/csv", bank_csv.stat().st_size, "export.csv")
    assert service.store.local_path(document.blob).read_bytes() == bank_csv.read_bytes()


def test_a_duplicate_upload_returns_the_existing_job(service: Service, bank_csv: Path) -> None:
    first = submit(service, bank_csv)
    with bank_csv.open("rb") as handle:
        document, again, new = service.submit(handle, "renamed.csv", "bank_transactions")
    assert not new and again.id == first.id and document.id == first.document_id
    with bank_csv.open("rb") as handle:
        _, other, new = service.submit(handle, "renamed.csv", None)  # another plugin choice: a new job
    assert new and other.id != first.id
    assert (count(service, StoredDocument), count(service, Job)) == (1, 2)


def test_an_unknown_plugin_is_refused_before_anything_is_stored(service: Service, bank_csv: Path) -> None:
    with bank_csv.open("rb") as handle, pytest.raises(UnknownDomainError, match="bank_transactions"):
        service.submit(handle, bank_csv.name, "no_such_plugin")
    assert count(service, StoredDocument) == 0
    assert not service.settings.blobs().exists() or not any(service.settings.blobs().rglob("*"))


def test_an_unsupported_file_is_refused(service: Service) -> None:
    with pytest.raises(UnsupportedFormatError, match="junk.bin"):
        service.submit(io.BytesIO(bytes(range(256)) * 4), "junk.bin")
    assert count(service, StoredDocument) == 0


def test_an_upload_over_the_limit_is_refused(service_settings: Settings, service: Service) -> None:
    small = Service(service_settings.model_copy(update={"max_upload_mb": 0.001}), db=service.db)
    with pytest.raises(FileTooLargeError, match="big.csv"):
        small.add_document(io.BytesIO(b"a,b\n" * 1000), "big.csv")
    assert count(service, StoredDocument) == 0


# --- running jobs -----------------------------------------------------------------------------


def test_run_job_stores_every_record_and_the_job_facts(service: Service, bank_csv: Path) -> None:
    job = submit(service, bank_csv)
    service.store_every_s = 0  # commit every batch, to see the progress batch by batch
    seen: list[tuple[int, int]] = []
    done = service.run_job(job.id, progress=lambda d, t: seen.append((d, t)))

    assert done.status == JobStatus.succeeded, done.error
    assert (done.records_total, done.records_done, done.attempts) == (ROWS, ROWS, 1)
    assert seen == [(min(n, ROWS), ROWS) for n in range(4, ROWS + 1, 4)]  # batch by batch
    assert done.document_metadata and done.document_metadata["document_type"] == "bank_statement"
    assert done.plugin_version == "0.1.0" and "deterministic" in str(done.model_version)
    assert done.started_at and done.finished_at and done.started_at <= done.finished_at
    rows = records_of(service, job.id)
    assert [r.index for r in rows] == list(range(ROWS))
    assert rows[2].data and rows[2].data["payee"] == "Payment 2 to Shop 2" and rows[2].data["amount"] == -2.5
    assert all(r.status == "ok" and r.review is False for r in rows)


def test_the_total_starts_at_the_table_rows_and_ends_at_the_records_stored(service: Service, tmp_path: Path) -> None:
    """The bank splitter streams its records, so the job counts the table's rows first
    (the footer row among them) and sets the exact total when the last record is stored."""
    path = write_bank_csv(tmp_path / "with-footer.csv")
    path.write_text(path.read_text(encoding="utf-8") + "Total,,-1800.00,\n", encoding="utf-8")
    job = submit(service, path)
    service.store_every_s = 0
    seen: list[tuple[int, int]] = []
    done = service.run_job(job.id, progress=lambda d, t: seen.append((d, t)))
    assert done.status == JobStatus.succeeded, done.error
    assert (done.records_total, done.records_done) == (ROWS, ROWS)
    assert seen[0] == (4, ROWS + 1) and seen[-1][0] == ROWS
    assert [r.index for r in records_of(service, job.id)] == list(range(ROWS))


def test_storing_records_neither_counts_them_again_nor_commits_each_batch(service: Service, tmp_path: Path) -> None:
    """Issue 25: after every batch the job's records were counted (``SELECT count(*)``), so
    storing N records cost N²/16 row visits (100,000 rows: 339 s in the service, 14 s in
    the CLI). The job row keeps the count as records are stored, and fast batches are
    committed together."""
    from sqlalchemy import event

    rows = 400
    job = submit(service, write_bank_csv(tmp_path / "long.csv", rows=rows))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(service.db.engine, "before_cursor_execute", seen)
    try:
        seen_progress: list[tuple[int, int]] = []
        done = service.run_job(job.id, progress=lambda d, t: seen_progress.append((d, t)))
    finally:
        event.remove(service.db.engine, "before_cursor_execute", seen)
    assert done.status == JobStatus.succeeded and done.records_done == rows
    counts = [s for s in statements if "count(" in s and "from records" in s]
    inserts = [s for s in statements if s.startswith("insert into records")]
    assert len(counts) <= 1, counts  # the final check only, never one per batch
    assert len(inserts) < rows / 4 / 10, len(inserts)  # 100 batches of 4, committed a few times
    assert seen_progress[-1] == (rows, rows)


def test_records_done_counts_what_was_stored_after_a_resumed_and_a_concurrent_run(
    service_settings: Settings, service: Service, bank_csv: Path
) -> None:
    job = submit(service, bank_csv)
    service.store_every_s = 0
    with service.db.session() as session:  # a job left running by a dead worker, with a wrong counter
        session.execute(update(Job).where(Job.id == job.id).values(status=JobStatus.running, records_done=999))
    other = Service(service_settings, db=service.db)
    other.store_every_s = 0
    progress: list[int] = []
    assert concurrently(lambda: other.run_job(job.id, progress=lambda d, t: progress.append(d)), 2) == []
    assert service.job(job.id).records_done == ROWS == count(service, StoredRecord)
    assert max(progress) <= ROWS


def test_run_job_twice_stores_nothing_twice(service: Service, bank_csv: Path) -> None:
    job = submit(service, bank_csv)
    service.run_job(job.id)
    ids = {r.index: r.id for r in records_of(service, job.id)}
    again = service.run_job(job.id)  # finished: returned as it is
    assert again.attempts == 1 and count(service, StoredRecord) == ROWS

    # a worker died after some batches: reopen the job with only part of its records
    with service.db.session() as session:
        session.execute(delete(StoredRecord).where(StoredRecord.job_id == job.id, StoredRecord.index >= 30))
        session.execute(update(Job).where(Job.id == job.id).values(status=JobStatus.running, records_done=30))
    resumed = service.run_job(job.id)
    rows = records_of(service, job.id)
    assert resumed.status == JobStatus.succeeded and resumed.attempts == 2 and resumed.records_done == ROWS
    assert [r.index for r in rows] == list(range(ROWS))
    assert all(ids[r.index] == r.id for r in rows if r.index < 30)  # kept, not redone


def test_two_workers_on_one_job_store_each_record_once(service_settings: Settings, service: Service, bank_csv: Path) -> None:
    job = submit(service, bank_csv)
    assert concurrently(lambda: Service(service_settings, db=service.db).run_job(job.id), 2) == []
    assert [r.index for r in records_of(service, job.id)] == list(range(ROWS))
    assert service.job(job.id).status == JobStatus.succeeded


def test_a_corrupt_file_fails_the_job_with_its_reason(service: Service, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    job = submit(service, broken, domain=None)
    failed = service.run_job(job.id)
    assert failed.status == JobStatus.failed
    assert failed.error and failed.error.startswith("broken.pdf:")
    assert failed.finished_at is not None and count(service, StoredRecord) == 0


def test_a_missing_blob_keeps_the_job_pending_until_the_file_is_back(service: Service, bank_csv: Path) -> None:
    """Issue 25: a missing stored file is the deployment's fault (a wrong or emptied data
    folder), not the document's: the job waited for nothing, it failed; now it waits."""
    job = submit(service, bank_csv)
    blob = service.store.local_path(service.job_document(job).blob)
    kept = blob.read_bytes()
    blob.unlink()
    with pytest.raises(ConfigError) as waits:
        service.run_job(job.id)
    assert waits.value.retryable
    waiting = service.job(job.id)
    assert waiting.status == JobStatus.pending
    assert waiting.error == (
        f"will retry: bank-export.csv: the stored file is missing from the blob store at {service.settings.blobs()} "
        "(a wrong PARSER_SERVICE_DATA_DIR or PARSER_SERVICE_BLOB_DIR, or the file was removed); "
        "the job waits until it is there"
    )
    blob.write_bytes(kept)
    assert service.run_job(job.id).status == JobStatus.succeeded


def broken_plugin_service(service_settings: Settings, service: Service, name: str) -> Service:
    """A service whose plugin host has ``name`` installed but failed to load (as a plugin that
    raises on import leaves it), beside the plugins that did load."""
    from parser_service.domains.host import build_host

    host = build_host()
    if name in host.domains:
        del host.domains[name]
    host.broken[name] = "ModuleNotFoundError: No module named 'missing_dependency'"
    return Service(service_settings, db=service.db, pipeline=Pipeline(service_settings, host=host))


def test_a_broken_plugin_keeps_its_jobs_pending_and_fails_nobody_elses(
    service_settings: Settings, service: Service, bank_csv: Path, tmp_path: Path
) -> None:
    """Issue 25: a plugin that failed to import failed every job of the worker (build_host
    raised PluginError); now its own jobs wait and the others run."""
    broken = broken_plugin_service(service_settings, service, "invoices")
    theirs = submit(broken, INVOICE_EXAMPLES / "oyo.pdf", domain="invoices")  # accepted: it waits
    ours = submit(broken, bank_csv)
    by_type = submit(broken, write_bank_csv(tmp_path / "by-type.csv", rows=4), domain=None)

    assert broken.run_job(ours.id).status == JobStatus.succeeded  # bank_transactions loaded: it runs
    assert broken.run_job(by_type.id).status == JobStatus.succeeded  # a bank statement: its plugin is there
    with pytest.raises(ConfigError) as waits:
        broken.run_job(theirs.id)
    assert waits.value.retryable
    waiting = service.job(theirs.id)
    assert waiting.status == JobStatus.pending
    assert waiting.error == ("will retry: plugin 'invoices' is installed but failed to load (ModuleNotFoundError: "
                             "No module named 'missing_dependency'); its jobs wait until it is fixed")  # fmt: skip
    with pytest.raises(UnknownDomainError):
        broken.new_job(ours.document_id, "no-such-plugin")
    assert service.run_job(theirs.id).status == JobStatus.succeeded  # a worker with the plugin fixed runs it


def test_a_document_of_no_loaded_plugins_type_waits_while_a_plugin_is_broken(
    service_settings: Settings, service: Service, bank_csv: Path
) -> None:
    broken = broken_plugin_service(service_settings, service, "bank_transactions")
    job = submit(broken, bank_csv, domain=None)  # a bank statement, whose plugin is the broken one
    with pytest.raises(ConfigError, match=r"no loaded plugin reads '\w+' documents, and installed plugins failed to load \(bank_transactions\)"):
        broken.run_job(job.id)
    assert service.job(job.id).status == JobStatus.pending
    assert service.run_job(job.id).records_done == ROWS


def test_one_plugin_that_fails_to_import_leaves_the_others_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from parser_service.domains import host as plugin_host
    from parser_service.errors import PluginUnavailableError

    real = metadata.entry_points(group=plugin_host.ENTRY_POINT_GROUP)
    ghost = metadata.EntryPoint("ghost", "parser_service_no_such_module:plugin", plugin_host.ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugin_host.metadata, "entry_points", lambda group: [ghost, *real])
    host = plugin_host.build_host(plugin_host.new_manager())
    assert "bank_transactions" in host.domains and "invoices" in host.domains
    assert host.broken == {"ghost": "ModuleNotFoundError: No module named 'parser_service_no_such_module'"}
    host.require("ghost")  # installed: an upload naming it is taken, and waits
    with pytest.raises(PluginUnavailableError, match="plugin 'ghost' is installed but failed to load") as waits:
        host.domain("ghost")
    assert waits.value.retryable
    with pytest.raises(UnknownDomainError):
        host.require("nothing")


def test_a_retryable_error_raises_and_the_retry_finishes_the_job(
    service_settings: Settings, service: Service, bank_csv: Path
) -> None:
    job = submit(service, bank_csv)
    flaky = Pipeline(service_settings, backend=FlakyBackend(service_settings, fail_on_call=5))
    with pytest.raises(GenerationError):
        Service(service_settings, db=service.db, pipeline=flaky).run_job(job.id)
    stuck = service.job(job.id)
    assert stuck.status == JobStatus.pending and "will retry" in str(stuck.error)
    assert stuck.records_done == 12  # metadata + 3 batches stored before the 5th call failed

    done = service.run_job(job.id)
    assert done.status == JobStatus.succeeded and done.error is None and done.attempts == 2
    assert [r.index for r in records_of(service, job.id)] == list(range(ROWS))


def test_open_jobs_lists_stale_pending_and_running_jobs(service: Service, bank_csv: Path, tmp_path: Path) -> None:
    pending = submit(service, bank_csv)
    finished = submit(service, bank_csv, domain=None)
    service.run_job(finished.id)
    assert [j.id for j in service.open_jobs()] == [pending.id]
    assert service.open_jobs(older_than_s=3600) == []


def test_run_job_on_sqlite(sqlite_url: str, tmp_path: Path, bank_csv: Path) -> None:
    from parser_service.db.migrate import upgrade

    upgrade(sqlite_url)
    service = Service(Settings(backend="deterministic", batch_size=8, data_dir=tmp_path, DATABASE_URL=sqlite_url))
    job = submit(service, bank_csv)
    service.run_job(job.id)
    job = service.run_job(job.id)
    assert job.status == JobStatus.succeeded and count(service, StoredRecord) == ROWS
    service.db.dispose()


# --- the data folder and the blob store -------------------------------------------------------


def test_a_relative_data_folder_is_made_absolute_when_the_settings_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARSER_SERVICE_DATA_DIR", "state")
    monkeypatch.setenv("PARSER_SERVICE_BLOB_DIR", "~/blobs")
    settings = Settings()
    monkeypatch.chdir("/")  # a later chdir changes nothing
    assert settings.data_dir == tmp_path.resolve() / "state"
    assert settings.blobs() == Path.home() / "blobs"
    assert settings.database() == f"sqlite:///{tmp_path.resolve() / 'state' / 'parser-service.db'}"
    monkeypatch.delenv("PARSER_SERVICE_BLOB_DIR")
    assert Settings(data_dir=Path("rel")).blobs() == Path("/rel/blobs")  # in the directory of now: "/"


def elsewhere(service: Service, folder: Path) -> Service:
    """The same database with another data folder: a process started in another directory."""
    return Service(service.settings.model_copy(update={"data_dir": folder}), db=service.db)


def test_a_process_whose_blob_folder_is_not_the_databases_is_refused(
    service: Service, bank_csv: Path, tmp_path: Path
) -> None:
    job = submit(service, bank_csv)  # the first store sets the blob folder up
    home = service.settings.blobs()
    stray = elsewhere(service, tmp_path / "elsewhere")

    with pytest.raises(ConfigError) as refused:
        stray.run_job(job.id)
    message = refused.value.message
    assert f"the blob folder here is {tmp_path / 'elsewhere' / 'blobs'}" in message and str(home) in message
    assert "PARSER_SERVICE_DATA_DIR" in message and "\n" not in message
    assert refused.value.retryable  # the job waits for a worker that sees the right folder
    waiting = service.job(job.id)
    assert waiting.status == JobStatus.pending and str(waiting.error).startswith("will retry: the blob folder here")
    with bank_csv.open("rb") as handle, pytest.raises(ConfigError, match="the blob folder here"):
        stray.add_document(handle, "again.csv")
    assert not (tmp_path / "elsewhere" / "blobs").exists() or not any((tmp_path / "elsewhere" / "blobs").iterdir())

    assert service.run_job(job.id).status == JobStatus.succeeded  # the right folder runs it
    assert count(service, StoredRecord) == ROWS


def test_the_same_store_mounted_at_another_path_is_accepted(service: Service, bank_csv: Path, tmp_path: Path) -> None:
    job = submit(service, bank_csv)
    mounted = tmp_path / "mnt"
    shutil.copytree(service.settings.data_dir, mounted)  # another machine's view of the same files
    assert elsewhere(service, mounted).run_job(job.id).status == JobStatus.succeeded


def test_a_database_from_before_the_check_is_claimed_only_by_a_folder_that_holds_its_documents(
    service: Service, bank_csv: Path, tmp_path: Path
) -> None:
    submit(service, bank_csv)
    with service.db.session() as session:  # as it was before the store had an id
        session.execute(delete(ServiceInfo))
    (service.settings.blobs() / MARKER).unlink()
    stray = elsewhere(service, tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match=r"does not hold this database's documents \(bank-export.csv is not in it\)"):
        stray.check_blob_store()
    fresh = Service(service.settings, db=service.db)
    fresh.check_blob_store()  # the right folder takes the claim
    assert (service.settings.blobs() / MARKER).is_file()
    with pytest.raises(ConfigError, match="its marker file"):
        elsewhere(service, tmp_path / "elsewhere").check_blob_store()
