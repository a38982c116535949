"""Scheduled folder ingestion on Celery.

Beat sends ``scan_sources`` every ``scan_every_s`` seconds, a short tick, and each
source's own interval decides whether it is scanned: ``scan_due`` claims a source by
moving its ``last_scan_at`` forward in one conditional update, so overlapping ticks or
two workers never scan one folder at the same time.

The task is a ``shared_task`` so that ``workers.app`` can import this module for the
schedule without an import cycle; the queue and the service come from
``workers.tasks``, imported when the task runs.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from parser_service.ingestion import scan_due
from parser_service.settings import Settings

log = logging.getLogger(__name__)

SCAN_TASK = "parser_service.scan_sources"


def ingest_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The beat entry: a scan tick that expires if no worker takes it before the next one."""
    return {
        "scan-sources": {
            "task": SCAN_TASK,
            "schedule": settings.scan_every_s,
            "options": {"queue": settings.schedule_queue(), "expires": settings.scan_every_s},
        },
    }


@shared_task(name=SCAN_TASK)
def scan_sources() -> list[dict[str, Any]]:
    """Scan every enabled source whose interval has elapsed; new jobs go to the queue."""
    from workers.tasks import enqueue, service

    reports = scan_due(service(), enqueue=enqueue)
    for report in reports:
        if report.ingested or report.duplicates or report.errors:
            log.info("source %s: %d ingested, %d duplicates, %d waiting, %d errors", report.source,
                     len(report.ingested), len(report.duplicates), len(report.waiting), len(report.errors))
        for path, reason in report.errors.items():
            log.warning("source %s: %s: %s", report.source, path, reason)
    return [report.to_dict() for report in reports]
