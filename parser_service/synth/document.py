"""A synthetic document and its ground truth, as files on disk.

A generator renders a real file (PDF, CSV, XLSX) and says, for every record the
plugin's splitter will find in it, what the record holds: the normalised values in
the schema's field names (ISO dates, numbers, ISO currency codes) and the *surface*
of each value, the string as it appears in the parsed text, which is what the
model must copy. The truth is written beside the document as ``<stem>.truth.json``
(never ``<stem>.json``, which ``eval`` would read as an expected output).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRUTH_SUFFIX = ".truth.json"


@dataclass(slots=True)
class TruthRecord:
    """What one record of a document holds.

    ``fields``: field -> normalised value (JSON-ready). ``surface``: field -> the
    value as written (a list of such dicts for list fields; None where absent).
    ``row``: for table exports, the spreadsheet row number of the record (the
    row of its cell range), so records are matched to truth by position in the file.
    """

    fields: dict[str, Any]
    surface: dict[str, Any]
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "fields": self.fields, "surface": self.surface}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TruthRecord:
        return cls(fields=dict(data["fields"]), surface=dict(data.get("surface") or {}), row=data.get("row"))


@dataclass(slots=True)
class SyntheticDoc:
    """A rendered document, its records' truth, and how it was made (``meta``:
    language, layout, number and date style, … for coverage counts)."""

    path: Path
    records: list[TruthRecord]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def truth_path(self) -> Path:
        return truth_path_for(self.path)

    def write_truth(self) -> Path:
        """Write the truth beside the document; returns its path."""
        payload = {
            "document": self.path.name,
            "meta": self.meta,
            "records": [record.to_dict() for record in self.records],
        }
        target = self.truth_path
        target.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return target


def truth_path_for(document: Path) -> Path:
    stem = document.name[: -len(document.suffix)] if document.suffix else document.name
    return document.with_name(stem + TRUTH_SUFFIX)


def read_truth(path: Path) -> SyntheticDoc:
    """A ``<stem>.truth.json`` file back as a ``SyntheticDoc`` (its document beside it)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    document = Path(path).with_name(str(data["document"]))
    records = [TruthRecord.from_dict(item) for item in data["records"]]
    return SyntheticDoc(document, records, dict(data.get("meta") or {}))


def find_truths(folder: Path) -> list[SyntheticDoc]:
    """Every synthetic document in ``folder`` that has its truth beside it, by name."""
    found = []
    for path in sorted(Path(folder).glob("*" + TRUTH_SUFFIX)):
        doc = read_truth(path)
        if doc.path.is_file():
            found.append(doc)
    return found
