"""The one document model every parser produces.

A ``Document`` holds ``Page`` objects: a PDF page, a workbook sheet, or the single
part of a CSV or text file. A page holds text ``Block`` objects (lines of text in
reading order), positioned ``Word`` objects (PDF only) and ``Table`` objects made of
``Row`` objects. Every block, word, table and row carries a ``Provenance`` that says
where in the file it came from: page + bbox, sheet + cell range, or line range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, TypeVar, overload

CellValue = str | int | float | bool | None
BBox = tuple[float, float, float, float]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a piece of a document came from. Unused parts stay ``None``.

    ``page`` is 1-based; ``bbox`` is (x0, top, x1, bottom) in PDF points from the
    page's top-left corner; ``cell_range`` is an A1 range such as ``"A2:F2"``;
    ``line_start``/``line_end`` are 1-based and inclusive.
    """

    page: int | None = None
    bbox: BBox | None = None
    sheet: str | None = None
    cell_range: str | None = None
    line_start: int | None = None
    line_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("page", "bbox", "sheet", "cell_range", "line_start", "line_end"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if name == "bbox" else value
        return out


@dataclass(slots=True)
class Word:
    text: str
    provenance: Provenance


@dataclass(slots=True)
class Block:
    """A line (or paragraph) of text in reading order."""

    text: str
    provenance: Provenance


@dataclass(slots=True)
class Row:
    values: list[CellValue]
    provenance: Provenance

    def as_dict(self, header: list[str]) -> dict[str, CellValue]:
        return {name: value for name, value in zip(header, self.values) if name}


class Streamed(Sequence[T]):
    """Items read again each time they are iterated (a table's rows from the file, or
    from the spool the parser wrote them to; a long PDF's pages from theirs).

    The parser counted them once, so ``len`` is known; nothing holds them all, so a
    table of 100,000 rows costs the memory of the row being read. Indexing reads up
    to the item asked for (fine for a few; iterate for many).
    """

    def __init__(self, count: int, read: Callable[[], Iterator[T]]) -> None:
        self._count = count
        self._read = read

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        return self._read()

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            return list(islice(iter(self), start, stop, step)) if step > 0 else list(self)[index]
        position = index + self._count if index < 0 else index
        if not 0 <= position < self._count:
            raise IndexError("index out of range")
        return next(islice(iter(self), position, None))

    def __repr__(self) -> str:
        return f"Streamed({self._count} items)"


@dataclass(slots=True)
class Table:
    """A table: an optional header row and data rows, each with its provenance.

    ``rows`` is a list, or ``Streamed`` rows for a spreadsheet or CSV file, which are
    read from the file as they are iterated.
    """

    header: list[str]
    rows: Sequence[Row]
    provenance: Provenance
    preamble: list[str] = field(default_factory=list)

    def lines(self, sep: str = " | ") -> list[tuple[str, Provenance]]:
        """The header and each row as one line of text, with where it came from."""
        lines = [(sep.join(self.header), self.provenance)] if self.header else []
        lines += [(sep.join(_cell_text(v) for v in row.values), row.provenance) for row in self.rows]
        return lines

    def as_text(self, sep: str = " | ") -> str:
        return "\n".join(text for text, _ in self.lines(sep))

    def head(self, max_chars: int, sep: str = " | ") -> str:
        """``as_text(sep)[:max_chars]``, reading rows only until it is reached."""
        rows = (sep.join(_cell_text(v) for v in row.values) for row in self.rows)
        return bounded_join("\n", chain([sep.join(self.header)] if self.header else [], rows), max_chars)


@dataclass(slots=True)
class Page:
    """A PDF page, a sheet, or the single part of a CSV/text file."""

    number: int
    blocks: list[Block] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    name: str | None = None
    width: float | None = None
    height: float | None = None

    @property
    def text(self) -> str:
        if self.blocks:
            return "\n".join(block.text for block in self.blocks)
        return "\n\n".join(table.as_text() for table in self.tables)

    def head(self, max_chars: int) -> str:
        """``text[:max_chars]``, joining blocks or table rows only until it is reached."""
        if self.blocks:
            return bounded_join("\n", (block.text for block in self.blocks), max_chars)
        return bounded_join("\n\n", (table.head(max_chars) for table in self.tables), max_chars)


@dataclass(slots=True)
class Document:
    sha256: str
    filename: str
    media_type: str
    pages: Sequence[Page]  # a list, or ``Streamed`` pages for a long PDF
    size: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    def head(self, max_chars: int) -> str:
        """``text[:max_chars]``, built from the pages, blocks and table rows that make it up
        only: a 40 MB one-line text or a CSV of a million rows costs ``max_chars``
        characters (and the piece that passes them), not the whole text."""
        return bounded_join("\n\n", (page.head(max_chars) for page in self.pages), max_chars)

    def summary(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "filename": self.filename,
            "media_type": self.media_type,
            "pages": len(self.pages),
        }


def bounded_join(sep: str, pieces: Iterable[str], max_chars: int) -> str:
    """``sep.join(pieces)[:max_chars]``, drawing pieces only until the joined text reaches
    ``max_chars``."""
    taken: list[str] = []
    size = -len(sep)
    for piece in pieces:
        if size >= max_chars:
            break
        taken.append(piece)
        size += len(sep) + len(piece)
    return sep.join(taken)[:max_chars]


def _cell_text(value: CellValue) -> str:
    return "" if value is None else str(value)


def column_letter(number: int) -> str:
    """The A1 letters of a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
