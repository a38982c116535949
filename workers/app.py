"""The workers' Celery app: the deployment's configuration (``parser_service.service.queue``)
with the task modules and the beat schedule.

Start a worker with ``parser-service worker`` (``celery -A workers.app worker``, consuming
the ``queue`` setting) and the scheduler with ``parser-service beat``: beat, and a
one-process worker of its own queue (``Settings.schedule_queue()``) that runs the folder
scans and the reconciler, so they never wait behind jobs while every job worker is busy.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

from parser_service.service.queue import create_app
from parser_service.settings import Settings, get_settings
from workers.schedule import beat_schedule

#: The modules whose tasks this app runs (imported by Celery as the worker starts).
TASK_MODULES = ("workers.tasks", "workers.ingest")


def worker_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = create_app(settings, include=TASK_MODULES)
    app.conf.beat_schedule = beat_schedule(settings)
    return app


@worker_init.connect
@beat_init.connect
def _migrate(**_: Any) -> None:
    """Bring the database schema up to date before taking work."""
    from parser_service.db.migrate import upgrade

    upgrade(get_settings().database())


app = worker_app()
