"""The interface every format parser implements.

A parser claims a file by sniffing its first bytes (never its name) and turns the
file into the list of ``Page`` objects of the shared document model. Parsers know
nothing of models or plugins. They raise ``InputError`` subclasses for bad input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from parser_service.document import Page
from parser_service.errors import CorruptFileError

SNIFF_BYTES = 8192
Stamp = tuple[int, int]


def file_stamp(path: Path) -> Stamp:
    """Size and modification time: what a streamed table checks before reading again."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def check_unchanged(path: Path, filename: str, stamp: Stamp) -> None:
    """Raise ``CorruptFileError`` when the file is gone or no longer the one parsed."""
    try:
        unchanged = file_stamp(path) == stamp
    except OSError as exc:
        raise CorruptFileError(filename, f"the file could not be read again ({exc.strerror})") from exc
    if not unchanged:
        raise CorruptFileError(filename, "the file changed while it was being read")


class Parser(ABC):
    """One file format. Register subclasses through the ``register_parsers`` hook."""

    name: ClassVar[str]
    media_type: ClassVar[str]
    #: Lower runs first when sniffing; specific formats (PDF, XLSX) before text.
    priority: ClassVar[int] = 100

    @abstractmethod
    def sniff(self, path: Path, head: bytes) -> bool:
        """Return True when ``head`` (the first bytes of ``path``) is this format."""

    @abstractmethod
    def parse(self, path: Path, filename: str) -> Sequence[Page]:
        """Parse the file. ``filename`` is the user's name for it, for messages."""
