"""The workers' Celery app with documents that are hostile to the worker running them, for
``test_workers``: start a worker with ``-A tests.service.hostile_app``.

- a document whose file name holds ``KILL_MARKER`` kills the process running it with
  SIGKILL as its job starts (what the kernel's OOM killer or a segfault in a parser does);
- one whose name holds ``STUBBORN_MARKER`` sleeps and ignores Celery's soft time limit
  (C code that never returns to Python), so only the hard limit ends it.

Every other document runs as usual.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

import workers.tasks  # noqa: F401  (registers the tasks on the app)
from parser_service.service.jobs import Service
from workers.app import app

__all__ = ["app"]

KILL_MARKER = "kill-the-worker"
STUBBORN_MARKER = "ignore-the-time-limit"

_process = Service._process


def _hostile_process(self: Service, job: Any, progress: Any) -> None:
    name = self.job_document(job).filename
    if KILL_MARKER in name:
        os.kill(os.getpid(), signal.SIGKILL)
    if STUBBORN_MARKER in name:
        while True:
            with contextlib.suppress(SoftTimeLimitExceeded):
                time.sleep(3600)
    _process(self, job, progress)


Service._process = _hostile_process  # type: ignore[method-assign]
