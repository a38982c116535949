"""invoices end to end on real example invoices.

Asserts the contract (schema-valid data, statuses, provenance, confidence) with the
real embedded model on invoices whose status is known, and that a record the model
could not complete says why. How right the fields are is measured elsewhere: the
floors in test_accuracy.py, the figures by ``parser-service bench --sections accuracy``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from parser_service.backends.base import Generation, GenerationRequest
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.pipeline.run import Pipeline
from tests.conftest import INVOICE_EXAMPLES

#: Each invoice and the status the default pipeline gives its one record: all pass every check.
INVOICES = {"oyo.pdf": "ok", "AmazonWebServices.pdf": "ok", "Facture_FR_BASICWL.pdf": "ok"}
#: Fields decoded extractively: copied from the document, never invented.
EXTRACTIVE = ("issuer", "invoice_number", "date", "amount", "currency")


@pytest.fixture(scope="module")
def extractions(pipeline):
    return {name: pipeline.extract(INVOICE_EXAMPLES / name, domain="invoices") for name in INVOICES}


@pytest.mark.model
@pytest.mark.parametrize("name", INVOICES)
def test_invoice_record_contract(extractions, name):
    from parser_service_invoices.schema import Invoice

    result = extractions[name]
    assert result.domain == "invoices"
    assert result.document.media_type == "application/pdf"
    (record,) = result.records
    assert record.status == INVOICES[name], record.errors
    assert (record.status == "ok") == (not record.errors)
    Invoice.model_validate(record.data)  # the data is valid against the target schema
    assert record.provenance["record"][0]["page"] == 1
    for where in record.provenance["fields"].values():
        if where["source"] == "rows":  # a list, read row by row: each item points at its row
            assert all(row["page"] >= 1 and len(row["bbox"]) == 4 for row in where["rows"])
            continue
        # the model's answer, or a total mended from the amounts written on the page
        assert where["source"] in {"model", "repair"}
        if where["source"] == "repair":
            assert where["verbatim"]
        if where["verbatim"]:  # a value found in the document points at its page and box
            assert where["page"] >= 1 and len(where["bbox"]) == 4
    assert all(0.0 <= c <= 1.0 for c in record.confidence.values())
    for field in EXTRACTIVE:
        if record.data[field] is not None:
            assert record.provenance["fields"][field]["verbatim"], field


@pytest.mark.model
@pytest.mark.parametrize("name", INVOICES)
def test_metadata_is_constrained(extractions, name):
    metadata = extractions[name].metadata
    assert metadata["document_type"] in {"invoice", "bank_statement", "other"}
    assert metadata["language"] is None or len(metadata["language"]) == 2
    assert all(len(d) == 10 and d[4] == "-" for d in metadata["dates"])  # ISO dates only


class CutOff(DeterministicBackend):
    """No model: the test backend's answers, each one character short, as when decoding
    stops at the token limit. Every record then fails, which the model does too rarely to test."""

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        answers = super().generate(requests, logprobs=logprobs)
        return [Generation.from_text(answer.text[:-1], answer.n_tokens) for answer in answers]


def test_a_failed_record_carries_its_reason():
    result = Pipeline(backend=CutOff()).extract(INVOICE_EXAMPLES / "oyo.pdf", domain="invoices")
    (record,) = result.records
    assert record.status == "failed" and record.truncated
    assert record.data is None
    (reason,) = record.errors
    assert reason.field is None and "cut off at the token limit" in reason.message
