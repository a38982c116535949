"""Bank exports of banks no rule here was written for: the share of their transactions
read with the right date and amount.

    python -m parser_service.bench.bank_unseen [--backend NAME] [--split dev|held-out|late|fresh]
        [--schema FILE] [--derive-truth] [--json PATH]

The exports (``tests/data/bank_unseen``, listed in its ``exports.json``) are converters'
test fixtures: each comes with the converter's expected output, a Beancount journal.
The truth of an export is derived from that journal mechanically (``--derive-truth``
writes it to ``NAME.truth.json``): each transaction's date, and the units of its posting
to the export's own account (named in ``exports.json``), so an amount is signed as the
account holder's balance moves: money out is negative, whichever way the export writes
it. A converter that drops rows (rules that ignore some) gives a truth with fewer
transactions than the export; extra records are counted, never scored.

Each export goes through the normal pipeline: ``Pipeline.extract`` with the
``bank_transactions`` domain (``--schema FILE``: a JSON Schema of the user's instead, no
plugin; its records must have ``date`` and ``amount`` fields). A truth transaction is
right when a record not matched yet has the same date and the same amount (to the
cent). The first twelve exports were split once, by the SHA-256 of their names, into a
dev half and a held-out half; the reading side was developed on the dev half only. The
``late`` ones were collected after that development ended and run once, to measure it.
The ``fresh`` ones were collected before the second round (card signs, day/month order,
headers in other scripts), which had the held-out half's failures in view: they are
the held-out part of that round. Three of them have no journal: their truth is the
converter's test assertions, transcribed with the test each value comes from.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parser_service.errors import ParserServiceError

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "bank_unseen"
DOMAIN = "bank_transactions"
#: The parts of the set: developed on, held out, collected after development ended, and
#: the fresh held-out part collected before the second round of development began.
SPLITS = ("dev", "held-out", "late", "fresh")
_TRANSACTION = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+[*!]")
_POSTING = re.compile(r"^\s+([A-Z][\w:-]*)\s+(-?\d+(?:\.\d+)?)\s+[A-Z]{3}\b")


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    document: Path
    #: The converter's journal; None where the truth is the converter's test assertions,
    #: transcribed into ``NAME.truth.json`` with the test each value comes from.
    expected: Path | None
    account: str
    split: str

    @property
    def truth_path(self) -> Path:
        return self.document.with_name(f"{self.name}.truth.json")


@dataclass(frozen=True, slots=True)
class Score:
    export: Export
    truth: int
    found: int
    right: int
    note: str = ""

    @property
    def share(self) -> float:
        return self.right / self.truth if self.truth else 0.0


def load_exports(folder: Path = DATA) -> list[Export]:
    listed = json.loads((folder / "exports.json").read_text(encoding="utf-8"))
    return [
        Export(e["name"], folder / e["document"], _path(folder, e["expected"]), e["account"], e["split"])
        for e in listed
    ]


def _path(folder: Path, name: str | None) -> Path | None:
    return folder / name if name else None


def beancount_truth(text: str, account: str) -> list[dict[str, Any]]:
    """Date and ``account``'s posting of each transaction of a Beancount journal, in order."""
    truth: list[dict[str, Any]] = []
    date: str | None = None
    for line in text.splitlines():
        if m := _TRANSACTION.match(line):
            date = m[1]
        elif date and (m := _POSTING.match(line)) and m[1] == account:
            truth.append({"date": date, "amount": float(m[2])})
            date = None
    return truth


def derive_truth(exports: Iterable[Export]) -> None:
    for export in exports:
        if export.expected is None:  # the truth is the converter's test assertions
            continue
        truth = beancount_truth(export.expected.read_text(encoding="utf-8"), export.account)
        export.truth_path.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")


def read_truth(export: Export) -> list[tuple[str, float]]:
    return [(t["date"], float(t["amount"])) for t in json.loads(export.truth_path.read_text(encoding="utf-8"))]


def record_values(data: dict[str, Any] | None) -> tuple[str, float] | None:
    """A record's date (ISO) and amount, None when either is missing or unreadable."""
    if not data:
        return None
    date, amount = data.get("date"), data.get("amount")
    if isinstance(date, (datetime.date, datetime.datetime)):
        date = date.isoformat()[:10]
    try:
        return (str(date)[:10], float(amount)) if date and amount is not None else None
    except (TypeError, ValueError):
        return None


def matched(truth: Sequence[tuple[str, float]], found: Sequence[tuple[str, float] | None]) -> int:
    """Truth transactions with a record of the same date and amount, each record used once."""
    left = [f for f in found if f is not None]
    right = 0
    for date, amount in truth:
        hit = next((i for i, (d, a) in enumerate(left) if d == date and abs(a - amount) < 0.005), None)
        if hit is not None:
            right += 1
            left.pop(hit)
    return right


def score(export: Export, pipeline: Any, target: Any) -> Score:
    truth = read_truth(export)
    try:
        result = pipeline.extract(export.document, domain=target, filename=export.document.name)
    except ParserServiceError as exc:
        return Score(export, len(truth), 0, 0, f"{type(exc).__name__}: {exc}"[:160])
    found = [record_values(r.data) for r in result.all_records()]
    return Score(export, len(truth), len(found), matched(truth, found))


def table(scores: Sequence[Score]) -> str:
    lines = ["| export | split | in truth | records | right date+amount | share | note |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for s in scores:
        lines.append(
            f"| {s.export.name} | {s.export.split} | {s.truth} | {s.found} | {s.right} | {s.share:.2f} | {s.note} |"
        )
    for split in (*SPLITS, None):
        part = [s for s in scores if split is None or s.export.split == split]
        if part:
            lines.append(_total(part, split or "all"))
    return "\n".join(lines)


def _total(scores: Sequence[Score], label: str) -> str:
    truth, right = sum(s.truth for s in scores), sum(s.right for s in scores)
    share = right / truth if truth else 0.0
    mean = sum(s.share for s in scores) / len(scores) if scores else 0.0
    return f"| **total, {label}** | | {truth} | {sum(s.found for s in scores)} | {right} | **{share:.3f}** | mean per export {mean:.3f} |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parser_service.bench.bank_unseen", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--backend", help="model backend (default: the settings' backend)")
    parser.add_argument("--split", choices=SPLITS, help="only this part")
    parser.add_argument("--schema", type=Path, help="a JSON Schema file to extract into instead of the plugin")
    parser.add_argument(
        "--derive-truth", action="store_true", help="write NAME.truth.json from the journals, then stop"
    )
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    exports = [e for e in load_exports() if args.split in (None, e.split)]
    if args.derive_truth:
        derive_truth(exports)
        return 0
    scores = run(exports, args.backend, args.schema)
    print(table(scores))
    if args.json:
        rows = [{"export": s.export.name, "split": s.export.split, "truth": s.truth, "found": s.found,
                 "right": s.right, "note": s.note} for s in scores]  # fmt: skip
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


def run(exports: Sequence[Export], backend: str | None = None, schema: Path | None = None) -> list[Score]:
    """The scores of ``exports``: the plugin's domain, or the domain a schema file makes
    (the hook for a general column mapping without a plugin)."""
    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    overrides: dict[str, Any] = {"backend": backend} if backend else {}
    pipeline = Pipeline(Settings(**overrides))
    target: Any = DOMAIN
    if schema is not None:
        from parser_service.schemas.request import target_domain

        target = target_domain(str(schema))
    return [score(export, pipeline, target) for export in exports]


if __name__ == "__main__":
    sys.exit(main())
