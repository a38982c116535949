"""A spool: items written once to an unnamed temporary file and read back, as often as
asked, chunk by chunk.

A parser that must read a large file to the end before it knows its shape (a table's
rows and columns, a long PDF's pages) spools what it read as it goes, then serves it
from the spool rather than parsing the file a second time: reading a chunk back costs
a fraction of parsing it, memory holds one chunk, and what is served is what was parsed
even if the file changes afterwards. The file has no name on disk and goes when the
spool does.
"""

from __future__ import annotations

import marshal
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator
from typing import Any

#: Items per chunk written (and held while reading).
CHUNK_ITEMS = 1024


class Spool:
    """Append items (values marshal can write: None, bool, int, float, str, bytes, lists
    and tuples of them), then iterate them back in order, any number of times, from any
    number of threads."""

    def __init__(self, chunk: int = CHUNK_ITEMS) -> None:
        self._chunk = chunk
        self._file = tempfile.TemporaryFile(prefix="parser-service-spool-")  # noqa: SIM115 (closed by finalize)
        self._chunks: list[tuple[int, int]] = []  # (offset, size) of each written chunk
        self._pending: list[Any] = []
        self._size = 0
        self._count = 0
        self._lock = threading.Lock()
        weakref.finalize(self, self._file.close)

    def __len__(self) -> int:
        return self._count

    def append(self, row: Any) -> None:
        self._pending.append(row)
        self._count += 1
        if len(self._pending) >= self._chunk:
            self._flush()

    def _flush(self) -> None:
        with self._lock:  # readers flush too: two must not write the same items twice
            if not self._pending:
                return
            data = marshal.dumps(self._pending)
            os.pwrite(self._file.fileno(), data, self._size)
            self._chunks.append((self._size, len(data)))
            self._size += len(data)
            self._pending = []

    def __iter__(self) -> Iterator[Any]:
        """The items appended so far (later appends are not seen by this iteration)."""
        self._flush()
        fileno = self._file.fileno()
        for offset, size in list(self._chunks):
            yield from marshal.loads(os.pread(fileno, size, offset))
