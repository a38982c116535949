"""Finding the rows of a list in a record: detected tables and repeated blocks of lines.

An array of objects (invoice lines, receipt items, a CV's positions) is read row by
row, never in one capped generation. Its rows come from two places:

* the record's detected tables (a PDF's ruled tables, a sheet's rows): each data row
  with two or more cells is a row;
* blocks of lines with the same *shape* (``shape``): each line is cut into parts at
  wide gaps and at trailing numbers, each part is text (T) or numbers, a run of numbers
  money (M) where one of them is ("1.00   Design   7%   160.00 €   160.00 €" is MTM).
  Lines whose shapes repeat with a period of one to ``MAX_PERIOD`` lines form a group,
  each period a row (a description, then "Charges $0.01", then "VAT $0.00"), as do
  lines of one shape that a section's subtotal parts; a text-only line after a row
  continues it ("~2000ml" under "Ballons: various colors,").

Which group holds the list is decided by the item schema and, where the schema links
the list to a stated total, by the sums: ``rank`` orders groups by how many rows they
have and how well those fit the item's fields (a span of each field's kind in the row),
weighted up where one of their amount columns adds up to a stated total.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from parser_service.document import Provenance, Table
from parser_service.domains.domain import span_rule
from parser_service.records import Record
from parser_service.text.normalize import to_number
from parser_service.text.spans import ANY_SPAN, FINDERS, amounts

#: Rows repeat with a period of at most this many lines (a description, its charges, its tax).
MAX_PERIOD = 4
#: More text-only lines than this between two rows part them into two groups.
MAX_GAP_LINES = 3
#: A list's sum matches a stated total within a cent a row (rounding)...
SUM_TOLERANCE = 0.011
#: ... while a group of rows is ranked first only where one of its columns adds up to
#: the cent (a near miss is as likely another group's sum).
RANK_TOLERANCE = 0.005
#: Where a line's columns part: a tab, or the wide gap the PDF parser writes (3 spaces).
_GAP = re.compile(r"\t|[ \u00a0]{3,}| \| ")
_CURRENCY = r"(?:[A-Z]{3}|€|\$|£|¥|₹|zł|CHF)"
_FIGURE = r"[-−(+]?\d[\d.,']*(?:[ \u00a0]\d{3}(?!\d))*(?:[ \u00a0]?%)?\)?-?"
#: One number of a row: a figure with its currency sign or code before or after it.
_NUMBER = re.compile(rf"(?:{_CURRENCY}[ \u00a0]?)?{_FIGURE}(?:[ \u00a0]?{_CURRENCY})?\**")
_NUMBERS = re.compile(rf"{_NUMBER.pattern}(?:[ \u00a0]+{_NUMBER.pattern})*")
#: A part of a line that ends in numbers: "Coffee 2 3.50", "Net total: 496.00 €".
_TRAILING = re.compile(rf"^(.*?[^\d\s])[ \u00a0]+({_NUMBERS.pattern})$")
_FIGURE_RE = re.compile(r"[-−(]?\d[\d.,']*(?:[ \u00a0]\d{3}(?!\d))*\)?-?")
#: A quantity with its unit: "15.00 g", "1 PCS", "5Unit(s)".
_QUANTITY = re.compile(r"([-−]?\d[\d.,']*)[ \u00a0]?[^\W\d][\w()./]{0,9}")
_MONEY = re.compile(rf"[.,]\d{{1,3}}(?!\d)|{_CURRENCY}")


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of a list: its text (what the model reads and copies from) and where it is."""

    text: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class RowGroup:
    """Rows found together (a table's, or a run of same-shaped line blocks), with the
    header line over them where there is one (context for the prompt, never copied)."""

    rows: tuple[ListRow, ...]
    header: str
    kind: str  # "table" or "lines"
    lines_covered: int


def shape(line: str) -> str:
    """The line's parts as classes, each run of numbers one class: "M" where one of them is
    money, else "N" ("Ballons   19%   0.79 €" -> "TM"; "Order no: 12572103" -> "TN"), so a
    column left empty in one row (a discount) leaves its shape as it is."""
    classes = [cls for part in _GAP.split(line.strip()) if part.strip() for cls in _part_classes(part.strip())]
    return re.sub(r"[MN]+", lambda run: "M" if "M" in run.group() else "N", "".join(classes))


def _part_classes(part: str) -> list[str]:
    """T for text; per number, M for money (decimals or a currency), N for any other."""
    if _NUMBERS.fullmatch(part):
        return [_number_class(m.group()) for m in _NUMBER.finditer(part)]
    trailing = _TRAILING.match(part)
    if trailing and any(c.isalpha() for c in trailing.group(1)):
        return ["T", *(_number_class(m.group()) for m in _NUMBER.finditer(trailing.group(2)))]
    return ["T"]


def _number_class(token: str) -> str:
    return "M" if "%" not in token and _MONEY.search(token) else "N"


def _row_like(line: str, money: bool = False) -> bool:
    """Text and numbers (with ``money``, a number that is money) on one line."""
    key = shape(line)
    return "T" in key and ("M" in key or (not money and "N" in key))


def groups(record: Record) -> list[RowGroup]:
    """Every candidate group of rows in ``record``: its tables' and its line blocks'."""
    found = [g for table in record.tables if (g := _table_group(table)) is not None]
    return found + _line_groups(record)


def _table_group(table: Table) -> RowGroup | None:
    rows = []
    for row in table.rows:
        cells = [str(v).strip() for v in row.values if v is not None and str(v).strip()]
        if len(cells) >= 2:
            rows.append(ListRow("   ".join(cells), row.provenance))
    if not rows:
        return None
    header = " | ".join(h for h in table.header if h)
    return RowGroup(tuple(rows), header, "table", len(rows))


@dataclass(frozen=True, slots=True)
class _Line:
    at: int  # index among the record's lines
    text: str
    start: int  # character offset in the record's text


def _line_groups(record: Record) -> list[RowGroup]:
    lines = _lines(record.text)
    labels = _recurring_labels(lines)
    found: list[RowGroup] = []
    # a second pass over the lines that carry money, the others read as continuations
    # (an item's "Apple Magic Mouse   1" under its line amid the priced rows)
    for segment in [*_segments(lines, money=False), *_segments(lines, money=True)]:
        keys = [(shape(line.text), _label(line.text, labels)) for line in segment]
        runs = [
            (segment[start:end], period)
            for period in range(1, MAX_PERIOD + 1)
            for start, end in _periodic_runs(keys, period)
        ]
        for run, period in [*runs, *((run, 1) for run in _same_key_runs(segment, keys))]:
            group = _blocks(record, lines, run, period)
            if group not in found:
                found.append(group)
    return found


def _same_key_runs(segment: Sequence[_Line], keys: Sequence[tuple[str, str | None]]) -> list[list[_Line]]:
    """The lines of one key, two at least, where other rows come between them (a
    section's subtotal, the next section's heading), cut where more than
    ``MAX_GAP_LINES`` lines part two of them."""
    by_key: dict[tuple[str, str | None], list[_Line]] = {}
    for line, key in zip(segment, keys):
        by_key.setdefault(key, []).append(line)
    runs = []
    for members in by_key.values():
        run = [members[0]]
        for line in members[1:]:
            if line.at - run[-1].at - 1 > MAX_GAP_LINES:
                runs.append(run)
                run = []
            run.append(line)
        runs.append(run)
    return [run for run in runs if len(run) >= 2]


def _lines(text: str) -> list[_Line]:
    out, offset = [], 0
    for at, line in enumerate(text.split("\n")):
        out.append(_Line(at, line, offset))
        offset += len(line) + 1
    return out


def _recurring_labels(lines: Sequence[_Line]) -> frozenset[str]:
    """The leading text of row-like lines that recurs on several of them ("Charges",
    "VAT **"): such a line is one line of a row's block, not a row of its own."""
    counts = Counter(_lead(line.text) for line in lines if _row_like(line.text))
    return frozenset(lead for lead, n in counts.items() if n >= 2 and lead)


def _lead(line: str) -> str:
    first = _GAP.split(line.strip())[0]
    trailing = _TRAILING.match(first)
    return (trailing.group(1) if trailing else first).strip()


def _label(line: str, labels: frozenset[str]) -> str | None:
    lead = _lead(line)
    return lead if lead in labels else None


def _segments(lines: Sequence[_Line], money: bool) -> list[list[_Line]]:
    """Row-like lines, cut where more than ``MAX_GAP_LINES`` other lines part two of them."""
    segments: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if not _row_like(line.text, money):
            continue
        if current and line.at - current[-1].at - 1 > MAX_GAP_LINES:
            segments.append(current)
            current = []
        current.append(line)
    return [*segments, current] if current else segments


def _periodic_runs(keys: Sequence[tuple[str, str | None]], period: int) -> list[tuple[int, int]]:
    """(start, end) of each maximal run of whole periods whose keys repeat, two periods
    at least, each period one row's block (``_block_like``)."""
    runs, i = [], period
    while i < len(keys):
        if keys[i] != keys[i - period]:
            i += 1
            continue
        j = i
        while j < len(keys) and keys[j] == keys[j - period]:
            j += 1
        start = i - period
        end = start + (j - start) // period * period
        if end - start >= 2 * period and _block_like(keys[start : start + period]):
            runs.append((start, end))
        i = j
    return runs


def columned(line: str) -> str:
    """``line`` with a column gap between a part's text and the numbers it ends in
    ("Apple iPad Air 1 € 399,00" -> "Apple iPad Air   1 € 399,00"), as a PDF's wide gaps
    part them elsewhere: the description is then a span of its own. Only spaces change,
    so what is copied from it still occurs in the document's text."""
    parts = []
    for part in re.split(f"({_GAP.pattern})", line):
        trailing = _TRAILING.match(part) if not _GAP.fullmatch(part) else None
        split = trailing and any(c.isalpha() for c in trailing.group(1))
        parts.append(f"{trailing.group(1)}   {trailing.group(2)}" if trailing and split else part)
    return "".join(parts)


def _block_like(block: Sequence[tuple[str, str | None]]) -> bool:
    """A period of lines reads as one row where it opens with a line of its own (no
    recurring label) and every other line carries a recurring label ("Charges", "VAT"):
    two kinds of row interleaved (a tax line, then a total) do not."""
    return len(block) == 1 or (block[0][1] is None and all(label is not None for _, label in block[1:]))


def _blocks(record: Record, lines: Sequence[_Line], rows: Sequence[_Line], period: int) -> RowGroup:
    """Each ``period`` lines of ``rows`` as a row, with the text-only lines between a row
    and the next; the line before the first row, when it has columns, as the header."""
    out = []
    firsts = rows[::period]
    for n, first in enumerate(firsts):
        last = rows[n * period + period - 1].at
        stop = firsts[n + 1].at if n + 1 < len(firsts) else last + 1
        block = [*lines[first.at : last + 1], *(line for line in lines[last + 1 : stop] if not _row_like(line.text))]
        text = "\n".join(columned(line.text) for line in block)
        out.append(ListRow(text, record.provenance_at(first.start) or Provenance()))
    before = lines[rows[0].at - 1].text if rows[0].at else ""
    header = before.strip() if len(_GAP.split(before.strip())) >= 2 and not _row_like(before) else ""
    covered = firsts[-1].at + period - firsts[0].at
    return RowGroup(tuple(out), header, "lines", covered)


def rank(found: Iterable[RowGroup], item: type[BaseModel], totals: Sequence[float]) -> list[RowGroup]:
    """``found``, best first (``score``; ties: the more lines covered). A group whose
    amounts add up to a total only without its last row or two (the totals that follow
    the items, in the items' shape) is ranked as that shorter group."""
    candidates = [_trimmed(group, totals) for group in found]
    return sorted(candidates, key=lambda g: (round(score(g, item, totals), 3), g.lines_covered), reverse=True)


#: At most this many rows are dropped from a group's end for its amounts to add up.
TRAILING_TOTALS = 2


def _trimmed(group: RowGroup, totals: Sequence[float]) -> RowGroup:
    if not totals or sum_column(group, totals) is not None:
        return group
    for drop in range(1, TRAILING_TOTALS + 1):
        shorter = dataclasses.replace(group, rows=group.rows[:-drop])
        if len(shorter.rows) >= 2 and sum_column(shorter, totals) is not None:
            return shorter
    return group


def score(group: RowGroup, item: type[BaseModel], totals: Sequence[float]) -> float:
    """How likely ``group`` holds the list: its rows weighted by how well they fit
    ``item``, doubled where its last amounts add up to a stated total, half as much
    again where another column does (a payments table can add up to the grand total too,
    so fit still counts)."""
    return fit(group, item) * len(group.rows) * (1 + sums_to(group, totals) / 2)


def fit(group: RowGroup, item: type[BaseModel]) -> float:
    """How well the rows hold ``item``'s fields: per row, of each kind of span, as many
    fields as the row has spans of that kind (two amount fields, one amount: one),
    over the fields; averaged over the rows."""
    kinds = Counter(rule.kind for info in item.model_fields.values() if (rule := span_rule(info)) is not None)
    if not kinds or not group.rows:
        return 1.0
    total = sum(kinds.values()) * len(group.rows)
    return sum(min(n, _count(kind, row.text)) for row in group.rows for kind, n in kinds.items()) / total


def holds_values(group: RowGroup, item: type[BaseModel]) -> bool:
    """Whether most of the rows hold a value of one of ``item``'s kinds other than text
    (an amount, a date...), where it has such kinds: an address block or a run of
    names repeats a shape too, but holds no line items."""
    kinds = {rule.kind for info in item.model_fields.values() if (rule := span_rule(info)) is not None} - TEXT_KINDS
    if not kinds or not group.rows:
        return True
    holding = sum(any(_count(kind, row.text) for kind in kinds) for row in group.rows)
    return holding * 2 >= len(group.rows)


#: Span kinds any text is: they tell nothing about whether a row holds an item.
TEXT_KINDS = frozenset({"line", ANY_SPAN})


def _count(kind: str, text: str) -> int:
    if kind == "amount":
        return len(_numbers(text))
    if kind in TEXT_KINDS:
        return sum(cls == "T" for cls in shape(text.split("\n")[0]))
    return len(FINDERS[kind](text, 64))


def sums_to(group: RowGroup, totals: Sequence[float]) -> int:
    """2 when the rows' last amounts add up to one of ``totals`` (a row's own total is
    written last), 1 when their amounts in another position (from either end) do, else 0;
    0 for one row (a total's own row "adds up" to it)."""
    column = sum_column(group, totals)
    return 0 if column is None else 2 if column == -1 else 1


def sum_column(group: RowGroup, totals: Sequence[float]) -> int | None:
    """The position (from the start, or negative from the end; the last first) of the
    amounts of every row that add up to one of ``totals``, to the cent; None where none
    does, or the group has one row."""
    values = [_numbers(row.text) for row in group.rows]
    if not totals or len(values) < 2 or not all(values):
        return None
    width = min(len(v) for v in values)
    for position in [*range(-1, -width - 1, -1), *range(width)]:
        added = sum(v[position] for v in values)
        if any(abs(added - total) <= RANK_TOLERANCE for total in totals):
            return position
    return None


def column_spans(group: RowGroup, position: int) -> list[str]:
    """The amount at ``position`` (``sum_column``) of each row, as written."""
    return [_number_spans(row.text)[position] for row in group.rows]


def _numbers(text: str) -> list[float]:
    """The amounts of a row's text in order, repeats kept ("160.00 €   160.00 €"); no
    percentages."""
    return [to_number(span) for span in _number_spans(text)]


def _number_spans(text: str) -> list[str]:
    return [span for token in _number_tokens(text) if _number_class(token) == "M" for span in amounts(token, 24)[:1]]


def figures(text: str) -> list[str]:
    """Every number of a row's text as written, money or not ("1", "400.00", "0.79"),
    a quantity's with its unit too ("15.00 g", "5Unit(s)"), repeats kept, no
    percentages: what a row's quantities and prices are read from."""
    out = []
    for line in text.split("\n"):
        for part in _GAP.split(line.strip()):
            if quantity := _QUANTITY.fullmatch(part.strip()):
                out.append(quantity.group(1))
                continue
            tokens = _number_tokens(part)
            out += [found.group() for token in tokens if "%" not in token and (found := _FIGURE_RE.search(token))]
    return out


def _number_tokens(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        for part in _GAP.split(line.strip()):
            trailing = _TRAILING.match(part.strip())
            tail = trailing.group(2) if trailing else part
            out += [m.group() for m in _NUMBER.finditer(tail)] if _NUMBERS.fullmatch(tail.strip()) else []
    return out
