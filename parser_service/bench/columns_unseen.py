"""Column truth of bank exports whose truth is their transactions, not their columns.

A folder's ``exports.json`` lists exports (``name``, ``document``) and each has
``NAME.truth.json``: the date and amount of every transaction, from a third party's
importer. The columns that hold them are found by matching values over all rows: a
date column whose dates cover ``COVER`` of the truth's dates (several may: booking and
value dates), an amount column whose numbers do in either sign (a card's statement
counts spending as positive), or a signed pair of columns (money in and out). The
mapping is right when it found one of these; a field no column matches is not scored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from itertools import combinations
from pathlib import Path
from typing import Any

from parser_service.document import CellValue, Table
from parser_service.records import iter_rows
from parser_service.tables.mapping import TableMapping
from parser_service.tables.pairs import complementary
from parser_service.tables.rows import columns_of
from parser_service.tables.values import UNREADABLE, read_field
from parser_service.text.normalize import infer_dayfirst

UNSEEN_GROUP = "unseen banks"
#: Share of the truth's values a column's values must cover.
COVER = 0.8


def unseen_sheets(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Each export of ``folder`` with a label that derives its columns; [] without ``exports.json``."""
    index = folder / "exports.json"
    if not index.is_file():
        return []
    out = []
    for export in json.loads(index.read_text(encoding="utf-8")):
        truth = json.loads((folder / f"{export['name']}.truth.json").read_text(encoding="utf-8"))
        derive = partial(derived_truth, truth)
        out.append((folder / export["document"], {"_kind": "transactions", "_group": UNSEEN_GROUP, "_derive": derive}))
    return out


def derived_truth(records: list[dict[str, Any]], table: Table, mapping: TableMapping | None) -> dict[str, list[str]]:
    """Field -> the columns holding it: the mapping's own where it is one of those that
    match, else the first that matches."""
    columns = columns_of(list(iter_rows(table)))
    found = {n: m.columns for n, m in mapping.fields.items()} if mapping is not None else {}
    dates = Counter(str(r["date"])[:10] for r in records if r.get("date"))
    amounts = Counter(round(float(r["amount"]), 2) for r in records if r.get("amount") is not None)
    out = {}
    for name, matches in (("date", _date_columns(columns, dates)), ("amount", _amount_columns(columns, amounts))):
        if matches:
            mine = found.get(name, [])
            out[name] = mine if frozenset(mine) in map(frozenset, matches) else matches[0]
    return out


def _covers(values: Sequence[Any], truth: Counter[Any]) -> bool:
    return bool(truth) and sum((Counter(values) & truth).values()) >= COVER * sum(truth.values())


def _date_columns(columns: dict[str, list[CellValue]], truth: Counter[str]) -> list[list[str]]:
    out = []
    for name, cells in columns.items():
        dayfirst = infer_dayfirst(cells)
        values = [read_field({name: c}, [name], "date", dayfirst) for c in cells]
        if _covers([v for v in values if isinstance(v, str)], truth):
            out.append([name])
    return out


def _amount_columns(columns: dict[str, list[CellValue]], truth: Counter[float]) -> list[list[str]]:
    numbers = {n: [_number(n, c) for c in cells] for n, cells in columns.items()}
    numeric = [n for n, vs in numbers.items() if sum(v is not None for v in vs) >= len(vs) / 3]
    out = [[n] for n in numeric if _signed_covers([v for v in numbers[n] if v is not None], truth)]
    for a, b in combinations(numeric, 2):
        if complementary(columns[a], columns[b]):
            net = [abs(x or 0.0) - abs(y or 0.0) for x, y in zip(numbers[a], numbers[b]) if x or y]
            if _signed_covers(net, truth):
                out.append([a, b])
    return out


def _signed_covers(values: list[float], truth: Counter[float]) -> bool:
    return any(_covers([round(sign * v, 2) for v in values], truth) for sign in (1, -1))


def _number(name: str, cell: CellValue) -> float | None:
    value = read_field({name: cell}, [name], "amount", None)
    return value if isinstance(value, float) and value is not UNREADABLE else None


#: What ``unseen_sheets`` puts in a label: derives the field -> columns truth of a table.
Derive = Callable[[Table, TableMapping | None], dict[str, list[str]]]
