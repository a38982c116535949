"""What a document may unpack to: every parser's limits, in one place.

An upload is at most ``max_upload_mb`` (50 MB) on disk, but a few kilobytes of
compressed PDF stream or zipped sheet XML can unpack to gigabytes. Each limit below
bounds the memory and time a parse may take, whatever the file claims; a document
past one is refused with ``FileTooLargeError`` naming the limit (the job fails with
that reason), never parsed for hours or until memory runs out. A text file's long
lines are cut, not refused.

A sheet's rows, columns and cell length are bounded by Excel's own limits: no workbook
Excel writes exceeds them.
"""

from __future__ import annotations

from parser_service.errors import FileTooLargeError

MiB = 1 << 20

# --- PDF (pdfminer's stream decoding and page interpretation, hooked) --------
#: One stream decoded (each filter of a chain): a page's content, a font, an object stream.
MAX_PDF_STREAM_BYTES = 32 * MiB
#: All the streams of one document, decoded.
MAX_PDF_DECODED_BYTES = 256 * MiB
#: Characters drawn on one page (a dense page of small print holds 10,000), and on all pages.
MAX_PDF_PAGE_CHARS = 200_000
MAX_PDF_CHARS = 5_000_000
#: Path segments, shapes and images drawn on one page, and on all pages: each costs about
#: 0.4 ms to lay out and as much again to look for ruled tables among.
MAX_PDF_PAGE_SHAPES = 100_000
MAX_PDF_SHAPES = 500_000
MAX_PDF_PAGES = 10_000

# --- XLSX (the zip's parts checked before openpyxl reads them, the rows as read) ---
#: Characters in one cell (Excel's limit): a workbook with a longer cell is refused.
MAX_XLSX_CELL_CHARS = 32_767
#: Bytes between two ``<`` in the sheet or shared-strings XML: a text this long is a
#: cell longer than ``MAX_XLSX_CELL_CHARS`` whatever its encoding (an XML entity such
#: as ``&quot;`` is 6 bytes), refused before the XML reader would hold it whole.
MAX_XLSX_TEXT_BYTES = 6 * MAX_XLSX_CELL_CHARS
#: Rows of one sheet, as ``<row>`` elements and as row numbers (Excel's limit).
MAX_XLSX_ROWS = 1_048_576
#: Cells in one row (Excel's limit: column XFD).
MAX_XLSX_COLUMNS = 16_384
#: Cells of a workbook's sheets visited as read: openpyxl gives every row as wide as
#: its last cell (one cell in XFD: 16,384), empty ones included, and merged ranges are
#: filled; each row counts one more. About 0.25 µs each: 25 s.
MAX_XLSX_CELLS = 100_000_000
#: Characters in all the cells of a workbook, as read: a shared string is one text
#: however many cells show it, so a few bytes can fill millions of cells.
MAX_XLSX_CHARS = 100_000_000
MAX_XLSX_MERGED_RANGES = 1_000_000
#: Shared strings (openpyxl holds them all, reading about 50,000 a second), and their bytes.
MAX_XLSX_SHARED_STRINGS = 2_000_000
MAX_XLSX_SHARED_STRINGS_BYTES = 128 * MiB
#: Bytes of any other part openpyxl reads whole (the styles: 16 MiB of them take 9 s
#: and 270 MB), unpacked.
MAX_XLSX_PART_BYTES = 16 * MiB
#: Bytes of all the workbook's parts unpacked (as the zip's directory declares them;
#: the zip reader never yields more than declared).
MAX_XLSX_UNPACKED_BYTES = 1024 * MiB

# --- CSV (each record bounded as it is read; see ``csv_parser``) ------------------
#: Characters in one field: the ``csv`` module's own default limit, which its reader
#: enforces as it reads (the parser checks it as well, should a caller have raised
#: it). A quote that is never closed makes the rest of the file one field: it stops here.
MAX_CSV_FIELD_CHARS = 131_072
#: Characters in one record (its physical lines together), so in one line as well: a
#: row of 16,384 columns of 64 characters. What one row costs is bounded by this.
MAX_CSV_RECORD_CHARS = 1 * MiB
#: Columns in one record (Excel's limit: XFD).
MAX_CSV_COLUMNS = MAX_XLSX_COLUMNS

# --- text --------------------------------------------------------------------
#: Characters of one line of a text file: a longer line becomes blocks of at most this
#: many (cut after a space where there is one), so that nothing downstream reads one
#: line of megabytes once per label it finds on it. Nothing is refused or lost.
MAX_TEXT_LINE_CHARS = 4096


def too_large(filename: str, what: str) -> FileTooLargeError:
    """The error for a document past a limit: ``what`` names the limit."""
    return FileTooLargeError(filename, f"{what}: the document is refused")


def size(count: int) -> str:
    """A byte count as people read it: ``32 MiB``, ``196,602 bytes``."""
    return f"{count // MiB:,} MiB" if count % MiB == 0 else f"{count:,} bytes"
