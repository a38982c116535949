"""Each string format a schema may carry: copied from spans of its kind in the text, read
into its normal form, and anything else refused; values that are chosen (booleans,
enums, fields marked x-inferred) are marked inferred and not copied."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from parser_service.domains.domain import inferred, inferred_fields, span_rule
from parser_service.pipeline.generation_schema import generation_schema
from parser_service.schemas.json_schema import FORMATS, SchemaError, compile_schema
from parser_service.text.spans import FINDERS

TEXT = (
    "Rechnung Nr. 4711 vom 13.11.2017 14:05 Uhr\n"
    "ACME GmbH, Musterstrasse 1, 10115 Berlin, Deutschland\n"
    "E-Mail: Buchhaltung@ACME.example  Web: www.acme.example/impressum.\n"
    "Tel. +49 (0)30 1234-56  Fax 030 123457\n"
    "IBAN: DE89 3704 0044 0532 0130 00  BIC COBADEFFXXX\n"
    "Summe 1.234,56 EUR, zahlbar bis 27.11.2017\n"
)

#: format -> (the span the text holds, its normal form, a value that is refused)
CASES: dict[str, tuple[str, Any, str]] = {
    "date": ("13.11.2017", "2017-11-13", "tomorrow"),
    "date-time": ("13.11.2017 14:05", "2017-11-13T14:05:00", "13.11.2017"),
    "email": ("Buchhaltung@ACME.example", "buchhaltung@acme.example", "buchhaltung at acme"),
    "uri": ("www.acme.example/impressum", "https://www.acme.example/impressum", "acme dot example"),
    "amount": ("1.234,56", 1234.56, "much"),
    "currency": ("EUR", "EUR", "ZZZ"),
    "iban": ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE89 3704 0044 0532 0130 01"),
    "phone": ("+49 (0)30 1234-56", "+4930123456", "call us"),
    "country": ("Deutschland", "DE", "Atlantis"),
}


def _model(fmt: str, **extra: Any) -> Any:
    return compile_schema({"type": "object", "properties": {"v": {"type": "string", "format": fmt, **extra}}})


def test_every_format_is_tested() -> None:
    assert set(CASES) == set(FORMATS)


@pytest.mark.parametrize("fmt", list(CASES))
def test_a_format_is_copied_from_spans_of_its_kind_and_normalised(fmt: str) -> None:
    span, normal, refused = CASES[fmt]
    model = _model(fmt)
    rule = span_rule(model.model_fields["v"])
    assert rule is not None and rule.kind in FINDERS
    assert span in FINDERS[rule.kind](TEXT, rule.max_chars)
    assert model.model_validate({"v": span}).model_dump(mode="json") == {"v": normal}
    with pytest.raises(ValidationError):
        model.model_validate({"v": refused})


@pytest.mark.parametrize(
    ("kind", "absent"),
    [("phone", "4711"), ("phone", "13.11.2017 14"), ("phone", "1.234,56"), ("iban", "COBADEFFXXX"), ("country", "DE")],
)
def test_a_finder_leaves_out_what_only_looks_like_its_kind(kind: str, absent: str) -> None:
    """An invoice number is too short for a phone, a date and an amount are none, the BIC
    is no IBAN, and the IBAN's country letters are no country."""
    assert absent not in FINDERS[kind](TEXT, 60)


@pytest.mark.parametrize(
    ("written", "code"),
    [("Germany", "DE"), ("Allemagne", "DE"), ("Duitsland", "DE"), ("Alemania", "DE"), ("Österreich", "AT"),
     ("Pays-Bas", "NL"), ("España", "ES"), ("CHE", "CH"), ("nl", "NL"), ("Vereinigtes Königreich", "GB")],
)  # fmt: skip
def test_a_country_is_read_from_names_in_five_languages_and_codes(written: str, code: str) -> None:
    assert _model("country").model_validate({"v": written}).model_dump() == {"v": code}


@pytest.mark.parametrize(
    ("written", "normal"),
    [("2017-11-13T14:05:00Z", "2017-11-13T14:05:00Z"), ("2017-11-13 14:05:00+01:00", "2017-11-13T14:05:00+01:00"),
     ("Nov 13, 2017 2:05 pm", "2017-11-13T14:05:00"), ("0049 30 123456", None), ("mailto:A@B.example", None)],
)  # fmt: skip
def test_other_layouts_reach_the_same_normal_forms(written: str, normal: str | None) -> None:
    fmt = "phone" if written.startswith("00") else "email" if "@" in written else "date-time"
    expected = normal or {"phone": "+4930123456", "email": "a@b.example"}[fmt]
    assert _model(fmt).model_validate({"v": written}).model_dump(mode="json") == {"v": expected}


def test_chosen_values_are_marked_inferred_and_offered_as_options() -> None:
    model = compile_schema({"type": "object", "properties": {
        "name": {"type": "string"},
        "paid": {"type": "boolean"},
        "kind": {"type": "string", "enum": ["invoice", "receipt"]},
        "summary": {"type": "string", "x-inferred": True},
        "country": {"type": "string", "format": "country", "x-inferred": True},
        "total": {"type": "number", "x-inferred": False},
    }})  # fmt: skip
    assert inferred_fields(model) == {"paid", "kind", "summary", "country"}
    assert span_rule(model.model_fields["summary"]) is None and span_rule(model.model_fields["country"]) is None
    assert span_rule(model.model_fields["total"]) is not None and not inferred(model.model_fields["total"])
    props = generation_schema(model, text=TEXT).json_schema["properties"]
    assert props["paid"] == {"anyOf": [{"enum": [True, False]}, {"type": "null"}]}  # chosen between two
    assert props["kind"] == {"anyOf": [{"enum": ["invoice", "receipt"]}, {"type": "null"}]}
    assert model.model_validate({"country": "Allemagne"}).model_dump()["country"] == "DE"  # still normalised


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"type": "string", "x-inferred": "yes"}, r"\$\.v\.x-inferred: true or false"),
        (
            {"type": "object", "x-inferred": True, "properties": {"a": {"type": "string"}}},
            r"\$\.v\.x-inferred: only a scalar",
        ),
        ({"type": "array", "x-inferred": True, "items": {"type": "string"}}, r"\$\.v\.x-inferred: only a scalar"),
        ({"type": "string", "format": "ipv4"}, r"\$\.v\.format: 'ipv4' is not supported; use one of: .*iban"),
    ],
)
def test_what_cannot_be_inferred_or_read_is_refused_with_its_path(node: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        compile_schema({"type": "object", "properties": {"v": node}})
