"""A JSON Schema given with a request compiles into a grounded pydantic model, and every
keyword the path cannot honour is refused with its JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from parser_service.cli.entry import EXIT_CONFIG, main
from parser_service.domains.domain import extractive, span_rule
from parser_service.schemas.json_schema import SPAN_CHARS, SchemaError, compile_schema, schema_hash
from parser_service.text.normalize import ISODate
from tests.conftest import ROOT

RECEIPT: dict[str, Any] = {
    "title": "receipt",
    "type": "object",
    "properties": {
        "company": {"type": "string", "description": "the shop that issued it", "examples": ["ACME Ltd"]},
        "address": {"type": "string", "maxLength": 200},
        "date": {"type": "string", "format": "date"},
        "total": {"type": ["string", "null"], "format": "amount"},
        "paid_by": {"type": "string", "enum": ["cash", "card"]},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "price": {"type": "number"}}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "member": {"type": "boolean"},
    },
    "required": ["company"],
}  # fmt: skip


def test_a_schema_becomes_a_model_that_reads_normalised_values() -> None:
    model = compile_schema(RECEIPT)
    record = model.model_validate({"company": "ACME", "date": "23-01-2019", "total": "20,00", "paid_by": "card",
                                   "items": [{"name": "tea", "price": "3.50"}], "tags": ["x"], "member": True})  # fmt: skip
    assert record.model_dump(mode="json") == {"company": "ACME", "address": None, "date": "2019-01-23", "total": 20.0, "paid_by": "card",
                                              "items": [{"name": "tea", "price": 3.5}], "tags": ["x"], "member": True}  # fmt: skip
    assert model.model_validate({}).model_dump() == dict.fromkeys(RECEIPT["properties"])  # every field may be missing
    with pytest.raises(ValueError):
        model.model_validate({"paid_by": "cheque"})  # an enum is chosen among its options


def test_copied_fields_are_spans_of_their_kind_and_the_prompt_gets_descriptions() -> None:
    fields = compile_schema(RECEIPT).model_fields
    kinds = {name: (rule.kind if (rule := span_rule(info)) else None) for name, info in fields.items()}
    assert kinds == {"company": "any", "address": "any", "date": "date", "total": "amount", "paid_by": None,
                     "items": None, "tags": "any", "member": None}  # fmt: skip
    assert fields["company"].description == "the shop that issued it; e.g. ACME Ltd"
    bounds = {name: span_rule(fields[name]).max_chars for name in ("company", "address")}  # type: ignore[union-attr]
    assert bounds == {"company": SPAN_CHARS, "address": 200}  # maxLength where the schema gives one


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"properties": {"a": {"type": "string", "pattern": "^x"}}}, r"\$\.a\.pattern: the keyword is not supported"),
        (
            {"properties": {"a": {"type": "string", "format": "hostname"}}},
            r"\$\.a\.format: 'hostname' is not supported",
        ),
        (
            {"properties": {"a": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}},
            r"\$\.a\[\]: arrays of arrays",
        ),
        (
            {"properties": {"a": {"type": "object", "properties": {"b": {"oneOf": []}}}}},
            r"\$\.a\.b\.type: None is not supported",
        ),
        ({"properties": {"a": {"type": "string"}}, "required": ["b"]}, r"\$\.required: .* do not exist: b"),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": True}, r"\$\.additionalProperties"),
        ({"properties": {}}, r"\$: an object needs 'properties'"),
        ({"properties": {"a": {"type": "string", "maxLength": 0}}}, r"\$\.a\.maxLength: a positive integer"),
    ],
)
def test_what_the_path_cannot_honour_is_refused_with_its_path(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        compile_schema({"type": "object", **change})


def test_the_version_is_the_content_hash_whatever_the_key_order() -> None:
    reordered = json.loads(json.dumps(dict(reversed(list(RECEIPT.items())))))
    assert schema_hash(reordered) == schema_hash(RECEIPT) != schema_hash({**RECEIPT, "title": "other"})


def test_extract_with_a_schema_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "receipt.json"
    schema.write_text(json.dumps(RECEIPT))
    receipt = ROOT / "tests" / "data" / "sroie_007.txt"
    assert main(["extract", str(receipt), "--schema", str(schema), "--backend", "deterministic", "-q"]) == 0
    (record,) = json.loads(capsys.readouterr().out)["records"]
    assert record["domain"] == "receipt" and set(record["data"]) == set(RECEIPT["properties"])


def test_a_bad_schema_or_two_targets_exit_with_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = str(ROOT / "tests" / "data" / "sroie_007.txt")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}}))
    assert main(["extract", receipt, "--schema", str(bad), "--backend", "deterministic", "-q"]) == EXIT_CONFIG
    assert "$.a.minLength: the keyword is not supported for a string" in capsys.readouterr().err
    assert main(["extract", receipt, "--schema", str(tmp_path / "none.json"), "-q"]) == EXIT_CONFIG
    assert "no such file" in capsys.readouterr().err
    assert main(["extract", receipt, "--schema", str(bad), "--domain", "invoices", "-q"]) == EXIT_CONFIG
    assert "give one" in capsys.readouterr().err


class Ticket(BaseModel):
    """A ticket, as a plugin author or a user writes one in Python."""

    date: ISODate | None = Field(None, json_schema_extra=extractive("date", 40))


def test_extract_with_a_pydantic_class(capsys: pytest.CaptureFixture[str]) -> None:
    receipt = str(ROOT / "tests" / "data" / "sroie_007.txt")
    assert main(["extract", receipt, "--schema", f"{__name__}:Ticket", "--backend", "deterministic", "-q"]) == 0
    (record,) = json.loads(capsys.readouterr().out)["records"]
    assert record["domain"] == "Ticket" and list(record["data"]) == ["date"]
    assert main(["extract", receipt, "--schema", f"{__name__}:RECEIPT", "-q"]) == EXIT_CONFIG
    assert "not a pydantic model class" in capsys.readouterr().err
    assert main(["extract", receipt, "--schema", "no_such_module:Model", "-q"]) == EXIT_CONFIG
    assert "cannot import it" in capsys.readouterr().err


def test_a_list_of_strings_is_a_list_of_spans_of_the_text() -> None:
    """Each item of an array of strings is grounded as a string field is (any span of the
    text, never null inside the list); the list itself may be absent."""
    from parser_service.pipeline.generation_schema import MAX_SCALAR_ITEMS, generation_schema

    model = compile_schema({"type": "object", "properties": {
        "skills": {"type": "array", "items": {"type": "string"}},
        "dates": {"type": "array", "items": {"type": "string", "format": "date"}}}})  # fmt: skip
    text = "Skills: Python, SQL\nFrom 12.03.2019 to 01.02.2020"
    props = generation_schema(model, text=text).json_schema["properties"]
    skills, absent = props["skills"]["anyOf"]
    assert absent == {"type": "null"} and skills["maxItems"] == MAX_SCALAR_ITEMS
    assert skills["items"]["x-any-span"] == text and "anyOf" not in skills["items"]
    assert props["dates"]["anyOf"][0]["items"] == {"enum": ["12.03.2019", "01.02.2020"]}


def test_a_copied_kind_is_offered_after_its_labels_first() -> None:
    """The property's name in words (and its last word), or the schema's own x-labels,
    label a date's or an amount's spans; a plain string (any span) has none."""
    from parser_service.pipeline.generation_schema import offered_spans

    model = compile_schema({"type": "object", "properties": {
        "total": {"type": "string", "format": "amount"},
        "invoiceDate": {"type": "string", "format": "date"},
        "due": {"type": "string", "format": "date", "x-labels": ["Fällig"]},
        "note": {"type": "string"}}})  # fmt: skip
    rules = {name: span_rule(info) for name, info in model.model_fields.items()}
    assert rules["total"].near == ("total",) and rules["invoiceDate"].near == ("invoice date", "date")
    assert rules["due"].near == ("Fällig",) and rules["note"].near == ()
    text = "Subtotal 8.00\nTax 1.00\nTotal 9.00\nFällig 31.01.2024\nRechnungsdatum 01.01.2024"
    assert set(offered_spans(rules["total"], text)) == {"8.00", "9.00"}  # the tax's is not labelled so
    assert offered_spans(rules["due"], text) == ["31.01.2024"]
    with pytest.raises(SchemaError, match=r"\$\.due\.x-labels"):
        compile_schema({"type": "object", "properties": {"due": {"type": "string", "format": "date", "x-labels": "Due"}}})
