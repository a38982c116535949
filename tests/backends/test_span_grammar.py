"""Any-span grounding: the grammar of a schema with any-span nodes accepts exactly the
JSON answers whose marked strings are substrings of the text (line breaks, quotes and
backslashes escaped as JSON writes them), at most their length bound, or null; vLLM's
engine and server are given the same grammar; the test backend answers a real span."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from parser_service.backends.base import GenerationRequest
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.backends.guided import Grammars
from parser_service.backends.model_source import load_tokenizer
from parser_service.backends.span_grammar import has_spans, json_chunks, lark_grammar, span_node
from parser_service.settings import Settings

TEXT = 'ACME SDN. BHD.\nNO. 12, JALAN "BESAR" \\ 5\n81100 JOHOR BAHRU\nTOTAL RM9.00\tPAID'


@pytest.fixture(scope="module")
def grammars() -> Grammars:
    settings = Settings()
    return Grammars(load_tokenizer(settings.model, settings.cache_dir))


def schema(text: str = TEXT, max_chars: int = 60) -> dict[str, Any]:
    """An object as the pipeline builds it: an any-span beside a candidate enum and a list."""
    nullable = {"anyOf": [span_node(text, max_chars), {"type": "null"}]}
    item = {"type": "object", "properties": {"name": nullable}, "required": ["name"], "additionalProperties": False}
    return {
        "type": "object",
        "properties": {
            "address": nullable,
            "date": {"anyOf": [{"enum": ["23-01-2019"]}, {"type": "null"}]},
            "lines": {"type": "array", "items": item, "maxItems": 2},
        },
        "required": ["address", "date", "lines"],
        "additionalProperties": False,
    }


def accepts(grammars: Grammars, answer_schema: dict[str, Any], answer: str) -> bool:
    matcher = grammars.matcher(answer_schema)
    tokens = grammars.tokenizer.tokenize_str(answer)
    return bool(matcher.consume_tokens(tokens)) and not matcher.is_error() and matcher.is_accepting()


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def answer(address: Any, name: Any = None, date: Any = None) -> str:
    return compact({"address": address, "date": date, "lines": [] if name is None else [{"name": name}]})


@pytest.mark.parametrize(
    "value",
    [
        "ACME SDN. BHD.",
        'NO. 12, JALAN "BESAR" \\ 5\n81100 JOHOR BAHRU',  # over two lines, a quote and a backslash inside
        "9.00",  # a number's digits out of "RM9.00"
        "JOHOR BAHRU\nTOTAL RM9.00\tPAID",
        None,
    ],
)
def test_a_substring_of_the_text_is_accepted(grammars: Grammars, value: str | None) -> None:
    assert accepts(grammars, schema(), answer(value))
    assert accepts(grammars, schema(), answer(None, name=value or "ACME"))


@pytest.mark.parametrize(
    "value",
    [
        "ACME SDN BHD",  # a dot left out: not written so
        "NO. 12 JALAN",  # a comma left out
        "81100 JOHOR\nBAHRU",  # a line break where the text has a space
        "CME SDN",  # a word cut at its start
        "JALAN BESAR",  # the quotes left out
        "",  # empty: null stands for no value
        "TOTAL RM9.00\nPAID",  # a line break where the text has a tab
    ],
)
def test_what_the_text_does_not_hold_is_refused(grammars: Grammars, value: str) -> None:
    assert not accepts(grammars, schema(), answer(value))


def test_a_span_is_at_most_its_bound_as_json_writes_it(grammars: Grammars) -> None:
    assert accepts(grammars, schema(max_chars=14), answer("ACME SDN. BHD."))
    assert not accepts(grammars, schema(max_chars=13), answer("ACME SDN. BHD."))
    assert accepts(grammars, schema(max_chars=13), answer("JOHOR BAHRU"))


def test_the_rest_of_the_schema_holds_as_before(grammars: Grammars) -> None:
    assert accepts(grammars, schema(), answer("ACME", date="23-01-2019"))
    assert not accepts(grammars, schema(), answer("ACME", date="24-01-2019"))
    assert not accepts(grammars, schema(), answer("ACME").replace(":", ": ", 1))  # compact JSON only
    assert not accepts(grammars, schema(), answer("ACME")[:-1] + ',"other":1}')  # closed objects
    three = compact({"address": None, "date": None, "lines": [{"name": "ACME"}] * 3})
    assert not accepts(grammars, schema(), three)  # maxItems


def test_an_escape_is_never_split() -> None:
    chunks = json_chunks('a "b"\\c\nd\u0007')
    assert chunks == ["a", " ", '\\"', "b", '\\"', "\\\\", "c", "\\n", "d", "\\u0007"]
    assert "".join(chunks) == json.dumps('a "b"\\c\nd\u0007')[1:-1]


def test_a_text_outside_ascii_is_written_as_it_is(grammars: Grammars) -> None:
    text = "Bäckerei Müller GmbH\nStraße 5, 80331 München"
    assert accepts(grammars, schema(text), answer("Müller GmbH\nStraße 5"))
    assert not accepts(grammars, schema(text), answer("Muller GmbH"))


def test_a_schema_without_spans_keeps_its_json_grammar() -> None:
    plain = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert not has_spans(plain) and has_spans(schema())
    assert "%regex" in lark_grammar(schema()) and lark_grammar(schema()).count("substring_chunks") == 1


def test_the_test_backend_answers_a_span_of_the_text() -> None:
    request = GenerationRequest([{"role": "user", "content": "x"}], schema(), 200)
    (generation,) = DeterministicBackend().generate([request])
    assert generation.data == {"address": "ACME", "date": "23-01-2019", "lines": []}


def test_vllm_gets_the_same_grammar() -> None:
    """The engine's sampling parameters and the server's request carry the lark grammar,
    and vLLM's guidance backend reads it (checked without starting an engine)."""
    pytest.importorskip("vllm")
    from vllm.sampling_params import StructuredOutputsParams
    from vllm.v1.structured_output.backend_guidance import serialize_guidance_grammar
    from vllm.v1.structured_output.request import get_structured_output_key

    from parser_service.backends.vllm_backend import VllmBackend
    from parser_service.backends.vllm_server import VllmServerBackend

    request = GenerationRequest([{"role": "user", "content": "x"}], schema(), 200)
    engine = SimpleNamespace(settings=Settings(backend="vllm"))  # the method reads only the settings
    params = VllmBackend.sampling_params(engine, request, False)  # type: ignore[arg-type]
    assert params.structured_outputs.grammar == lark_grammar(schema())
    kind, spec = get_structured_output_key(params.structured_outputs)
    assert "substring_chunks" in serialize_guidance_grammar(kind, spec)
    body = VllmServerBackend.body(None, request, "m", False)  # type: ignore[arg-type]
    assert body["structured_outputs"] == {"grammar": lark_grammar(schema())} and "response_format" not in body
    assert StructuredOutputsParams(**body["structured_outputs"]).grammar


def test_a_text_with_the_grammars_own_signs_is_copied_as_it_is(grammars: Grammars) -> None:
    """Braces, comment and directive signs, a control character: the text is data in the
    grammar, never syntax."""
    text = 'Total {net} } { "x" // # %json %regex /a/ \\ end\u2028 ok\ttab \x07 bell'
    assert accepts(
        grammars, schema(text, 200), answer('{net} } { "x" // # %json %regex /a/ \\ end\u2028 ok\ttab \x07 bell')
    )
    assert not accepts(grammars, schema(text, 200), answer("{net}}"))


def test_a_list_of_strings_takes_spans_only(grammars: Grammars) -> None:
    """A schema's array of strings: each item a span of the text, the list absent or empty."""
    from parser_service.pipeline.generation_schema import generation_schema
    from parser_service.schemas.json_schema import compile_schema

    model = compile_schema({"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}})
    listed = generation_schema(model, text=TEXT).json_schema
    assert accepts(grammars, listed, compact({"tags": ["ACME SDN. BHD.", "81100 JOHOR BAHRU"]}))
    assert accepts(grammars, listed, compact({"tags": []})) and accepts(grammars, listed, compact({"tags": None}))
    assert not accepts(grammars, listed, compact({"tags": ["ACME LTD"]}))
    assert not accepts(grammars, listed, compact({"tags": [None]}))
    assert not accepts(grammars, listed, compact({"tags": "ACME SDN. BHD."}))


def test_vllm_with_another_grammar_backend_refuses_a_span_schema_clearly() -> None:
    """xgrammar, outlines and auto cannot read the substring grammar: a clear error names
    the setting, rather than vLLM's 'Invalid grammar specification'."""
    pytest.importorskip("vllm")
    from parser_service.backends.vllm_backend import VllmBackend
    from parser_service.errors import ConfigError

    engine = SimpleNamespace(settings=Settings(backend="vllm", vllm_structured_backend="xgrammar"))
    request = GenerationRequest([{"role": "user", "content": "x"}], schema(), 200)
    with pytest.raises(ConfigError, match="PARSER_SERVICE_VLLM_STRUCTURED_BACKEND=guidance"):
        VllmBackend.sampling_params(engine, request, False)  # type: ignore[arg-type]
