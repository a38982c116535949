"""Column-mapping accuracy: for sheets whose headers nobody here chose, the share of
(sheet, field) pairs whose column(s) the mapping found, a field rightly left without a
column included.

Each sheet ``NAME.csv`` or ``NAME.xlsx`` has beside it ``NAME.mapping.json``, a labelling
of which header holds each target field (a list: the field spans those columns, compared
as a set; null: no column holds it) and its ``_kind``; the target schema of a kind is
``KIND.schema.json`` in the schema folder, written from the fields' meaning. A bank
export may instead have ``FILE.mapping.ini``, bank2ynab's own section for that bank:
its ``Input Columns`` name each column's role by position (Date, Payee, Memo, Inflow or
Outflow, skip), read as the fields date, payee, memo and amount of the kind
``transactions``. The sheet is read by the project's own parsers; a sheet they read no
table from maps no field.

``HELD_OUT`` names the sheets no rule or glossary word was written while looking at,
and the bank2ynab-labelled exports are a second held-out set; each is reported apart
from the rest (the development set).

A folder with ``exports.json`` (bank exports with their transactions' truth,
``NAME.truth.json``: date and amount of each) is scored on date and amount alone, the
truth's columns found by matching values: the date column(s) whose dates cover the
truth's, the amount column (or signed pair of columns) whose numbers do, either sign.

``--methods names,model,combined`` maps every sheet by each method (``mapping.METHODS``;
the model's choices asked once per sheet) and prints the sets side by side with the
seconds each method took per sheet.

    python -m parser_service.bench.columns SHEETS_DIR [BANK_DIR ...] [--schemas DIR] [--only SET]
        [--methods names,model,combined]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parser_service.bench.columns_unseen import UNSEEN_GROUP, unseen_sheets
from parser_service.document import Document, Table
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.schemas.json_schema import compile_schema
from parser_service.tables.choice import Choices, ModelChooser
from parser_service.tables.fields import targets_of
from parser_service.tables.mapping import METHODS, TableMapping
from parser_service.tables.rows import table_mapping

HELD_OUT = frozenset({
    "invoiceninja_wave_clients", "magento_address_import_update", "thunderbird_csv_semicolon",
    "magento_products_to_import", "shopware5_article_price_profile",
})  # fmt: skip
#: The sets reported apart: bank exports labelled by bank2ynab's mapping are a second
#: held-out set; a label's own ``_group`` names its set (csv2ofx's exports, labelled
#: from csv2ofx's mappings, a third).
GROUPS = ("dev", "held-out", "held-out banks", "held-out csv2ofx", UNSEEN_GROUP)
DEFAULT_SCHEMAS = Path("tests/data/spreadsheets")


@dataclass(frozen=True, slots=True)
class Pair:
    """One (sheet, field) pair: the truth's columns, the mapping's, and its confidence."""

    sheet: str
    field: str
    truth: frozenset[str]
    found: frozenset[str]
    confidence: float
    group: str

    @property
    def right(self) -> bool:
        return self.truth == self.found


def truth_columns(label: Any) -> frozenset[str]:
    """A label's columns: a header, a list of headers or null."""
    if label is None:
        return frozenset()
    return frozenset(map(_header, [label] if isinstance(label, str) else label))


def _header(name: str) -> str:
    """A header as labels and parsers may both write it: no padding, no quotes round it."""
    return name.strip().strip('"').strip()


def evaluate(
    sheet: Path, truth: dict[str, Any], schemas: Path, chooser: ModelChooser | None = None, method: str = "names"
) -> list[Pair]:
    """The pairs of one sheet."""
    schema = json.loads((schemas / f"{truth['_kind']}.schema.json").read_text(encoding="utf-8"))
    targets = targets_of(compile_schema(schema, truth["_kind"]))
    table = _table(parse_file(sheet, builtin_parsers()), truth.get("_sheet"))
    mapping = table_mapping(targets, table, chooser, method) if table is not None else None
    if "_derive" in truth:
        derived = truth["_derive"](table, mapping) if table is not None else {}
        targets = [t for t in targets if t.name in derived]
        truth = {**truth, **derived}
    group = truth.get("_group") or (
        "held-out banks" if "_roles" in truth else "held-out" if _stem(sheet) in HELD_OUT else "dev"
    )
    if "_roles" in truth:
        truth = {**truth, **_by_role(truth["_roles"], table.header if table is not None else [])}
    return [_pair(_stem(sheet), t.name, truth.get(t.name), mapping, group) for t in targets]


#: bank2ynab's column roles -> the ``transactions`` schema's fields.
ROLES = {"date": "date", "payee": "payee", "memo": "memo", "inflow": "amount", "outflow": "amount"}


def _by_role(roles: list[str], header: list[str]) -> dict[str, Any]:
    """Field -> the header at each position bank2ynab gives that role."""
    out: dict[str, list[str]] = {}
    for position, role in enumerate(roles):
        field = ROLES.get(role.strip().casefold())
        if field is not None:
            out.setdefault(field, []).append(header[position] if position < len(header) else f"#{position + 1}")
    return out


def _stem(sheet: Path) -> str:
    return sheet.name.split(".")[0]


def _pair(sheet: str, name: str, label: Any, mapping: TableMapping | None, group: str) -> Pair:
    found = mapping.fields[name] if mapping is not None else None
    columns = frozenset(map(_header, found.columns)) if found else frozenset()
    return Pair(sheet, name, truth_columns(label), columns, found.confidence if found else 0.0, group)


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
    for label in sorted(folder.glob("*.mapping.ini")):
        sheet = label.with_name(label.name[: -len(".mapping.ini")])
        if sheet.is_file():
            out.append((sheet, {"_kind": "transactions", "_roles": _input_columns(label)}))
    return out


def _input_columns(label: Path) -> list[str]:
    """bank2ynab's ``Input Columns = Date,skip,Payee,...`` line."""
    for line in label.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip().casefold() == "input columns":
            return value.split(",")
    return []


def accuracy(pairs: list[Pair]) -> float:
    return sum(p.right for p in pairs) / len(pairs) if pairs else 0.0


def report(pairs: list[Pair]) -> str:
    """The table: one line per sheet (its misses spelt out), then each set's accuracy."""
    lines = [f"{'sheet':40} {'set':14} {'right':>6}  misses (field: found / truth)"]
    for sheet in dict.fromkeys(p.sheet for p in pairs):
        mine = [p for p in pairs if p.sheet == sheet]
        misses = "; ".join(f"{p.field}: {sorted(p.found)} / {sorted(p.truth)}" for p in mine if not p.right)
        lines.append(f"{sheet:40} {mine[0].group:14} {sum(p.right for p in mine):>3}/{len(mine):<2}  {misses}")
    for group in (*GROUPS, "all"):
        chosen = [p for p in pairs if group in ("all", p.group)]
        sheets_in = len({p.sheet for p in chosen})
        by_field = ", ".join(
            f"{f} {accuracy([p for p in chosen if p.field == f]):.2f}" for f in dict.fromkeys(p.field for p in chosen)
        )
        lines.append(
            f"accuracy {group}: {accuracy(chosen):.3f} ({sum(p.right for p in chosen)}/{len(chosen)} pairs, {sheets_in} sheets)"
            f"  mean confidence right {_mean_confidence(chosen, True)} / wrong {_mean_confidence(chosen, False)}  {by_field}"
        )
    return "\n".join(lines)


def _mean_confidence(pairs: list[Pair], right: bool) -> str:
    chosen = [p.confidence for p in pairs if p.right == right]
    return f"{sum(chosen) / len(chosen):.2f}" if chosen else "-"


class MemoChooser(ModelChooser):
    """A chooser that asks the model once per table, however many methods read it."""

    def __init__(self, chooser: ModelChooser) -> None:
        super().__init__(chooser.backend)
        self.seen: dict[Any, dict[str, Choices]] = {}

    def choose(self, targets: Any, columns: Any, fits: Any) -> dict[str, Choices]:
        key = (tuple(t.name for t in targets), tuple((c, tuple(map(str, v[:5]))) for c, v in columns.items()))
        if key not in self.seen:
            self.seen[key] = super().choose(targets, columns, fits)
        return self.seen[key]


def side_by_side(runs: dict[str, tuple[list[Pair], float]]) -> str:
    """One line per set: each method's accuracy, then its seconds per sheet."""
    lines = [f"{'set':18} " + " ".join(f"{m:>10}" for m in runs) + "   seconds per sheet: " + ", ".join(runs)]
    for group in (*GROUPS, "all"):
        cells = []
        for pairs, _ in runs.values():
            chosen = [p for p in pairs if group in ("all", p.group)]
            cells.append(f"{accuracy(chosen):>10.3f}" if chosen else f"{'-':>10}")
        if any(c.strip() != "-" for c in cells):
            lines.append(f"{group:18} " + " ".join(cells))
    sheets_in = len({p.sheet for p in next(iter(runs.values()))[0]}) or 1
    lines.append(f"{'seconds per sheet':18} " + " ".join(f"{s / sheets_in:>10.2f}" for _, s in runs.values()))
    if "model" in runs and "combined" in runs:
        lines.append("(combined reads the answers the model gave once per sheet: its seconds add to the model's)")
    return "\n".join(lines)


def _labelled(folders: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    return [item for folder in folders for item in (unseen_sheets(folder) or sheets(folder))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="sheets with their NAME.mapping.json (or .ini) labels")
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS, help="KIND.schema.json files")
    parser.add_argument("--only", choices=(*GROUPS, "all"), default="all", help="which set to report")
    parser.add_argument("--methods", default="names", help=f"comma-separated, of: {', '.join(METHODS)}")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip() in METHODS]
    chooser = _chooser() if set(methods) - {"names"} else None
    labelled = _labelled(args.folders)
    runs = {}
    for method in methods:
        started = time.perf_counter()
        pairs = [p for sheet, truth in labelled for p in evaluate(sheet, truth, args.schemas, chooser, method)]
        runs[method] = ([p for p in pairs if args.only in ("all", p.group)], time.perf_counter() - started)
        print(f"== {method}\n{report(runs[method][0])}\n", flush=True)
    print(side_by_side(runs))
    return 0


def _chooser() -> MemoChooser:
    """The embedded model, asked in large batches (each table's requests share a prompt)."""
    from parser_service.backends import load_backend
    from parser_service.settings import Settings

    return MemoChooser(ModelChooser(load_backend(Settings(batch_size=32))))


if __name__ == "__main__":
    sys.exit(main())
