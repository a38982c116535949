"""Column-mapping accuracy: for sheets whose headers nobody here chose, the share of
(sheet, field) pairs whose column(s) the mapping found, a field rightly left without a
column included.

Each sheet ``NAME.csv`` or ``NAME.xlsx`` has beside it ``NAME.mapping.json``, a labelling
of which header holds each target field (a list: the field spans those columns, compared
as a set; null: no column holds it) and its ``_kind``; the target schema of a kind is
``KIND.schema.json`` in the schema folder, written from the fields' meaning. The sheet
is read by the project's own parsers; a sheet they read no table from maps no field.

``HELD_OUT`` names the sheets no rule or glossary word was written while looking at;
they are reported apart from the rest (the development set).

    python -m parser_service.bench.columns SHEETS_DIR [--schemas DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parser_service.document import Document, Table
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.schemas.json_schema import compile_schema
from parser_service.tables.fields import targets_of
from parser_service.tables.mapping import TableMapping
from parser_service.tables.rows import table_mapping

HELD_OUT = frozenset({
    "invoiceninja_wave_clients", "magento_address_import_update", "thunderbird_csv_semicolon",
    "magento_products_to_import", "shopware5_article_price_profile",
})  # fmt: skip
DEFAULT_SCHEMAS = Path("tests/data/spreadsheets")


@dataclass(frozen=True, slots=True)
class Pair:
    """One (sheet, field) pair: the truth's columns, the mapping's, and its confidence."""

    sheet: str
    field: str
    truth: frozenset[str]
    found: frozenset[str]
    confidence: float

    @property
    def right(self) -> bool:
        return self.truth == self.found


def truth_columns(label: Any) -> frozenset[str]:
    """A label's columns: a header, a list of headers or null."""
    if label is None:
        return frozenset()
    return frozenset(h.strip() for h in ([label] if isinstance(label, str) else label))


def evaluate(sheet: Path, truth: dict[str, Any], schemas: Path) -> list[Pair]:
    """The pairs of one sheet."""
    schema = json.loads((schemas / f"{truth['_kind']}.schema.json").read_text(encoding="utf-8"))
    targets = targets_of(compile_schema(schema, truth["_kind"]))
    table = _table(parse_file(sheet, builtin_parsers()), truth.get("_sheet"))
    mapping = table_mapping(targets, table) if table is not None else None
    return [_pair(sheet.stem, t.name, truth.get(t.name), mapping) for t in targets]


def _pair(sheet: str, name: str, label: Any, mapping: TableMapping | None) -> Pair:
    found = mapping.fields[name] if mapping is not None else None
    columns = frozenset(c.strip() for c in found.columns) if found else frozenset()
    return Pair(sheet, name, truth_columns(label), columns, found.confidence if found else 0.0)


def _table(document: Document, sheet: str | None) -> Table | None:
    for page in document.pages:
        if sheet is None or page.name == sheet:
            for table in page.tables:
                return table
    return None


def sheets(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every labelled sheet of ``folder``, by name."""
    out = []
    for label in sorted(folder.glob("*.mapping.json")):
        stem = label.name[: -len(".mapping.json")]
        found = [p for p in (folder / f"{stem}.csv", folder / f"{stem}.xlsx") if p.is_file()]
        if found:
            out.append((found[0], json.loads(label.read_text(encoding="utf-8"))))
    return out


def accuracy(pairs: list[Pair]) -> float:
    return sum(p.right for p in pairs) / len(pairs) if pairs else 0.0


def report(pairs: list[Pair]) -> str:
    """The table: one line per sheet (its misses spelt out), then each set's accuracy."""
    lines = [f"{'sheet':40} {'set':8} {'right':>6}  misses (field: found / truth)"]
    for sheet in dict.fromkeys(p.sheet for p in pairs):
        mine = [p for p in pairs if p.sheet == sheet]
        misses = "; ".join(f"{p.field}: {sorted(p.found)} / {sorted(p.truth)}" for p in mine if not p.right)
        kind = "held-out" if sheet in HELD_OUT else "dev"
        lines.append(f"{sheet:40} {kind:8} {sum(p.right for p in mine):>3}/{len(mine):<2}  {misses}")
    for kind, chosen in (("dev", [p for p in pairs if p.sheet not in HELD_OUT]),
                         ("held-out", [p for p in pairs if p.sheet in HELD_OUT]), ("all", pairs)):  # fmt: skip
        sheets_in = len({p.sheet for p in chosen})
        lines.append(f"accuracy {kind}: {accuracy(chosen):.3f} ({sum(p.right for p in chosen)}/{len(chosen)} pairs, {sheets_in} sheets)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="sheets with their NAME.mapping.json labels")
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS, help="KIND.schema.json files")
    parser.add_argument("--only", choices=("dev", "held-out", "all"), default="all", help="which sheets to map")
    args = parser.parse_args(argv)
    pairs: list[Pair] = []
    for sheet, truth in sheets(args.folder):
        held_out = sheet.stem in HELD_OUT
        if args.only == "all" or (args.only == "held-out") == held_out:
            pairs += evaluate(sheet, truth, args.schemas)
    print(report(pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
