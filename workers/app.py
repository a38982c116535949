"""The Celery app: Redis broker, late acknowledgement, one task at a time per process.

Start a worker with ``celery -A workers.app worker`` (it consumes the ``queue``
setting) and the scheduler with ``parser-service beat``: beat, and a one-process worker of
its own queue (``Settings.schedule_queue()``) that runs the folder scans and the
reconciler, so they never wait behind jobs while every job worker is busy.

Why these settings:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only
  when its job has run, so a worker that dies gives the job back instead of losing it.
- ``worker_prefetch_multiplier=1``: jobs are long; a worker must not hold messages
  another idle worker could run.
- ``visibility_timeout``: Redis hands an unacknowledged message to another worker after
  this long, so it must be longer than any job. A crashed worker's job is picked up
  sooner by the reconciler (``workers.tasks.reconcile``), not by this timeout.
- ``task_annotations``: a job's time limit (``PARSER_SERVICE_JOB_TIME_LIMIT_S``): Celery
  raises ``SoftTimeLimitExceeded`` in the task, which fails the job, and kills the pool
  process ``PARSER_SERVICE_JOB_KILL_GRACE_S`` later if it has not stopped. Time limits
  need the prefork pool (``parser-service worker``'s); a ``--pool=solo`` worker has none.
- Every Redis key lives under ``<queue>:`` (``global_keyprefix``), so deployments and
  test runs sharing one Redis never see each other's messages.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

from parser_service.settings import Settings, get_settings
from workers.ingest import ingest_schedule

#: Seconds before Redis redelivers an unacknowledged message (longer than any job).
VISIBILITY_TIMEOUT_S = 12 * 3600


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("parser_service", include=["workers.tasks"])
    transport = {"visibility_timeout": VISIBILITY_TIMEOUT_S, "global_keyprefix": key_prefix(settings)}
    app.conf.update(
        broker_url=settings.redis_url,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # the database holds every job's outcome
        task_default_queue=settings.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        enable_utc=True,
        beat_schedule=beat_schedule(settings),
        # every document has a time limit: stopped past it, its process killed if it does not stop
        task_annotations={
            "parser_service.process_job": {
                "soft_time_limit": settings.job_time_limit_s,
                "time_limit": settings.job_time_limit_s + settings.job_kill_grace_s,
            }
        },
    )
    return app


def key_prefix(settings: Settings) -> str:
    """The prefix of every Redis key this deployment writes."""
    return f"{settings.queue}:"


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Everything Celery beat runs, in one place."""
    schedule: dict[str, dict[str, Any]] = {
        "reconcile-jobs": {
            "task": "parser_service.reconcile",
            "schedule": settings.reconcile_every_s,
            # a reconcile still queued when the next one is due is useless: let it expire
            "options": {"queue": settings.schedule_queue(), "expires": settings.reconcile_every_s},
        },
    }
    schedule.update(ingest_schedule(settings))  # scheduled folder ingestion
    return schedule


@worker_init.connect
@beat_init.connect
def _migrate(**_: Any) -> None:
    """Bring the database schema up to date before taking work."""
    from parser_service.db.migrate import upgrade

    upgrade(get_settings().database())


app = create_app()
