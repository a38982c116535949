"""Field accuracy per weights dtype: ``parser-service eval`` on the invoices plugin's
own example invoices (real documents with third-party expected outputs), the default
pipeline (adapter + extractive decoding), one process per dtype (int8: the
transformers backend's dynamic quantization, with the adapter merged in first); over
all fields and per field. A measurement, not a test: the suite's floors are in
tests/pipeline/test_accuracy.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parser_service.bench.table import Row

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost

SECTION = "accuracy per dtype (invoices examples, adapter + extractive, transformers)"


def run(work_dir: Path, dtypes: Sequence[str], host: PluginHost | None = None) -> list[Row]:
    """``host``: the running bench's (else one built here), which finds the invoices
    plugin's examples; each dtype is evaluated in a process of its own."""
    from parser_service.domains.host import build_host

    domain = (host or build_host()).domain("invoices")
    folder = Path(domain.examples[0].document).parent
    rows: list[Row] = []
    for dtype in dtypes:
        report = evaluate(folder, dtype, work_dir / f"eval-invoices-{dtype}.json")
        if "error" in report:
            rows.append(Row(SECTION, dtype, "failed", note=report["error"]))
            continue
        variant = report["variants"][0]
        overall = variant["overall"]
        note = f"{overall['correct']} of {overall['expected']} values right, {report['documents']} documents"
        rows.append(Row(SECTION, f"{dtype}: F1, all fields", overall["f1"], "", note))
        rows += field_rows(dtype, variant["fields"])
        rows.append(Row(SECTION, f"{dtype}: invented rate", variant["invented_rate"] or 0.0))
        rows.append(Row(SECTION, f"{dtype}: seconds per document", variant["seconds_per_document"], "s",
                        "parse, metadata, extraction and re-asks"))  # fmt: skip
    return rows


def field_rows(dtype: str, fields: dict[str, dict[str, Any]]) -> list[Row]:
    """F1 per field: which fields the overall figure loses its values on ("-": none expected or given)."""
    return [
        Row(SECTION, f"{dtype}: F1, {name}", "-" if counts["f1"] is None else counts["f1"], "",
            f"{counts['correct']} of {counts['expected']} right")
        for name, counts in fields.items()
    ]  # fmt: skip


def evaluate(folder: Path, dtype: str, report: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "parser_service.cli", "eval", "--domain", "invoices", str(folder),
               "--json", str(report), "--quiet"]  # fmt: skip
    env = os.environ | {"PARSER_SERVICE_DTYPE": dtype, "PARSER_SERVICE_BACKEND": "transformers"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": " ".join(done.stderr.split())[-200:]}
    result: dict[str, Any] = json.loads(report.read_text())
    return result
