"""The queue's sending side: the Celery configuration, task names, liveness keys and
``enqueue``. The API, the command line and the workers' reconciler send jobs through it;
the tasks that run them live in ``workers/``, which is the only code that consumes.

Why these settings:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only
  when its job has run, so a worker that dies gives the job back instead of losing it.
- ``worker_prefetch_multiplier=1``: jobs are long; a worker must not hold messages
  another idle worker could run.
- ``visibility_timeout``: Redis hands an unacknowledged message to another worker after
  this long, so it must be longer than any job. A crashed worker's job is picked up
  sooner by the reconciler (``JobQueue.reconcile``), not by this timeout.
- ``task_annotations``: a job's time limit (``PARSER_SERVICE_JOB_TIME_LIMIT_S``): Celery
  raises ``SoftTimeLimitExceeded`` in the task, which fails the job, and kills the pool
  process ``PARSER_SERVICE_JOB_KILL_GRACE_S`` later if it has not stopped. Time limits
  need the prefork pool (``parser-service worker``'s); a ``--pool=solo`` worker has none.
- Every Redis key lives under ``<queue>:`` (``global_keyprefix``), so deployments and
  test runs sharing one Redis never see each other's messages.

Which jobs are lost? Each queued or running job has a liveness key in Redis
(``<queue>:live:<job id>``): ``enqueue`` sets it, and a running task refreshes it from a
heartbeat thread every third of ``heartbeat_s``. A job that is open in the database,
has not been updated for ``stale_job_s`` and has no liveness key has no task that will
ever run it (its worker died, or Redis lost its message), and the reconciler sends it
again. We chose the key over ``celery inspect active/reserved`` because inspect is a
broadcast that only live, responsive workers answer within a timeout: a busy solo
worker, a slow network or a worker on another host reads as "no task" and would get
its job duplicated, and inspect cannot see messages still waiting in the queue at all.
A key is one O(1) lookup, expires by itself when its worker is killed, and vanishes
with a flushed Redis, which is exactly when the job must be sent again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import redis
from celery import Celery

from parser_service.service.jobs import Service
from parser_service.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Seconds before Redis redelivers an unacknowledged message (longer than any job).
VISIBILITY_TIMEOUT_S = 12 * 3600

#: Task names, stable for callers that send by name (``celery.send_task``).
PROCESS_JOB = "parser_service.process_job"
RECONCILE = "parser_service.reconcile"
SCAN_SOURCES = "parser_service.scan_sources"


def key_prefix(settings: Settings) -> str:
    """The prefix of every Redis key this deployment writes."""
    return f"{settings.queue}:"


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings every app of this deployment shares, sending or consuming."""
    transport = {"visibility_timeout": VISIBILITY_TIMEOUT_S, "global_keyprefix": key_prefix(settings)}
    return {
        "broker_url": settings.redis_url,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "task_ignore_result": True,  # the database holds every job's outcome
        "task_default_queue": settings.queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "enable_utc": True,
        # every document has a time limit: stopped past it, its process killed if it does not stop
        "task_annotations": {
            PROCESS_JOB: {
                "soft_time_limit": settings.job_time_limit_s,
                "time_limit": settings.job_time_limit_s + settings.job_kill_grace_s,
            }
        },
    }


def create_app(settings: Settings | None = None, include: tuple[str, ...] = ()) -> Celery:
    """A Celery app for the deployment of ``settings``; ``include`` names task modules
    (the workers' app passes its own; a sending app has none)."""
    settings = settings or get_settings()
    app = Celery("parser_service", include=list(include))
    app.conf.update(celery_config(settings))
    return app


class Liveness:
    """Per-job keys saying a task is queued or running for the job."""

    def __init__(self, client: redis.Redis, prefix: str, heartbeat_s: float) -> None:
        self.client, self.prefix, self.heartbeat_s = client, prefix, heartbeat_s

    @classmethod
    def for_settings(cls, settings: Settings) -> Liveness:
        return cls(redis.Redis.from_url(settings.redis_url), key_prefix(settings), settings.heartbeat_s)

    def key(self, job_id: str) -> str:
        return f"{self.prefix}live:{job_id}"

    def queued(self, job_id: str, task_id: str, ttl_s: float = VISIBILITY_TIMEOUT_S) -> None:
        """A message is on its way; Redis delivers it within the visibility timeout."""
        self.client.set(self.key(job_id), f"queued {task_id}", px=int(ttl_s * 1000))

    def claim(self, job_id: str) -> bool:
        """Set the key only if no task holds it: two reconcilers never both re-enqueue a job."""
        return bool(self.client.set(self.key(job_id), "reconciling", nx=True, px=int(VISIBILITY_TIMEOUT_S * 1000)))

    def alive(self, job_id: str) -> bool:
        return bool(self.client.exists(self.key(job_id)))

    @contextmanager
    def running(self, job_id: str, task_id: str, limit_s: float | None = None) -> Iterator[None]:
        """Hold the key while the body runs, refreshed by a heartbeat thread; released after.
        The heartbeat stops after ``limit_s`` (the job's time limits): a job stuck past them
        where nothing killed it (a pool without time limits) no longer looks alive."""
        stop = threading.Event()
        until = time.monotonic() + limit_s if limit_s is not None else None
        beat = threading.Thread(target=self._beat, args=(job_id, task_id, stop, until), daemon=True)
        self._touch(job_id, task_id)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()
            self._quietly(lambda: self.client.delete(self.key(job_id)))

    def _beat(self, job_id: str, task_id: str, stop: threading.Event, until: float | None = None) -> None:
        while not stop.wait(self.heartbeat_s / 3):
            if until is not None and time.monotonic() > until:
                log.error("job %s: past its time limits and still running; its liveness key is left to expire", job_id)
                return
            self._touch(job_id, task_id)

    def _touch(self, job_id: str, task_id: str) -> None:
        self._quietly(lambda: self.client.set(self.key(job_id), f"running {task_id}", px=int(self.heartbeat_s * 1000)))

    @staticmethod
    def _quietly(call: Any) -> None:
        """Redis trouble must not stop a job: at worst the reconciler sends it once more."""
        try:
            call()
        except redis.RedisError as exc:
            log.warning("liveness key not updated: %s", exc)


class JobQueue:
    """Sending jobs to the workers of one deployment (its settings, its Celery app)."""

    def __init__(self, settings: Settings, celery: Celery, jobs: Service, live: Liveness) -> None:
        self.settings, self.celery, self.jobs, self.live = settings, celery, jobs, live

    @classmethod
    def for_settings(cls, settings: Settings, jobs: Service | None = None) -> JobQueue:
        """A queue with its own Celery app, for code (and tests) not running in a worker."""
        return cls(settings, create_app(settings), jobs or Service(settings), Liveness.for_settings(settings))

    def enqueue(self, job_id: str) -> str:
        """Mark the job queued, send it, and record the task id on the job."""
        task_id = str(uuid.uuid4())
        self.live.queued(job_id, task_id)
        self.celery.send_task(PROCESS_JOB, (job_id,), task_id=task_id, queue=self.settings.queue)
        self.jobs.set_task(job_id, task_id)
        return task_id

    def reconcile(self) -> list[str]:
        """Re-enqueue open jobs that are stale and have no live task; returns their ids."""
        sent = []
        for job in self.jobs.open_jobs(older_than_s=self.settings.stale_job_s):
            if self.live.claim(job.id):
                log.warning("job %s (%s) has no live task; enqueueing it again", job.id, job.status)
                self.enqueue(job.id)
                sent.append(job.id)
        return sent


@lru_cache(maxsize=1)
def sending_queue() -> JobQueue:
    """The queue of this process's settings (``get_settings()``), built on first use."""
    return JobQueue.for_settings(get_settings())


def enqueue(job_id: str) -> str:
    """Send a job to the workers (``JobQueue.enqueue`` with this process's settings)."""
    return sending_queue().enqueue(job_id)
