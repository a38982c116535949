"""The content-addressed blob store: stored once, atomically, within a size limit."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from parser_service.errors import FileTooLargeError
from parser_service.service.blobs import LocalBlobStore


class CountingStream(io.RawIOBase):
    """An endless stream of one byte value that counts what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer):  # type: ignore[no-untyped-def]
        buffer[:] = b"a" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = b"date,amount\n2024-01-02,12.50\n"
    first = store.put(io.BytesIO(data))
    second = store.put(io.BytesIO(data))

    sha = hashlib.sha256(data).hexdigest()
    assert first == second
    assert (first.sha256, first.size, first.location) == (sha, len(data), f"{sha[:2]}/{sha[2:4]}/{sha}")
    assert stored_files(tmp_path / "blobs") == [store.local_path(first.location)]
    assert store.local_path(first.location).read_bytes() == data
    assert store.exists(first.location)


def test_different_bytes_get_different_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    one, two = store.put(io.BytesIO(b"one")), store.put(io.BytesIO(b"two"))
    assert one.location != two.location
    assert len(stored_files(tmp_path)) == 2


def test_a_file_at_the_limit_is_accepted(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    blob = store.put(io.BytesIO(b"x" * 1000), max_bytes=1000)
    assert blob.size == 1000


def test_past_the_limit_nothing_is_kept_and_reading_stops(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    stream = CountingStream()
    with pytest.raises(FileTooLargeError, match="1000 bytes"):
        store.put(stream, max_bytes=1000)  # type: ignore[arg-type]
    assert stored_files(tmp_path) == []  # no blob and no temporary file
    assert stream.read_bytes == 1001  # an endless upload is cut off just past the limit


def test_locations_outside_the_store_are_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert not store.exists("../../etc/passwd")
    with pytest.raises(ValueError, match="not a blob location"):
        store.local_path("../../etc/passwd")
