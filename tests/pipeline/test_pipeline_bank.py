"""bank_transactions end to end through the Pipeline with the real model: one
record per transaction; dates and amounts match csv2ofx's expected output.
The model writes the metadata and fills what the column mapping cannot read."""

from __future__ import annotations

import pytest
from parser_service_bank_transactions.expected import read_expected

from tests.conftest import BANK_EXAMPLES

pytestmark = pytest.mark.model

FILES = {"gls.csv": "gls.expected.ofx", "payoneer.csv": "payoneer.expected.ofx",
         "creditunion.csv": "creditunion.expected.qif", "stripe-default.csv": "stripe-default.expected.ofx"}


@pytest.fixture(scope="module")
def results(pipeline):
    return {name: pipeline.extract(BANK_EXAMPLES / name, domain="bank_transactions") for name in FILES}


@pytest.mark.parametrize("name", sorted(FILES))
def test_one_record_per_transaction_with_matching_dates_and_amounts(results, name):
    expected = read_expected(BANK_EXAMPLES / FILES[name])
    records = results[name].records
    assert len(records) == len(expected)
    got = sorted((r.data["date"], round(r.data["amount"], 2)) for r in records)
    want = sorted((t["date"].isoformat(), round(t["amount"], 2)) for t in expected)
    assert got == want
    assert all(r.status == "ok" for r in records)
    for record in records:  # prefilled fields point at their cells
        where = record.provenance["fields"]["amount"]
        assert where["source"] == "prefill" and where["cell_range"]


def test_a_pending_row_goes_to_the_model_and_stays_flagged(pipeline):
    result = pipeline.extract(BANK_EXAMPLES / "MS_JANE_SMITH_01-12-2019_14-12-2019.csv", domain="bank_transactions")
    pending = [r for r in result.records if r.provenance["fields"]["date"]["source"] == "model"]
    assert len(pending) == 3  # the three "Pending" rows, and only for their date
    assert all(src["source"] == "prefill" for r in pending
               for name, src in r.provenance["fields"].items() if name != "date")
    assert result.records[0].provenance["fields"]["amount"]["cell_range"] == "C2"
    assert result.records[3].data == {"date": "2019-12-12", "amount": -1183.23,
                                      "payee": "ROYAL LONDON INSURANCE 01222 61234 GBR",
                                      "memo": None, "balance": None}
    for record in pending:  # "Pending" is no date: an invented one is flagged, never ok
        assert record.status == "invalid" or record.data["date"] is None
        if record.status == "invalid":
            assert any(issue.field == "date" for issue in record.errors)


def test_without_a_domain_the_inferred_type_picks_it(pipeline):
    result = pipeline.extract(BANK_EXAMPLES / "gls.csv")
    assert result.metadata["document_type"] == "bank_statement"
    assert result.domain == "bank_transactions"
    assert len(result.records) == 1 and result.records[0].data["amount"] == -98.76
