"""Any-span grounding end to end: a request-time schema's plain string comes back as a
stretch of the text, over several lines where the model copies them, with its offsets
and lines; a copied value the text does not hold is flagged, whichever path wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from parser_service.backends.base import Generation
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.document import Provenance
from parser_service.pipeline import extraction
from parser_service.pipeline.run import Pipeline
from parser_service.records import Record
from parser_service.schemas.request import schema_domain

RECEIPT = (
    "SUNRISE HARDWARE SDN BHD\nNO. 12, JALAN BESAR,\nTAMAN MAJU, 81100 JOHOR BAHRU,\nJOHOR.\n"
    "TEL: 07-3312345\nINVOICE NO: 10021\nDATE: 12/03/2018\nNAILS 2.00\nTOTAL: 2.00\n"
)
SCHEMA = {"type": "object", "properties": {"company": {"type": "string"}, "address": {"type": "string"}}}


@pytest.fixture
def receipt(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.txt"
    path.write_text(RECEIPT, encoding="utf-8")
    return path


@pytest.mark.model
def test_a_multi_line_address_comes_back_as_a_span_with_offsets(pipeline: Pipeline, receipt: Path) -> None:
    (record,) = pipeline.extract(receipt, domain=schema_domain(SCHEMA, "receipt")).all_records()
    address, where = record.data["address"], record.provenance["fields"]["address"]
    assert "\n" in address and address in RECEIPT  # over lines, copied as written
    assert RECEIPT[where["start"] : where["end"]] == address
    assert where["line_start"] < where["line_end"] and where["verbatim"]


def test_the_test_backend_copies_a_span_and_places_it(receipt: Path) -> None:
    (record,) = (
        Pipeline(backend=DeterministicBackend()).extract(receipt, domain=schema_domain(SCHEMA, "r")).all_records()
    )
    assert record.status == "ok" and record.data == {"company": "SUNRISE", "address": "SUNRISE"}
    assert record.provenance["fields"]["company"] == {"source": "model", "verbatim": True, "start": 0, "end": 7,
                                                      "line_start": 1, "line_end": 1}  # fmt: skip


def test_a_copied_value_the_text_does_not_hold_is_flagged() -> None:
    """A server that ignored the grammar, or a re-ask's free answer: the value is checked
    against the text all the same, and left unplaced."""
    domain = schema_domain(SCHEMA, "receipt")
    record = Record(index=0, text=RECEIPT, provenance=[Provenance(line_start=1)])
    state = extraction._start(record, domain)
    answer = '{"company":"SUNRISE HARDWARE SDN BHD","address":"NO. 12, JALAN BESAR, JOHOR"}'
    extraction._merge(state, ["company", "address"], Generation.from_text(answer, 30))
    extraction._validate(state, domain)
    result = extraction._result(state, domain)
    assert [issue.field for issue in result.errors] == ["address"] and result.status == "invalid"
    assert result.provenance["fields"]["address"] == {"source": "model", "verbatim": False}
