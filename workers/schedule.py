"""Everything Celery beat runs, in one place: the reconciler and the folder-scan tick."""

from __future__ import annotations

from typing import Any

from parser_service.service.queue import RECONCILE, SCAN_SOURCES
from parser_service.settings import Settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each entry goes to the schedule queue and expires when the next one is due: a tick
    still queued then is useless, and no worker takes it before the next one."""
    ticks = {"reconcile-jobs": (RECONCILE, settings.reconcile_every_s), "scan-sources": (SCAN_SOURCES, settings.scan_every_s)}
    return {
        name: {"task": task, "schedule": every, "options": {"queue": settings.schedule_queue(), "expires": every}}
        for name, (task, every) in ticks.items()
    }
