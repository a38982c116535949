"""Text encoding detection shared by the CSV and text parsers.

A byte-order mark names the encoding: UTF-32 or UTF-16 (little- or big-endian, as
Excel's "Unicode text" and many Windows tools write them), or UTF-8 (BOM stripped).
Without one: UTF-8, windows-1252, then latin-1 only when charset-normalizer also
finds the bytes plausible. Text with many control characters is not text at all.

A NUL is never part of text. A file that would be text but for NUL bytes is refused,
naming the first one (``nul_problem``), not read with them stripped: a stray NUL is
damage (a crash's zero padding, a binary field) or a sign of a binary file with a
text-like start, and stripping it would pass on whatever it hid. UTF-16 without a
byte-order mark (a NUL beside every ASCII character) is named as such.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from parser_service.errors import EncodingError

ENCODING_PROBLEM = "could not detect the text encoding (tried UTF-8, windows-1252, latin-1)"
UTF16_WITHOUT_BOM = (
    "looks like UTF-16 text without a byte-order mark (BOM): save it as UTF-8, or as UTF-16 with a BOM"
)
_UTF8_BOM = codecs.BOM_UTF8
#: Byte-order marks and the codec each names (that codec reads and drops the mark).
#: UTF-32's little-endian mark begins with UTF-16's: it is looked for first.
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
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
    (a large file is never held whole); raises ``EncodingError`` like it, naming the
    first NUL where the file holds one (see ``nul_problem``)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if _utf16_without_bom(head):
        raise EncodingError(filename, UTF16_WITHOUT_BOM)
    unicode_codec = _bom_codec(head)
    for codec in (unicode_codec,) if unicode_codec else ("utf-8-sig", "cp1252", "latin-1"):
        verdict = _stream_verdict(path, codec, filename)
        if verdict is not None:
            if verdict:
                return codec
            break
    raise EncodingError(filename, ENCODING_PROBLEM)


def _stream_verdict(path: Path, codec: str, filename: str) -> bool | None:
    """None: ``codec`` does not fit the bytes; else whether the text is plausible."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    length = controls = 0
    visible = False
    with path.open("rb") as handle:
        first = True
        offset = 0
        while True:
            chunk = handle.read(_CHUNK)
            if (nul := chunk.find(b"\x00")) >= 0 and codec not in ("utf-16", "utf-32"):
                raise EncodingError(filename, _nul_message(offset + nul, _line_at(path, offset + nul)))
            if first and codec != "utf-8-sig" and (chunk.startswith(_UTF8_BOM) or not _codec_allowed(codec, chunk)):
                return None
            first = False
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return None
            if (nul := text.find("\x00")) >= 0:  # U+0000 in UTF-16 or UTF-32 text
                raise EncodingError(filename, _nul_message(length + nul, None, "character"))
            length += len(text)
            controls += len(_CONTROL_RE.findall(text))
            visible = visible or (bool(text) and not text.isspace())
            offset += len(chunk)
            if not chunk:
                break
    return controls * _CONTROL_RATIO <= length if visible else length > 0


def nul_problem(head: bytes) -> str | None:
    """Why ``head``, the first bytes of a file no parser claimed, is not text where it
    would be but for its NULs: UTF-16 without a byte-order mark, or NUL bytes (the
    first one named by offset and line). None: not text either way."""
    if b"\x00" not in head or _bom_codec(head):
        return None  # a byte-order mark: the parsers read it, or the text is not plausible
    if _utf16_without_bom(head):
        return UTF16_WITHOUT_BOM
    if decode_head(head.replace(b"\x00", b"")) is None:
        return None  # binary: more than NULs is wrong with it
    offset = head.index(b"\x00")
    return _nul_message(offset, _line_of(head[:offset]))


def _nul_message(offset: int, line: int | None, unit: str = "byte") -> str:
    where = f"at offset {offset:,}" if line is None else f"at offset {offset:,} (line {line:,})"
    return (
        f"contains a NUL {unit} {where}: text holds none, so the file is damaged or is not "
        "a text or CSV file"
    )


def _line_at(path: Path, offset: int) -> int:
    """The line (as ``split_lines`` counts them) of the byte at ``offset``."""
    line, carried_cr = 1, False
    with path.open("rb") as handle:
        while offset > 0:
            chunk = handle.read(min(_CHUNK, offset))
            if not chunk:
                break
            offset -= len(chunk)
            if carried_cr and chunk.startswith(b"\n"):
                line -= 1  # "\r\n" cut between two chunks is one line end
            line += _line_of(chunk) - 1
            carried_cr = chunk.endswith(b"\r")
    return line


def _line_of(data: bytes) -> int:
    """The number of the line that goes on after ``data``."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1


def _bom_codec(data: bytes) -> str | None:
    """``utf-16`` or ``utf-32`` when ``data`` starts with that encoding's byte-order mark."""
    return next((codec for bom, codec in _UNICODE_BOMS if data.startswith(bom)), None)


def _utf16_without_bom(head: bytes) -> bool:
    """A NUL beside nearly every other byte (ASCII text in UTF-16), and the bytes read as
    plausible UTF-16 text in that byte order."""
    sample = head[: 4096 & ~1]
    if len(sample) < 4 or _bom_codec(sample):
        return False
    even, odd = sample[0::2], sample[1::2]
    for nuls, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls.count(0) >= 0.9 * len(nuls) and other.count(0) <= 0.05 * len(other):
            text = _try_codec(sample, codec, final=False)
            return text is not None and "\x00" not in text and _plausible(text)
    return False


def _codec_allowed(codec: str, head: bytes) -> bool:
    return codec != "latin-1" or _normalizer_agrees(head)


class LineTooLong(Exception):
    """A physical line longer than the most ``iter_lines`` was asked to read."""

    def __init__(self, number: int, limit: int) -> None:
        super().__init__(f"line {number:,} is longer than {limit:,} characters")
        self.number = number
        self.limit = limit


def iter_lines(path: Path, encoding: str, max_chars: int | None = None) -> Iterator[str]:
    """The file's physical lines, as ``split_lines`` cuts them, read one at a time.

    ``max_chars``: ``LineTooLong`` for a longer line, raised once that much of it has
    been read (a file that is one 50 MB line is never held whole)."""
    limit = -1 if max_chars is None else max_chars + 1
    with path.open(encoding=encoding, newline=None) as handle:
        number = 0
        while line := handle.readline(limit):
            number += 1
            if line.endswith("\n"):
                line = line[:-1]
            if max_chars is not None and len(line) > max_chars:
                raise LineTooLong(number, max_chars)
            yield line


def decode_head(head: bytes) -> str | None:
    """The first bytes of a file as text, or None when they are not plausible text.

    ``head`` may end in the middle of a UTF-8 sequence; that is tolerated.
    """
    return _decode(head, final=False) if head else None


def head_codec(head: bytes) -> str | None:
    """The codec ``decode_head`` decodes ``head`` with (to read on past the first bytes
    the same way), or None where it gives None."""
    decoded = _decode_as(head, final=False) if head else None
    return decoded[1] if decoded else None


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
    decoded = _decode_as(data, final=final)
    return decoded[0] if decoded else None


def _decode_as(data: bytes, *, final: bool) -> tuple[str, str] | None:
    """``data`` as text and the codec that decoded it (one ``open`` reads it with)."""
    if codec := _bom_codec(data):
        text = _try_codec(data, codec, final)
        return (text, codec) if text is not None and "\x00" not in text and _plausible(text) else None
    if b"\x00" in data:
        return None
    for attempt, codec in ((_try_utf8, "utf-8-sig"), (_try_cp1252, "cp1252"), (_try_latin1, "latin-1")):
        text = attempt(data, final)
        if text is not None:
            return (text, codec) if _plausible(text) else None
    return None


def _try_utf8(data: bytes, final: bool) -> str | None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff")


def _try_codec(data: bytes, codec: str, final: bool) -> str | None:
    """``data`` decoded with ``codec`` (its byte-order mark dropped), or None."""
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(data, final=final)
    except UnicodeDecodeError:
        return None


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
