"""Progress of long work, shown on stderr (a bar on a terminal, lines otherwise)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class StderrProgress:
    """Callable as ``progress(stage, done, total)``; prints when the stage or count changes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last: tuple[str, int, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if (stage, done, total) == self._last:
            return
        self._last = (stage, done, total)
        elapsed = time.monotonic() - self.started
        line = f"[{elapsed:6.1f}s] {stage}: {done}/{total}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
