"""A result is held to the user's own JSON Schema with jsonschema after it is normalised:
a violation is a field issue naming the field and its JSON path, never an exception."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from parser_service.schemas.json_schema import compile_schema
from parser_service.schemas.validation import checked_schema, present, schema_check

ORDER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "total": {"type": ["string", "null"], "format": "amount"},
        "email": {"type": "string", "format": "email"},
        "when": {"type": "string", "format": "date-time"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "price": {"type": "string", "format": "amount"}}, "required": ["name"]}},
    },
    "required": ["number", "total"],
}  # fmt: skip


def _checked(raw: dict[str, Any]) -> list[tuple[str | None, str]]:
    record = compile_schema(ORDER).model_validate(raw)
    return [(issue.field, issue.message) for issue in schema_check(ORDER)(record)]


def test_a_normalised_record_that_fits_the_schema_has_no_issue() -> None:
    assert _checked({"number": "A-1", "total": "1.234,50", "email": "A@B.example", "when": "13.11.2017 14:05",
                     "lines": [{"name": "tea", "price": "3,50"}]}) == []  # fmt: skip


def test_a_required_field_the_document_lacks_is_an_issue_on_that_field() -> None:
    (issue,) = _checked({"number": "A-1"})
    assert issue[0] == "total" and "'total' is a required property" in issue[1]


def test_a_violation_inside_a_list_names_the_list_and_its_path() -> None:
    (issue,) = _checked({"number": "A-1", "total": "2", "lines": [{"name": "tea"}, {"price": "3"}]})
    assert issue[0] == "lines" and issue[1].startswith("$.lines[1]: 'name' is a required property")


def test_a_value_that_escapes_its_format_is_an_issue() -> None:
    """The compiled model never lets it through; a record made another way is still checked."""
    loose: type[BaseModel] = create_model("Loose", number=(str, "A-1"), total=(float, 1.0), email=(str, "nobody"),
                                          when=(str, "13.11.2017"))  # fmt: skip
    issues = schema_check(ORDER)(loose())
    assert {issue.field for issue in issues} == {"email", "when"}
    assert all("is not a" in issue.message for issue in issues)


def test_amounts_are_checked_as_the_numbers_they_are_read_into_and_nulls_as_absent() -> None:
    checked = checked_schema(ORDER)
    assert checked["properties"]["total"] == {"type": ["number", "null"]}
    assert checked["properties"]["lines"]["items"]["properties"]["price"] == {"type": "number"}
    assert ORDER["properties"]["total"]["format"] == "amount"  # the user's schema is left as it was
    assert present({"a": None, "b": [{"c": None, "d": 1}]}) == {"b": [{"d": 1}]}
