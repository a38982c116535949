"""Celery tasks: run a job, and re-enqueue lost jobs (the reconciler).

Tasks take ids and re-read everything from the database; ``Service.run_job`` is
idempotent, so a job delivered twice (a retry, a redelivery, the reconciler) is
finished once and its records stored once. Which jobs are lost, and how a running job
holds its liveness key, is told in ``parser_service.service.queue``.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from functools import lru_cache
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from parser_service.errors import ConfigError, ParserServiceError
from parser_service.service.jobs import Service
from parser_service.service.queue import PROCESS_JOB, RECONCILE, VISIBILITY_TIMEOUT_S, JobQueue, Liveness
from parser_service.settings import Settings, get_settings
from workers.app import app

log = logging.getLogger(__name__)

MAX_RETRIES = 5
BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 600.0


@lru_cache(maxsize=1)
def service() -> Service:
    """One service (and so one plugin host and one loaded model) per worker process, built on
    first use."""
    return Service(get_settings())


@lru_cache(maxsize=1)
def liveness() -> Liveness:
    return Liveness.for_settings(get_settings())


@lru_cache(maxsize=1)
def default_queue() -> JobQueue:
    """The queue of this process's settings, on the worker's own app."""
    return JobQueue(get_settings(), app, service(), liveness())


def time_limit_reason(settings: Settings, killed: bool = False) -> str:
    """Why a job that ran past its time limit failed."""
    how = f"killed {settings.job_kill_grace_s:g} s later, as it did not stop" if killed else "stopped"
    return (f"the document took longer than the time limit of {settings.job_time_limit_s:g} s "
            f"(PARSER_SERVICE_JOB_TIME_LIMIT_S); {how}")  # fmt: skip


def deaths_reason(deaths: int) -> str:
    return (f"the worker died {deaths} times on this document (killed for memory, or a crash in a parser); "
            "it is not run again (PARSER_SERVICE_MAX_WORKER_DEATHS)")  # fmt: skip


class JobTask(Task):
    """``process_job``'s class: a job whose worker process was killed at the hard time limit
    ends failed here, in the worker's main process (Celery calls ``on_failure`` there for a
    hard time limit), since the process that ran it is gone."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, TimeLimitExceeded) and args:
            job_id = str(args[0])
            log.error("job %s: killed at the hard time limit", job_id)
            # a service of its own, closed after: pool processes forked later must not share its connections
            jobs = Service(get_settings())
            try:
                # this death is the time limit's, not the document crashing a worker
                jobs.fail(job_id, time_limit_reason(jobs.settings, killed=True), ending_run=True)
            finally:
                jobs.db.dispose()


@app.task(bind=True, name=PROCESS_JOB, max_retries=MAX_RETRIES, base=JobTask)
def process_job(self: Task, job_id: str) -> str:
    """Run the job. Bad input ends it failed inside ``run_job``; transient trouble (a retryable
    backend error, a lost database, an unexpected error) is retried with exponential backoff,
    and after ``MAX_RETRIES`` the job ends failed with the last error as its reason.

    Each run is counted on the job before it starts and uncounted when it ends
    (``begin_run``/``end_run``): a count left behind is a worker that died on the job, and
    the ``max_worker_deaths``-th such death ends the job failed instead of running it again
    (Celery gives a killed worker's message back, ``task_reject_on_worker_lost``). A run
    past ``job_time_limit_s`` is stopped (Celery's soft time limit) and fails the job; one
    that ignores the stop is killed ``job_kill_grace_s`` later (``JobTask.on_failure``)."""
    task_id = str(self.request.id)
    jobs = service()
    deaths = jobs.begin_run(job_id)
    if deaths is not None and deaths >= jobs.settings.max_worker_deaths:
        log.error("job %s: %s", job_id, deaths_reason(deaths))
        jobs.fail(job_id, deaths_reason(deaths), ending_run=True)
        return "failed"
    try:
        limit = jobs.settings.job_time_limit_s + jobs.settings.job_kill_grace_s
        with liveness().running(job_id, task_id, limit_s=limit):
            return str(jobs.run_job(job_id).status)
    except SoftTimeLimitExceeded:
        log.error("job %s: %s", job_id, time_limit_reason(jobs.settings))
        jobs.fail(job_id, time_limit_reason(jobs.settings))
        return "failed"
    except LookupError as exc:
        log.warning("job %s: %s; nothing to do", job_id, exc)
        return "missing"
    except Exception as exc:
        if not _retryable(exc):
            raise
        return _retry_or_fail(self, job_id, exc)
    finally:
        if deaths is not None:
            with suppress(Exception):  # a lost database: the count stays, one death too many at worst
                jobs.end_run(job_id)


@app.task(name=RECONCILE)
def reconcile() -> list[str]:
    """Re-enqueue lost jobs (see ``parser_service.service.queue``); run by beat every ``reconcile_every_s``."""
    return default_queue().reconcile()


def backoff_s(retries: int) -> float:
    """5 s, 10 s, 20 s, ... capped at ten minutes."""
    return min(BACKOFF_BASE_S * 2**retries, BACKOFF_MAX_S)


def _retryable(exc: Exception) -> bool:
    """Our own errors say so; anything else (a lost database, a bug) gets a few more tries."""
    if isinstance(exc, ParserServiceError):
        return exc.retryable  # run_job has already failed the job for the others
    return True


def deployment_fault(exc: Exception) -> bool:
    """A fault of the deployment, not of the document (a blob folder that is not the
    database's, a missing stored file, a plugin that failed to load): the job waits, retried
    without a cap, until someone fixes it; it never fails for it."""
    return isinstance(exc, ConfigError) and exc.retryable


def _retry_or_fail(task: Task, job_id: str, exc: Exception) -> str:
    fault = deployment_fault(exc)
    if task.request.retries >= MAX_RETRIES and not fault:
        log.error("job %s: giving up after %d retries: %s", job_id, MAX_RETRIES, exc)
        service().fail(job_id, f"gave up after {MAX_RETRIES} retries: {exc}")
        return "failed"
    countdown = backoff_s(task.request.retries)
    liveness().queued(job_id, str(task.request.id), ttl_s=countdown + VISIBILITY_TIMEOUT_S)
    if fault:
        log.error("job %s stays pending, the deployment is misconfigured: %s; retrying in %.0f s", job_id, exc, countdown)
        raise task.retry(exc=exc, countdown=countdown, max_retries=None)
    log.warning("job %s: %s; retrying in %.0f s", job_id, exc, countdown)
    raise task.retry(exc=exc, countdown=countdown)
