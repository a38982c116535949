"""``checks_of``: a plugin's cross-field checks read their schema's model, typed."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from parser_service.plugin_api import FieldIssue, checks_of


class Bill(BaseModel):
    total: float | None = None


class Note(BaseModel):
    text: str = ""


on_bills = checks_of(Bill)


@on_bills
def total_present(bill: Bill) -> list[FieldIssue]:
    """A bill has a total."""
    return [] if bill.total is not None else [FieldIssue("total", "a bill needs a total")]


def test_a_check_reads_its_schemas_model() -> None:
    assert total_present(Bill(total=3.5)) == []
    assert total_present(Bill()) == [FieldIssue("total", "a bill needs a total")]
    assert total_present.__name__ == "total_present" and total_present.__doc__ == "A bill has a total."


def test_another_model_is_a_type_error_naming_both() -> None:
    with pytest.raises(TypeError, match="total_present checks a Bill, not a Note"):
        total_present(Note())
