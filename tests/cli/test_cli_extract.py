"""The CLI's output contract, with the real model, in a separate process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import INVOICE_EXAMPLES

pytestmark = pytest.mark.model


def test_extract_prints_one_json_object_and_progress(tmp_path):
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "parser_service.cli", "extract",
         str(INVOICE_EXAMPLES / "oyo.pdf"), "--domain", "invoices", "--output", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "records: 1/1" in done.stderr  # progress on stderr
    payload = json.loads(out.read_text())
    assert set(payload) == {"document", "metadata", "records"}
    assert set(payload["document"]) == {"sha256", "filename", "media_type", "pages"}
    assert payload["document"]["filename"] == "oyo.pdf" and payload["document"]["pages"] == 1
    assert {"document_type", "language", "title", "dates", "parties"} <= set(payload["metadata"])
    (record,) = payload["records"]
    assert {"index", "domain", "schema", "status", "data", "errors", "provenance", "confidence"} <= set(record)
    assert record["domain"] == "invoices" and record["schema"] == "Invoice"
