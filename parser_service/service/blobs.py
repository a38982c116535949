"""Content-addressed file storage behind a small interface.

Files are stored by their SHA-256, so the same bytes are stored once. The local
store keeps them under a folder; an object store (S3, GCS) can implement the
same ``BlobStore`` protocol later.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from parser_service.errors import FileTooLargeError

CHUNK = 1 << 20
#: A file in the store's folder holding the store's id, which the database records: a
#: process given another folder (a relative PARSER_SERVICE_DATA_DIR started elsewhere)
#: finds no marker, or another one, and is refused instead of failing every job.
MARKER = ".parser-service-store"
_LOCATION = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    location: str  # opaque to callers; pass it back to ``local_path``/``open``


class BlobStore(Protocol):
    def put(self, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredBlob:
        """Store a stream, hashing while it is read. Raises ``FileTooLargeError`` past ``max_bytes``
        (having read at most ``max_bytes + 1`` bytes and kept nothing)."""
        ...

    def local_path(self, location: str) -> Path:
        """A local file with the blob's bytes, for the parsers."""
        ...

    def exists(self, location: str) -> bool: ...

    def remove(self, location: str) -> None:
        """Delete a blob no document refers to (bytes refused after they were stored)."""
        ...

    @property
    def where(self) -> str:
        """Where the blobs are, for messages."""
        ...

    def marker(self) -> str | None:
        """The store's id, or None where it has none yet."""
        ...

    def claim_marker(self, value: str) -> str:
        """Give the store the id ``value`` unless it has one already; the id it has now."""
        ...


class LocalBlobStore:
    """Blobs as files under ``root``, at ``ab/cd/<sha256>``.

    A put streams into a temporary file in ``root`` (same file system, so the final
    rename is atomic) while hashing; only a complete file ever appears at its final
    name, so a crash mid-upload leaves no half blob behind a valid name.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                sha256, size = _copy_hashing(stream, out, max_bytes)
            location = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
            self._settle(temp, self.root / location)
        finally:
            temp.unlink(missing_ok=True)
        return StoredBlob(sha256=sha256, size=size, location=location)

    def local_path(self, location: str) -> Path:
        if not _LOCATION.match(location):
            raise ValueError(f"not a blob location: {location!r}")
        return self.root / location

    def exists(self, location: str) -> bool:
        return bool(_LOCATION.match(location)) and (self.root / location).is_file()

    def remove(self, location: str) -> None:
        self.local_path(location).unlink(missing_ok=True)

    @property
    def where(self) -> str:
        return str(self.root)

    def marker(self) -> str | None:
        try:
            return (self.root / MARKER).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def claim_marker(self, value: str) -> str:
        """Written whole to a temporary name, then linked into place, which fails if a marker
        is there already: two processes claiming at once agree on the first one's id."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self.root, prefix=".marker-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(value + "\n")
            with contextlib.suppress(FileExistsError):  # claimed before: keep that id
                os.link(temp_name, self.root / MARKER)
        finally:
            Path(temp_name).unlink(missing_ok=True)
        return self.marker() or value

    @staticmethod
    def _settle(temp: Path, final: Path) -> None:
        """Move ``temp`` to ``final`` unless the same bytes are already there (stored once)."""
        if final.is_file():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)


def _copy_hashing(stream: BinaryIO, out: BinaryIO, max_bytes: int | None) -> tuple[str, int]:
    """Copy ``stream`` to ``out``; read at most ``max_bytes + 1`` bytes, raising past the limit."""
    digest, size = hashlib.sha256(), 0
    while True:
        want = CHUNK if max_bytes is None else min(CHUNK, max_bytes + 1 - size)
        chunk = stream.read(want)
        if not chunk:
            break
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileTooLargeError("upload", f"larger than the limit of {max_bytes} bytes")
        digest.update(chunk)
        out.write(chunk)
    out.flush()
    os.fsync(out.fileno())
    return digest.hexdigest(), size
