"""Content-addressed file storage behind a small interface.

Files are stored by their SHA-256, so the same bytes are stored once. The local
store keeps them under a folder; an object store (S3, GCS) can implement the
same ``BlobStore`` protocol later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


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
