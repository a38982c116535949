"""One row of the benchmark table, and the table as Markdown.

Every section of ``parser-service bench`` returns rows; ``BENCHMARKS.md`` is their
table. A ratio is a row too, its value measured against another row of the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    section: str  # e.g. "spreadsheets", "backends"
    measure: str  # what was measured, e.g. "rows/s, 10,000 rows (CSV)"
    value: float | str
    unit: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(rows: Sequence[Row]) -> str:
    """The rows as one Markdown table per section, in the order the sections first appear."""
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    parts: list[str] = []
    for section, members in sections.items():
        parts.append(f"### {section}\n")
        parts.append("| measure | value | unit | note |")
        parts.append("|---|---:|---|---|")
        for row in members:
            parts.append(f"| {row.measure} | {format_value(row.value)} | {row.unit} | {row.note} |")
        parts.append("")
    return "\n".join(parts)
