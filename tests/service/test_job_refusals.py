"""A job whose plugin cannot read its document, or finds no record in its table rows,
ends ``failed`` with the reason, as ``extract`` exits 1 (never ``succeeded`` with nothing
stored). Real PostgreSQL, the deterministic test backend (no model)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from parser_service.db import JobStatus, StoredRecord
from parser_service.pipeline.run import Pipeline
from parser_service.service.jobs import Service
from parser_service.settings import Settings
from tests.pipeline.test_pipeline_refusals import OCBC, RECEIPT, finds_nothing, no_records_as_they_come, pipeline_with


def run(service: Service, path: Path, domain: str) -> tuple[JobStatus, str | None, list[StoredRecord]]:
    with path.open("rb") as handle:
        _, job, _ = service.submit(handle, path.name, domain)
    done = service.run_job(job.id)
    with service.db.session() as session:
        stored = list(session.scalars(select(StoredRecord).where(StoredRecord.job_id == job.id).order_by(StoredRecord.index)))
    return done.status, done.error, stored


def test_a_receipt_sent_to_the_bank_plugin_fails_with_the_reason(service: Service) -> None:
    status, error, stored = run(service, RECEIPT, "bank_transactions")
    assert status == JobStatus.failed and stored == []
    assert error == (f"{RECEIPT.name}: domain 'bank_transactions' does not read text/plain documents "
                     "(it reads application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, text/csv)")


def test_table_rows_without_a_record_fail_the_job(service_settings: Settings, service: Service) -> None:
    host = pipeline_with(finds_nothing(no_records_as_they_come)).host
    nothing = Service(service_settings, db=service.db, pipeline=Pipeline(service_settings, host=host))
    status, error, stored = run(nothing, OCBC, "nothing")
    assert status == JobStatus.failed and stored == []
    assert error and error.startswith(f"{OCBC.name}: domain 'nothing' found no records in the 8 table rows")


def test_the_ocbc_export_stores_its_eight_transactions(service: Service) -> None:
    status, error, stored = run(service, OCBC, "bank_transactions")
    assert status == JobStatus.succeeded, error
    assert [(r.data or {}).get("amount") for r in stored] == [-6.66, -6.66, -66.66, -6.66, -6.66, -66.66, -6.66, -6.66]
