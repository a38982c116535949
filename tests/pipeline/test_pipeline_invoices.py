"""invoices end to end with the real embedded model on real example invoices.

Asserts the contract (schema-valid data, statuses, provenance, confidence) and
reports field accuracy against the expected JSON without requiring it to be high:
that is the accuracy work's job.
"""

from __future__ import annotations

import json

import pytest

from parser_service.evaluation.scoring import score_fields
from tests.conftest import INVOICE_EXAMPLES

pytestmark = pytest.mark.model

INVOICES = ["oyo.pdf", "AmazonWebServices.pdf", "Facture_FR_BASICWL.pdf"]
FIELDS = ["issuer", "invoice_number", "date", "amount", "currency"]
_scores: dict[str, dict[str, bool]] = {}


@pytest.fixture(scope="module")
def extractions(pipeline):
    return {name: pipeline.extract(INVOICE_EXAMPLES / name, domain="invoices") for name in INVOICES}


@pytest.mark.parametrize("name", INVOICES)
def test_invoice_record_contract(extractions, name):
    from parser_service_invoices.schema import Invoice

    result = extractions[name]
    assert result.domain == "invoices"
    assert result.document.media_type == "application/pdf"
    (record,) = result.records
    assert record.status in {"ok", "invalid", "failed"}
    if record.status == "failed":
        assert record.errors and record.data is None
        return
    Invoice.model_validate(record.data)  # the data is valid against the target schema
    assert (record.status == "ok") == (not record.errors)
    assert record.provenance["record"][0]["page"] == 1
    for where in record.provenance["fields"].values():
        # the model's answer, or a total mended from the amounts written on the page
        assert where["source"] in {"model", "repair"}
        if where["source"] == "repair":
            assert where["verbatim"]
        if where["verbatim"]:  # a value found in the document points at its page and box
            assert where["page"] >= 1 and len(where["bbox"]) == 4
    assert all(0.0 <= c <= 1.0 for c in record.confidence.values())
    for field in ("issuer", "invoice_number", "date", "amount", "currency"):  # extractive: copied, never invented
        if record.data[field] is not None:
            assert record.provenance["fields"][field]["verbatim"], field
    from parser_service_invoices import DOMAIN

    expected = DOMAIN.read_expected(DOMAIN.expected_for(INVOICE_EXAMPLES / name))[0]
    _scores[name] = score_fields(expected, record.data, FIELDS)


@pytest.mark.parametrize("name", INVOICES)
def test_metadata_is_constrained(extractions, name):
    metadata = extractions[name].metadata
    assert metadata["document_type"] in {"invoice", "bank_statement", "other"}
    assert metadata["language"] is None or len(metadata["language"]) == 2
    assert all(len(d) == 10 and d[4] == "-" for d in metadata["dates"])  # ISO dates only


def test_report_accuracy(extractions):
    """Prints per-field accuracy (pytest -s shows it); asserts only that it was measured."""
    hits = [ok for scores in _scores.values() for ok in scores.values()]
    per_field = {f: [s[f] for s in _scores.values() if f in s] for f in FIELDS}
    print("\ninvoice field accuracy:", json.dumps({f: f"{sum(v)}/{len(v)}" for f, v in per_field.items()}))
    print(f"overall: {sum(hits)}/{len(hits)}")
    assert len(_scores) == len([n for n in INVOICES if extractions[n].records[0].status != "failed"])
