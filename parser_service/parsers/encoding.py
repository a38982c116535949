"""Text encoding detection shared by the CSV and text parsers.

Order: UTF-8 with BOM (BOM stripped), UTF-8, windows-1252, then latin-1 only when
charset-normalizer also finds the bytes plausible. Bytes with NULs, or text with
many control characters, are not text at all.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from parser_service.errors import EncodingError

ENCODING_PROBLEM = "could not detect the text encoding (tried UTF-8, windows-1252, latin-1)"
_UTF8_BOM = codecs.BOM_UTF8
#: Control characters plain text should not hold (TAB, LF, VT, FF, CR, DOS EOF are fine).
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
#: At most one control character per this many characters.
_CONTROL_RATIO = 50
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_CHUNK = 1 << 20


def decode_text(data: bytes, filename: str) -> str:
    """Decode a whole file's bytes, or raise ``EncodingError`` naming ``filename``."""
    text = _decode(data, final=True)
    if text is None:
        raise EncodingError(filename, ENCODING_PROBLEM)
    return text


def text_encoding(path: Path, filename: str) -> str:
    """The codec ``decode_text`` would decode the file with, found reading it in chunks
    (a large file is never held whole); raises ``EncodingError`` like it."""
    for codec in ("utf-8-sig", "cp1252", "latin-1"):
        verdict = _stream_verdict(path, codec)
        if verdict is not None:
            if verdict:
                return codec
            break
    raise EncodingError(filename, ENCODING_PROBLEM)


def _stream_verdict(path: Path, codec: str) -> bool | None:
    """None: ``codec`` does not fit the bytes; else whether the text is plausible."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    length = controls = 0
    visible = False
    with path.open("rb") as handle:
        first = True
        while True:
            chunk = handle.read(_CHUNK)
            if b"\x00" in chunk:
                return False
            if first and codec != "utf-8-sig" and (chunk.startswith(_UTF8_BOM) or not _codec_allowed(codec, chunk)):
                return None
            first = False
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return None
            length += len(text)
            controls += len(_CONTROL_RE.findall(text))
            visible = visible or (bool(text) and not text.isspace())
            if not chunk:
                break
    return controls * _CONTROL_RATIO <= length if visible else length > 0


def _codec_allowed(codec: str, head: bytes) -> bool:
    return codec != "latin-1" or _normalizer_agrees(head)


def iter_lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's physical lines, as ``split_lines`` cuts them, read one at a time."""
    with path.open(encoding=encoding, newline=None) as handle:
        for line in handle:
            yield line[:-1] if line.endswith("\n") else line


def decode_head(head: bytes) -> str | None:
    """The first bytes of a file as text, or None when they are not plausible text.

    ``head`` may end in the middle of a UTF-8 sequence; that is tolerated.
    """
    return _decode(head, final=False) if head else None


def looks_like_text(head: bytes) -> bool:
    """True when the first bytes of a file decode to plausible text."""
    return decode_head(head) is not None


def split_lines(text: str) -> list[str]:
    """Physical lines, with ``\\n``, ``\\r\\n`` and old-Mac bare ``\\r`` all ending one."""
    lines = _LINE_BREAK_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _decode(data: bytes, *, final: bool) -> str | None:
    if b"\x00" in data:
        return None
    for attempt in (_try_utf8, _try_cp1252, _try_latin1):
        text = attempt(data, final)
        if text is not None:
            return text if _plausible(text) else None
    return None


def _try_utf8(data: bytes, final: bool) -> str | None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff")


def _try_cp1252(data: bytes, final: bool) -> str | None:
    if data.startswith(_UTF8_BOM):
        return None  # claimed UTF-8 but is not: do not guess further
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _try_latin1(data: bytes, final: bool) -> str | None:
    if data.startswith(_UTF8_BOM) or not _normalizer_agrees(data):
        return None
    return data.decode("latin-1")


def _normalizer_agrees(data: bytes) -> bool:
    from charset_normalizer import from_bytes

    return from_bytes(data[:65536]).best() is not None


def _plausible(text: str) -> bool:
    if not text.strip():
        return bool(text)
    controls = len(_CONTROL_RE.findall(text))
    return controls * _CONTROL_RATIO <= len(text)
