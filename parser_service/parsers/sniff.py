"""Pick the parser for a file from its first bytes, and parse a file end to end.

A file no parser claims is ``UnsupportedFormatError``, unless its first bytes would be
text but for NULs: then ``EncodingError`` says so (UTF-16 without a byte-order mark,
or the offset and line of the first NUL byte; see ``encoding.nul_problem``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from parser_service.document import Document
from parser_service.errors import EmptyFileError, EncodingError, FileNotFound, UnsupportedFormatError
from parser_service.parsers.base import SNIFF_BYTES, Parser
from parser_service.parsers.encoding import nul_problem

UNSUPPORTED = "unsupported file type (not a PDF, XLSX, CSV or text file)"
_HASH_CHUNK = 1 << 20


def detect(path: Path, parsers: list[Parser], filename: str) -> Parser:
    """The first parser, by priority, that claims ``path``."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise EmptyFileError(filename, "the file is empty")
    for parser in sorted(parsers, key=lambda p: p.priority):
        if parser.sniff(path, head):
            return parser
    if problem := nul_problem(head):
        raise EncodingError(filename, problem)
    raise UnsupportedFormatError(filename, UNSUPPORTED)


def parse_file(path: Path, parsers: list[Parser], filename: str | None = None) -> Document:
    """Detect the format of ``path``, parse it and wrap the pages in a ``Document``."""
    path = Path(path)
    name = filename or path.name
    if path.is_dir():
        raise UnsupportedFormatError(name, "is a directory")
    if not path.exists():
        raise FileNotFound(name, "no such file")
    parser = detect(path, parsers, name)
    pages = parser.parse(path, name)
    return Document(
        sha256=sha256_of(path),
        filename=name,
        media_type=parser.media_type,
        pages=pages,
        size=path.stat().st_size,
    )


def sha256_of(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
