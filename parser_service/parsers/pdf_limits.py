"""Bounds on what a PDF may unpack to while pdfminer reads it (``limits``: the figures).

pdfminer decodes a stream whole (``zlib.decompress``, its LZW and run-length decoders)
the first time it is used, and keeps it: one 1 MB stream of zeros inflated to 1 GiB,
and a few kilobytes of text operators drew millions of characters, each a dict of its
own. Every stream pdfminer decodes goes through ``PDFStream.decode``; every object a
page draws through pdfplumber's ``tag_cur_item``, every path segment through one of
the interpreter's path operators. Within ``budget()`` the hooks below decode each
filter incrementally, never past ``MAX_PDF_STREAM_BYTES`` nor past what is left of
``MAX_PDF_DECODED_BYTES``, and count the characters and the shapes drawn, per page
and per document; past a limit they raise ``LimitExceeded``, which the parser reports as
``FileTooLargeError``. Outside ``budget()`` (another caller of pdfminer in this
process) pdfminer runs as it was.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from parser_service.parsers import limits


class LimitExceeded(Exception):  # noqa: N818 (not an error of the file's bytes: a limit)
    """A PDF passed one of ``limits``; the message names it."""


@dataclass(slots=True)
class Budget:
    """What one document's parse has used so far."""

    decoded: int = 0
    chars: int = 0
    shapes: int = 0
    page_chars: int = 0
    page_shapes: int = 0

    def start_page(self) -> None:
        self.page_chars = self.page_shapes = 0

    def room(self) -> tuple[int, str]:
        """Bytes one more decoded stream may hold, and the limit that sets it."""
        left = limits.MAX_PDF_DECODED_BYTES - self.decoded
        if left < limits.MAX_PDF_STREAM_BYTES:
            return left, (f"the PDF's streams inflate to more than {limits.size(limits.MAX_PDF_DECODED_BYTES)} "
                          "in all (the limit per document)")
        return limits.MAX_PDF_STREAM_BYTES, (f"a stream of the PDF inflates to more than "
                                             f"{limits.size(limits.MAX_PDF_STREAM_BYTES)} (the limit per stream)")

    def charge(self, size: int) -> None:
        """Count a decoded stream of ``size`` bytes."""
        room, what = self.room()
        if size > room:
            raise LimitExceeded(what)
        self.decoded += size

    def char(self) -> None:
        """Count one character drawn on the page."""
        self.page_chars += 1
        self.chars += 1
        if self.page_chars > limits.MAX_PDF_PAGE_CHARS:
            raise LimitExceeded(f"a page of the PDF draws more than {limits.MAX_PDF_PAGE_CHARS:,} characters (the limit per page)")
        if self.chars > limits.MAX_PDF_CHARS:
            raise LimitExceeded(f"the PDF's pages draw more than {limits.MAX_PDF_CHARS:,} characters (the limit per document)")

    def shape(self) -> None:
        """Count one path segment, shape or image drawn on the page."""
        self.page_shapes += 1
        self.shapes += 1
        if self.page_shapes > limits.MAX_PDF_PAGE_SHAPES:
            raise LimitExceeded(
                f"a page of the PDF draws more than {limits.MAX_PDF_PAGE_SHAPES:,} path segments and shapes (the limit per page)"
            )
        if self.shapes > limits.MAX_PDF_SHAPES:
            raise LimitExceeded(
                f"the PDF's pages draw more than {limits.MAX_PDF_SHAPES:,} path segments and shapes (the limit per document)"
            )


_CURRENT: ContextVar[Budget | None] = ContextVar("parser_service_pdf_budget", default=None)
_INSTALL_LOCK = threading.Lock()
_installed = False


@contextmanager
def budget() -> Iterator[Budget]:
    """Bound the pdfminer work done in this block (this thread, this context)."""
    _install()
    current = Budget()
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def _install() -> None:
    """Put the bounded decoders and the drawing counter into pdfminer and pdfplumber (once)."""
    global _installed
    with _INSTALL_LOCK:
        if _installed:
            return
        from pdfminer import pdftypes
        from pdfminer.pdfinterp import PDFPageInterpreter
        from pdfplumber.page import PDFPageAggregatorWithMarkedContent as Device

        pdftypes.zlib = _Zlib(pdftypes.zlib)  # type: ignore[assignment]
        pdftypes.decompress_corrupted = _gated(pdftypes.decompress_corrupted, _inflate_corrupted)  # type: ignore[assignment]
        pdftypes.lzwdecode = _gated(pdftypes.lzwdecode, _lzw)  # type: ignore[assignment]
        pdftypes.rldecode = _gated(pdftypes.rldecode, _run_length)  # type: ignore[assignment]
        pdftypes.PDFStream.decode = _counted_decode(pdftypes.PDFStream.decode)  # type: ignore[method-assign,assignment]
        Device.tag_cur_item = _counted_tag(Device.tag_cur_item)  # type: ignore[method-assign,assignment]
        for operator in _PATH_OPERATORS:  # a path's segments are held until it is painted
            setattr(PDFPageInterpreter, operator, _counted_segment(getattr(PDFPageInterpreter, operator)))
        _installed = True


def _gated(original: Callable[[bytes], bytes], bounded: Callable[[bytes, int, str], bytes]) -> Callable[[bytes], bytes]:
    def decode(data: bytes) -> bytes:
        current = _CURRENT.get()
        if current is None:
            return original(data)
        return bounded(data, *current.room())

    return decode


class _Zlib:
    """``zlib`` as pdfminer's ``pdftypes`` sees it: ``decompress`` bounded within a budget."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.error = module.error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def decompress(self, data: bytes) -> bytes:
        current = _CURRENT.get()
        if current is None:
            return bytes(self._module.decompress(data))
        return _inflate(data, *current.room())


def _inflate(data: bytes, room: int, what: str) -> bytes:
    """``data`` inflated, never holding more than ``room`` + 1 bytes; a truncated stream
    gives what it holds (as pdfminer's fallback does), a damaged one ``zlib.error``."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, room + 1)
    if len(out) > room:
        raise LimitExceeded(what)
    return out


def _inflate_corrupted(data: bytes, room: int, what: str) -> bytes:
    """pdfminer's ``decompress_corrupted`` (a stream whose checksum is damaged: what
    inflates before it), in one pass rather than byte by byte."""
    return _inflate(data[:-3], room, what)


def _lzw(data: bytes, room: int, what: str) -> bytes:
    """pdfminer's LZW decoder, stopped once past ``room``."""
    from pdfminer.lzw import CorruptDataError, LZWDecoder

    decoder = LZWDecoder(BytesIO(data))
    out = bytearray()
    while True:
        try:
            code = decoder.readbits(decoder.nbits)
        except EOFError:
            break
        try:
            out += decoder.feed(code)
        except CorruptDataError:
            break
        if len(out) > room:
            raise LimitExceeded(what)
    return bytes(out)


def _run_length(data: bytes, room: int, what: str) -> bytes:
    """RunLengthDecode (PDF 1.7, 7.4.5), stopped once past ``room``; a truncated run ends it."""
    out = bytearray()
    at, end = 0, len(data)
    while at < end:
        length = data[at]
        at += 1
        if length == 128:
            break
        if length < 128:
            out += data[at : at + length + 1]
            at += length + 1
        elif at < end:
            out += data[at : at + 1] * (257 - length)
            at += 1
        if len(out) > room:
            raise LimitExceeded(what)
    return bytes(out)


def _counted_decode(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def decode(stream: Any) -> None:
        original(stream)
        current = _CURRENT.get()
        if current is not None:
            current.charge(len(stream.data or b""))

    return decode


def _counted_tag(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """pdfplumber's device calls ``tag_cur_item`` after each object it adds to the page."""
    from pdfminer.layout import LTChar

    def tag_cur_item(device: Any) -> None:
        current = _CURRENT.get()
        if current is not None and device.cur_item._objs:
            if isinstance(device.cur_item._objs[-1], LTChar):
                current.char()
            else:
                current.shape()
        original(device)

    return tag_cur_item


#: pdfminer's path operators: moveto, lineto, curveto (three forms), rectangle.
_PATH_OPERATORS = ("do_m", "do_l", "do_c", "do_v", "do_y", "do_re")


def _counted_segment(original: Callable[..., None]) -> Callable[..., None]:
    """``original`` counted as a shape. The interpreter pops as many operands as the
    operator's function names (``__code__.co_argcount``): the wrapper names as many."""

    def count() -> None:
        current = _CURRENT.get()
        if current is not None:
            current.shape()

    def two(self: Any, a: Any, b: Any) -> None:
        count()
        original(self, a, b)

    def four(self: Any, a: Any, b: Any, c: Any, d: Any) -> None:
        count()
        original(self, a, b, c, d)

    def six(self: Any, a: Any, b: Any, c: Any, d: Any, e: Any, f: Any) -> None:
        count()
        original(self, a, b, c, d, e, f)

    wrappers: dict[int, Callable[..., None]] = {2: two, 4: four, 6: six}
    return wrappers.get(original.__code__.co_argcount - 1, original)
