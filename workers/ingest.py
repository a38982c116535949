"""Scheduled folder ingestion on Celery.

Beat sends ``scan_sources`` every ``scan_every_s`` seconds, a short tick, and each
source's own interval decides whether it is scanned: ``scan_due`` claims a source by
moving its ``last_scan_at`` forward in one conditional update, so overlapping ticks or
two workers never scan one folder at the same time.
"""

from __future__ import annotations

import logging
from typing import Any

from parser_service.service.ingestion import scan_due
from parser_service.service.queue import SCAN_SOURCES
from workers.app import app
from workers.tasks import default_queue, service

log = logging.getLogger(__name__)


@app.task(name=SCAN_SOURCES)
def scan_sources() -> list[dict[str, Any]]:
    """Scan every enabled source whose interval has elapsed; new jobs go to the queue."""
    reports = scan_due(service(), enqueue=default_queue().enqueue)
    for report in reports:
        if report.ingested or report.duplicates or report.errors:
            log.info("source %s: %d ingested, %d duplicates, %d waiting, %d errors", report.source,
                     len(report.ingested), len(report.duplicates), len(report.waiting), len(report.errors))
        for path, reason in report.errors.items():
            log.warning("source %s: %s: %s", report.source, path, reason)
    return [report.to_dict() for report in reports]
