"""PDF parser: text lines, positioned words and ruled tables, page by page (pdfplumber).

pdfplumber is imported only when a PDF is parsed. Each page's layout cache is
dropped once the page is read, and the pages of a PDF longer than ``KEEP_PAGES`` are
not held: each is pickled into a spool (an unnamed temporary file) as it is read, and
the document's pages (``Streamed``) are read back from it page by page whenever they
are iterated, so memory stays flat on long documents (a page's words and their boxes
are what a PDF's parse holds: 26 MiB for 200 pages, when they were all kept).
"""

from __future__ import annotations

import logging
import pickle
import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from parser_service.document import BBox, Block, CellValue, Page, Provenance, Row, Streamed, Table, Word
from parser_service.errors import CorruptFileError, EncryptedFileError, InputError, NoTextLayerError
from parser_service.parsers import limits, pdf_limits
from parser_service.parsers.base import Parser
from parser_service.parsers.limits import too_large
from parser_service.parsers.pdf_limits import LimitExceeded
from parser_service.parsers.spool import Spool

#: Readers accept the ``%PDF-`` marker after up to 1 KiB of leading whitespace.
_MAX_MARKER_OFFSET = 1024
_LEADING_JUNK = b" \t\r\n\x0c\x00"
_UTF8_BOM = b"\xef\xbb\xbf"
ENCRYPTED = "the PDF is encrypted; remove the password and try again"
NO_TEXT = "the PDF has no text layer (a scan?); OCR is not available in parser-service"
#: Errors pdfminer lets escape on malformed input besides its own exceptions.
_LOW_LEVEL_ERRORS = (
    ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError,
    NotImplementedError, RecursionError, struct.error, zlib.error,
)
_NUMBER_NOISE = re.compile(r"[\s,.'+\-%€$£¥]")
#: A PDF of more pages than this is not held: its pages are spooled as they are read.
KEEP_PAGES = 20


class PdfParser(Parser):
    name = "pdf"
    media_type = "application/pdf"
    priority = 10

    def sniff(self, path: Path, head: bytes) -> bool:
        start = head[: _MAX_MARKER_OFFSET + 5]
        start = start.removeprefix(_UTF8_BOM)
        return start.lstrip(_LEADING_JUNK).startswith(b"%PDF-")

    def parse(self, path: Path, filename: str) -> Sequence[Page]:
        from pdfminer.psexceptions import PSException
        from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

        # pdfminer logs a warning per damaged operator; the outcome is our one clear error
        logging.getLogger("pdfminer").setLevel(logging.ERROR)
        try:
            with pdf_limits.budget() as used:
                pages, has_words = _read_pages(path, used)
        except LimitExceeded as exc:
            raise too_large(filename, str(exc)) from exc
        except (PdfminerException, PSException, MalformedPDFException, *_LOW_LEVEL_ERRORS) as exc:
            raise _input_error(exc, filename) from exc
        if not has_words:
            raise NoTextLayerError(filename, NO_TEXT)
        return pages


def _input_error(exc: Exception, filename: str) -> InputError:
    """The error for a pdfminer failure; pdfplumber wraps the cause in its first arg."""
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import PdfminerException

    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, LimitExceeded):
        return too_large(filename, str(cause))
    if isinstance(cause, PDFEncryptionError):
        return EncryptedFileError(filename, ENCRYPTED)
    detail = str(cause) or type(cause).__name__
    return CorruptFileError(filename, f"the PDF is damaged or truncated ({detail})")


def _read_pages(path: Path, used: pdf_limits.Budget) -> tuple[Sequence[Page], bool]:
    """The pages (held, or spooled beyond ``KEEP_PAGES``), and whether any has words."""
    import pdfplumber

    held: list[Page] = []
    spool: Spool | None = None
    has_words = False
    # a file object: pdfplumber then leaves it to us to close, and does not list every
    # page of the document at once, as its ``close`` would (``_pages`` stops at the limit)
    with path.open("rb") as handle:
        pdf = pdfplumber.open(handle)
        for number, pdf_page in enumerate(_pages(pdf), start=1):
            used.start_page()
            try:
                page = _read_page(pdf_page, number)
            finally:
                pdf_page.close()
            has_words = has_words or bool(page.words)
            if spool is None:
                held.append(page)
                if len(held) > KEEP_PAGES:
                    spool = Spool(chunk=1)
                    for kept in held:
                        spool.append(pickle.dumps(kept, pickle.HIGHEST_PROTOCOL))
                    held = []
            else:
                spool.append(pickle.dumps(page, pickle.HIGHEST_PROTOCOL))
    if spool is None:
        return held, has_words
    return Streamed(len(spool), lambda: _unpickled(spool)), has_words


def _pages(pdf: Any) -> Iterator[Any]:
    """The document's pages as pdfplumber pages, made one at a time, up to ``limits.MAX_PDF_PAGES``."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page as PlumberPage

    doctop = 0.0
    for number, page_object in enumerate(PDFPage.create_pages(pdf.doc), start=1):
        if number > limits.MAX_PDF_PAGES:
            raise LimitExceeded(f"the PDF has more than {limits.MAX_PDF_PAGES:,} pages (the limit)")
        page = PlumberPage(pdf, page_object, page_number=number, initial_doctop=doctop)
        doctop += float(page.height)
        yield page


def _unpickled(spool: Spool) -> Iterator[Page]:
    """The pages of ``spool`` (pickled by this parser into its own unnamed file)."""
    for data in spool:
        yield pickle.loads(data)  # noqa: S301 (our own spool, never outside input)


def _read_page(pdf_page: Any, number: int) -> Page:
    return Page(
        number=number,
        blocks=_blocks(pdf_page, number),
        words=_words(pdf_page, number),
        tables=_tables(pdf_page, number),
        width=float(pdf_page.width),
        height=float(pdf_page.height),
    )


def _bbox(obj: Any) -> BBox:
    """(x0, top, x1, bottom) of a pdfplumber dict, or of a bbox tuple."""
    if isinstance(obj, dict):
        obj = (obj["x0"], obj["top"], obj["x1"], obj["bottom"])
    return tuple(round(float(v), 2) for v in obj)  # type: ignore[return-value]


def _blocks(pdf_page: Any, number: int) -> list[Block]:
    lines = pdf_page.extract_text_lines(return_chars=True)
    return [
        Block(_with_gaps(line["text"], line["chars"]), Provenance(page=number, bbox=_bbox(line)))
        for line in lines
        if line["text"].strip()
    ]


#: A space wider than this many font sizes parts two columns of a line.
COLUMN_GAP_EMS = 1.5
#: How a column gap is written in the text: wider than any word space.
COLUMN_GAP = "   "


def _with_gaps(text: str, chars: list[dict[str, Any]]) -> str:
    """``text`` (pdfplumber's line, words parted by one space) with each space that is
    wider than ``COLUMN_GAP_EMS`` font sizes on the page written as ``COLUMN_GAP``: two
    columns set on one line ("MUSTERLIEFERANT GMBH      MUSTER-KUNDE GMBH") stay apart."""
    out: list[str] = []
    at = 0
    previous: dict[str, Any] | None = None
    for char in chars:
        glyph = char["text"]
        if not glyph.strip():
            continue
        found = text.find(glyph, at)
        if found < 0:
            return text  # pdfplumber's text does not follow its characters: keep it as it is
        between = text[at:found]
        if previous is not None and between and not between.strip():
            wide = char["x0"] - previous["x1"] > COLUMN_GAP_EMS * float(previous.get("size") or 0)
            between = COLUMN_GAP if wide else between
        out.append(between + glyph)
        at = found + len(glyph)
        previous = char
    return "".join(out) + text[at:]


def _words(pdf_page: Any, number: int) -> list[Word]:
    return [
        Word(word["text"], Provenance(page=number, bbox=_bbox(word)))
        for word in pdf_page.extract_words()
    ]


def _tables(pdf_page: Any, number: int) -> list[Table]:
    tables = (_table(found, number) for found in pdf_page.find_tables())
    return [table for table in tables if table is not None]


def _table(found: Any, number: int) -> Table | None:
    """A pdfplumber table, or None for a frame around text (one value per row)."""
    cells = [[_cell(value) for value in row] for row in found.extract()]
    if all(sum(value is not None for value in row) <= 1 for row in cells):
        return None
    table_bbox = _bbox(found.bbox)
    row_boxes = [_bbox(row.bbox) for row in found.rows]
    if len(row_boxes) != len(cells):
        row_boxes = [table_bbox] * len(cells)
    rows = [
        Row(values, Provenance(page=number, bbox=box)) for values, box in zip(cells, row_boxes)
    ]
    header: list[str] = []
    if len(rows) >= 2 and _looks_like_header(rows[0].values):
        header = [str(value or "") for value in rows.pop(0).values]
    return Table(header=header, rows=rows, provenance=Provenance(page=number, bbox=table_bbox))


def _cell(value: str | None) -> CellValue:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def _looks_like_header(values: list[CellValue]) -> bool:
    """All cells are non-empty text and most of them are not numbers."""
    if not values or any(not isinstance(value, str) for value in values):
        return False
    numeric = sum(_is_number(value) for value in values if isinstance(value, str))
    return numeric * 2 < len(values)


def _is_number(text: str) -> bool:
    """"1,234.50", "-98,76", "624,90 €", "12 %" are numbers; dates are not."""
    return _NUMBER_NOISE.sub("", text).isdigit()
