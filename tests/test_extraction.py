"""Record outcomes that do not need the model to show: truncation, invented values,
normalisation of prefilled values and their cell provenance."""

from __future__ import annotations

from parser_service_invoices import DOMAIN as INVOICES

from parser_service import extraction
from parser_service.backends.base import Generation
from parser_service.document import Provenance
from parser_service.records import Record

TEXT = "ACME GmbH\nInvoice No: INV-7\nDate: 03.04.2024\nTotal: 1.234,50 EUR"


def _record() -> Record:
    where = Provenance(page=1)
    return Record(index=0, text=TEXT, provenance=[where], spans=[(0, len(TEXT), where)])


def test_an_answer_cut_off_at_the_token_limit_is_a_failed_truncated_record():
    state = extraction._start(_record(), INVOICES)
    extraction._merge(state, ["issuer"], Generation.from_text('{"issuer":"ACME Gm', 7))
    result = extraction._result(state, INVOICES)
    assert result.status == "failed" and result.truncated and result.data is None
    assert "cut off at the token limit after 7 tokens" in result.errors[0].message


def test_values_are_normalised_and_invented_ones_flagged():
    state = extraction._start(_record(), INVOICES)
    answer = ('{"issuer":"ACME GmbH","invoice_number":"INV-9","date":"03.04.2024",'
              '"amount":"1.234,50","amount_untaxed":null,"currency":"EUR","lines":[]}')
    names = list(INVOICES.schema.model_fields)
    extraction._merge(state, names, Generation.from_text(answer, 40))
    extraction._validate(state, INVOICES)
    result = extraction._result(state, INVOICES)
    assert result.data["date"] == "2024-04-03" and result.data["amount"] == 1234.5
    assert result.data["currency"] == "EUR"
    assert result.status == "invalid"
    assert [issue.field for issue in result.errors] == ["invoice_number"]  # "INV-9" is not in the text
    assert extraction._retry_fields(state) == ["invoice_number"]  # only that field is asked again
    assert result.provenance["fields"]["issuer"] == {"source": "model", "verbatim": True, "page": 1}
