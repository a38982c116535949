"""The queue with real Celery worker processes on real Redis and PostgreSQL: a job runs,
survives a ``kill -9`` of its worker, and survives Redis losing its messages.

Each test has its own queue and Redis key prefix (``service_settings``), so concurrent
test runs on one Redis never take each other's tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select, update

from parser_service.db import Job, JobStatus, StoredRecord
from parser_service.db.models import utcnow
from parser_service.service.jobs import Service
from parser_service.service.queue import JobQueue
from parser_service.settings import Settings
from tests.conftest import INVOICE_EXAMPLES
from tests.service.conftest import WorkerProcess, flush_queue_keys, wait_for, write_bank_csv

ROWS = 60


@pytest.fixture
def queue(service_settings: Settings, service: Service) -> Iterator[JobQueue]:
    jobs = JobQueue.for_settings(service_settings, service)
    yield jobs
    jobs.celery.close()


def submit(service: Service, path: Path, domain: str | None = "bank_transactions") -> Job:
    with path.open("rb") as handle:
        _, job, _ = service.submit(handle, path.name, domain)
    return job


def stored(service: Service, job_id: str) -> list[tuple[int, str]]:
    """(index, row id) of the job's records, in index order."""
    with service.db.session() as session:
        rows = session.execute(select(StoredRecord.index, StoredRecord.id).where(StoredRecord.job_id == job_id).order_by(StoredRecord.index))
        return [(index, row_id) for index, row_id in rows]


def finished(service: Service, job_id: str) -> Callable[[], Job | None]:
    def check() -> Job | None:
        job = service.job(job_id)
        return job if job.status not in JobStatus.open() else None

    return check


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url)


def test_a_job_runs_through_a_real_worker(
    service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess], bank_csv: Path
) -> None:
    worker(service.settings)
    job = submit(service, bank_csv)
    task_id = queue.enqueue(job.id)
    assert queue.live.alive(job.id)  # queued

    done = wait_for(finished(service, job.id), 60, what="the job to finish")
    assert done.status == JobStatus.succeeded, done.error
    assert done.task_id == task_id and done.records_done == ROWS and done.attempts == 1
    assert [index for index, _ in stored(service, job.id)] == list(range(ROWS))
    # released as the task ends, just after the job's status is written
    wait_for(lambda: not queue.live.alive(job.id), 10, what="the job's liveness to be released")


def test_bad_input_through_a_worker_fails_the_job_without_retrying(
    service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)  # a PDF header and nothing readable behind it
    worker(service.settings)
    job = submit(service, broken, domain=None)
    queue.enqueue(job.id)
    done = wait_for(finished(service, job.id), 60, what="the job to fail")
    assert done.status == JobStatus.failed and str(done.error).startswith("broken.pdf:")
    assert done.attempts == 1


def test_reconcile_sends_only_lost_jobs(service: Service, queue: JobQueue, bank_csv: Path, tmp_path: Path) -> None:
    """No worker here: the messages stay in Redis, where the test counts them."""
    queued, lost, fresh = (submit(service, write_bank_csv(tmp_path / f"{n}.csv", rows=n)) for n in (3, 4, 5))
    queue.enqueue(queued.id)
    queue.live.queued(fresh.id, "from the API, a moment ago")
    with service.db.session() as session:  # make the first two stale; "fresh" was just updated
        old = utcnow().replace(year=2000)
        session.execute(update(Job).where(Job.id.in_([queued.id, lost.id])).values(updated_at=old))
    service.fail(fresh.id, "")  # and fresh is finished anyway
    assert queue.reconcile() == [lost.id]
    assert queue.reconcile() == []  # its new message is queued now
    messages = redis_client(service.settings).llen(f"{service.settings.queue}:{service.settings.queue}")
    assert messages == 2  # queued's and lost's, under this run's own key prefix


def test_a_killed_worker_loses_no_record_and_duplicates_none(
    service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess], bank_csv: Path
) -> None:
    first = worker(service.settings, delay_s=0.25)
    job = submit(service, bank_csv)
    task_id = queue.enqueue(job.id)
    wait_for(lambda: service.job(job.id).records_done >= 8, 60, interval=0.05, what="a few batches")
    first.kill()  # SIGKILL: nothing acknowledged, nothing cleaned up

    before = stored(service, job.id)
    assert 8 <= len(before) < ROWS and service.job(job.id).status == JobStatus.running
    worker(service.settings, beat=True)  # a fresh worker, with the reconciler scheduled
    done = wait_for(finished(service, job.id), 90, what="the job to finish after the kill")

    assert done.status == JobStatus.succeeded, done.error
    after = stored(service, job.id)
    assert [index for index, _ in after] == list(range(ROWS))  # every record, once
    assert set(before) <= set(after)  # records stored before the kill were kept, not redone
    assert done.attempts == 2 and done.task_id != task_id  # run again from a reconciler message


def test_jobs_survive_redis_losing_their_messages(
    service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess], bank_csv: Path, tmp_path: Path
) -> None:
    worker(service.settings, delay_s=0.2, beat=True)
    running = submit(service, bank_csv)
    waiting = submit(service, write_bank_csv(tmp_path / "second.csv", rows=20))
    queue.enqueue(running.id)
    waiting_task = queue.enqueue(waiting.id)  # behind the first: the worker runs one task at a time
    wait_for(lambda: service.job(running.id).records_done >= 4, 60, interval=0.05, what="the first job to start")

    assert flush_queue_keys(service.settings.redis_url, service.settings.queue) > 0
    for job, rows in ((running, ROWS), (waiting, 20)):
        done = wait_for(finished(service, job.id), 90, what="both jobs to finish after the flush")
        assert done.status == JobStatus.succeeded, done.error
        assert [index for index, _ in stored(service, job.id)] == list(range(rows))
    assert service.job(waiting.id).task_id != waiting_task  # its message was lost and sent again


def test_a_document_that_kills_its_worker_fails_after_three_deaths_and_others_keep_flowing(
    service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    """Issue 25: a document that kills the process running it (SIGKILL: the OOM killer, a
    segfault) was given back by Celery (acks_late, reject on worker lost) and run again
    forever. Each run is counted on the job; the third death fails it."""
    from tests.service.hostile_app import KILL_MARKER
    from workers.tasks import deaths_reason

    pool = worker(service.settings, pool="prefork", app="tests.service.hostile_app").wait_ready()
    poison = submit(service, write_bank_csv(tmp_path / f"{KILL_MARKER}.csv", rows=8))
    healthy = submit(service, write_bank_csv(tmp_path / "healthy.csv", rows=12))
    queue.enqueue(poison.id)
    queue.enqueue(healthy.id)

    failed = wait_for(finished(service, poison.id), 120, what="the poison job to fail")
    assert failed.status == JobStatus.failed and failed.error == deaths_reason(3)
    assert pool.output().count("WorkerLostError") + pool.output().count("exited with 'signal 9") >= 3
    done = wait_for(finished(service, healthy.id), 60, what="the healthy job to finish")
    assert done.status == JobStatus.succeeded, done.error
    assert done.records_done == 12 and pool.proc.poll() is None  # the worker itself lives on


def test_a_job_past_its_time_limit_is_stopped_and_fails_with_the_reason(
    service_settings: Settings, service: Service, worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    """Issue 25: no document had a time limit; a job that made no progress ran forever while
    the heartbeat kept it looking alive."""
    from workers.tasks import time_limit_reason

    limited = service_settings.model_copy(update={"job_time_limit_s": 2.0, "job_kill_grace_s": 3.0})
    jobs = JobQueue.for_settings(limited, service)
    try:
        worker(limited, delay_s=30, pool="prefork").wait_ready()  # every model call sleeps 30 s
        job = submit(service, write_bank_csv(tmp_path / "slow.csv", rows=8))
        started = utcnow()
        jobs.enqueue(job.id)
        failed = wait_for(finished(service, job.id), 30, what="the time limit to stop the job")
    finally:
        jobs.celery.close()
    assert failed.status == JobStatus.failed and failed.error == time_limit_reason(limited)
    assert (utcnow() - started).total_seconds() < 20
    assert not jobs.live.alive(job.id)


def test_a_job_that_ignores_its_time_limit_is_killed_and_fails_and_the_next_runs(
    service_settings: Settings, service: Service, worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    from tests.service.hostile_app import STUBBORN_MARKER
    from workers.tasks import time_limit_reason

    limited = service_settings.model_copy(update={"job_time_limit_s": 1.0, "job_kill_grace_s": 2.0})
    jobs = JobQueue.for_settings(limited, service)
    try:
        worker(limited, pool="prefork", app="tests.service.hostile_app").wait_ready()
        stubborn = submit(service, write_bank_csv(tmp_path / f"{STUBBORN_MARKER}.csv", rows=8))
        healthy = submit(service, write_bank_csv(tmp_path / "healthy.csv", rows=12))
        jobs.enqueue(stubborn.id)
        jobs.enqueue(healthy.id)
        failed = wait_for(finished(service, stubborn.id), 30, what="the hard time limit to end the job")
        done = wait_for(finished(service, healthy.id), 60, what="the next job to finish")
    finally:
        jobs.celery.close()
    assert failed.status == JobStatus.failed and failed.error == time_limit_reason(limited, killed=True)
    assert failed.unfinished_runs == 0
    assert done.status == JobStatus.succeeded, done.error


def test_folder_scans_and_the_reconciler_run_while_every_job_worker_is_busy(
    service_settings: Settings, service: Service, queue: JobQueue, worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    """Issue 25: beat's scans and reconciler went to the job queue, so they waited behind the
    jobs of busy workers. ``parser-service beat`` now runs them in a worker of its own queue."""
    import os
    import subprocess
    import sys

    from parser_service.db import IngestedFile
    from parser_service.service.ingestion import add_source
    from tests.service.conftest import ROOT, settings_env

    fast = service_settings.model_copy(update={"scan_every_s": 1.0})
    worker(fast, delay_s=1.0).wait_ready()  # the only job worker: one model call a second
    busy = submit(service, write_bank_csv(tmp_path / "long.csv", rows=200))
    queue.enqueue(busy.id)
    wait_for(lambda: service.job(busy.id).status == JobStatus.running, 60, what="the worker to be busy")

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    add_source(service, "inbox", inbox, pattern="*.csv", domain="bank_transactions", interval_s=1)
    write_bank_csv(inbox / "dropped.csv", rows=4)
    (inbox / "dropped.csv.ready").touch()
    log = tmp_path / "beat.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "parser_service.cli", "beat"], cwd=ROOT,
                                env={**os.environ, **settings_env(fast)}, stdout=sink, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    beat = WorkerProcess(proc=proc, log=log, name="beat")
    try:

        def ingested() -> IngestedFile | None:
            with service.db.session() as session:
                return session.scalar(select(IngestedFile).where(IngestedFile.job_id.is_not(None)))

        seen = wait_for(ingested, 60, what=f"the scan while the worker is busy:\n{beat.output()}")
    finally:
        beat.stop()
    assert service.job(busy.id).status == JobStatus.running  # the scan did not wait for the job
    assert seen.path == "dropped.csv" and service.job(str(seen.job_id)).status == JobStatus.pending


def test_a_deployment_fault_is_retried_past_the_cap_and_never_fails_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: a misconfiguration (a wrong blob folder, a plugin that failed to load) is
    not the document's fault: after MAX_RETRIES the job failed ("gave up after 5 retries");
    now it stays pending and is retried (every ten minutes at most) until it is fixed."""
    from types import SimpleNamespace

    from celery.exceptions import Retry

    from parser_service.errors import ConfigError, GenerationError, PluginUnavailableError
    from workers import tasks

    failed: list[str] = []
    monkeypatch.setattr(tasks, "liveness", lambda: SimpleNamespace(queued=lambda *a, **k: None))
    monkeypatch.setattr(tasks, "service", lambda: SimpleNamespace(fail=lambda job_id, reason: failed.append(reason)))
    retried: list[dict[str, Any]] = []

    def retry(**kwargs: Any) -> Retry:
        retried.append(kwargs)
        return Retry()

    task = SimpleNamespace(request=SimpleNamespace(retries=tasks.MAX_RETRIES, id="t"), retry=retry)
    for fault in (PluginUnavailableError("plugin 'x' failed to load"), ConfigError("blob folder", retryable=True)):
        with pytest.raises(Retry):
            tasks._retry_or_fail(task, "job", fault)  # type: ignore[arg-type]
        assert retried[-1]["max_retries"] is None and retried[-1]["countdown"] == tasks.BACKOFF_MAX_S * 0 + min(
            tasks.backoff_s(tasks.MAX_RETRIES), tasks.BACKOFF_MAX_S)
    assert failed == []
    assert tasks._retry_or_fail(task, "job", GenerationError("timed out", retryable=True)) == "failed"  # type: ignore[arg-type]
    assert failed == ["gave up after 5 retries: timed out"]


@pytest.mark.model
def test_the_embedded_model_extracts_an_invoice_through_a_worker(
    service_settings: Settings, service: Service, worker: Callable[..., WorkerProcess]
) -> None:
    real = service_settings.model_copy(update={"backend": "transformers"})
    queue = JobQueue.for_settings(real)
    try:
        worker(real)
        job = submit(Service(real, db=service.db), INVOICE_EXAMPLES / "oyo.pdf", domain="invoices")
        queue.enqueue(job.id)
        done = wait_for(finished(service, job.id), 600, interval=1, what="the model to extract the invoice")
    finally:
        queue.celery.close()
    assert done.status == JobStatus.succeeded, done.error
    assert done.records_total == 1 and "SmolLM2" in str(done.model_version)
    with service.db.session() as session:
        (record,) = session.scalars(select(StoredRecord).where(StoredRecord.job_id == job.id))
    assert record.status in {"ok", "invalid"}, record.errors
    data: dict[str, Any] = record.data or {}
    assert any(data.get(name) is not None for name in ("invoice_number", "amount", "date", "issuer"))
