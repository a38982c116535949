"""What a domain plugin supplies: the ``Domain`` description and its parts.

A plugin author builds one ``Domain`` per kind of document and registers it from
the ``register_domains`` hook. Everything but the name, version, schema and
prompt has a sensible default.
"""

from __future__ import annotations

import datetime
import functools
import json
import random
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonDict

from parser_service.document import Document
from parser_service.records import FieldIssue, Record, whole_document
from parser_service.synth.document import SyntheticDoc

Splitter = Callable[[Document], Iterable[Record]]
#: A cross-field check on a validated record; returns the problems it finds.
CrossValidator = Callable[[BaseModel], list[FieldIssue]]
SchemaT = TypeVar("SchemaT", bound=BaseModel)


def checks_of(schema: type[SchemaT]) -> Callable[[Callable[[SchemaT], list[FieldIssue]]], CrossValidator]:
    """A decorator stating once which schema a plugin's cross-field checks read: the host
    hands every check the record its schema validated, typed as any model; a decorated
    check gets it typed as ``schema``, and another model is a ``TypeError``."""

    def decorate(check: Callable[[SchemaT], list[FieldIssue]]) -> CrossValidator:
        @functools.wraps(check)
        def checked(record: BaseModel) -> list[FieldIssue]:
            if not isinstance(record, schema):
                raise TypeError(f"{check.__name__} checks a {schema.__name__}, not a {type(record).__name__}")
            return check(record)

        return checked

    return decorate


def plausible_date(field: str, earliest: datetime.date, what: str) -> CrossValidator:
    """A check that ``field`` lies between ``earliest`` and a year from today."""

    def check(record: BaseModel) -> list[FieldIssue]:
        value = getattr(record, field)
        latest = datetime.date.today() + datetime.timedelta(days=366)
        if value is not None and not earliest <= value <= latest:
            return [FieldIssue(field, f"{field} {value.isoformat()} is not plausible for {what}")]
        return []

    check.__name__ = check.__qualname__ = f"plausible_{field}"
    check.__doc__ = f"{field} lies between {earliest.isoformat()} and a year from today."
    return check


#: Mends fields a cross-field check found wrong, in code, from the record's text: given
#: the raw values (as the model wrote them), the text and the problems found, returns
#: field -> replacement raw value (a span of the text), or nothing when it cannot tell.
Repair = Callable[[Mapping[str, Any], str, Sequence[FieldIssue]], dict[str, Any]]
#: Fills fields straight from a record (e.g. a row's cells) without the model.
#: Returns field -> raw value; the schema's types still normalise and validate them.
Prefill = Callable[[Record], dict[str, Any]]
#: Renders ``count`` synthetic documents into a folder with their ground truth, drawing
#: every choice from the ``random.Random`` given (same seed, same documents).
Synthesize = Callable[[random.Random, Path, int], list[SyntheticDoc]]

DEFAULT_PROMPT = (
    "Extract the fields below from the document.\n"
    "Copy each value exactly as written in the document. Use null when a value is absent.\n\n"
    "Fields:\n{fields}\n\nDocument:\n{text}"
)


@dataclass(frozen=True, slots=True)
class Example:
    """A real document with its expected output, shipped with the plugin."""

    document: Path
    expected: Path | None = None


@dataclass(slots=True)
class Domain:
    """One kind of document a plugin knows how to extract.

    ``prompt`` is a ``str.format`` template with ``{text}`` (the record's text) and
    ``{fields}`` (one line per field: name and description from the schema).
    ``document_type`` is the label metadata inference chooses among the installed
    domains; ``media_types`` limits which parsed formats this domain accepts (a document
    of another format is refused with the reason, also when the domain is chosen by name).
    ``synthesize(rng, folder, count)`` renders synthetic documents with their ground
    truth (``SyntheticDoc``) into ``folder``, the training data of the plugin's adapter
    (``parser-service adapters synth`` / ``adapters dataset``); None: the plugin has none.
    ``splitter`` may return a list or yield records one at a time (a large table is then
    never held whole); ``split`` gives them as a list. A splitter that knows which
    column holds a field sets it in the record's ``field_columns``.
    """

    name: str
    version: str
    schema: type[BaseModel]
    document_type: str
    description: str
    prompt: str = DEFAULT_PROMPT
    splitter: Splitter = whole_document
    validators: Sequence[CrossValidator] = ()
    #: Tried, in order, on every record before the model is asked again (each returns
    #: nothing unless it finds a fault: a failed check, or evidence in the text).
    repairs: Sequence[Repair] = ()
    prefill: Prefill | None = None
    adapter: Path | None = None
    examples: Sequence[Example] = ()
    media_types: frozenset[str] | None = None
    system_prompt: str = "You extract data from documents. Answer with JSON only."
    #: Model-written values must occur in the record's text; others are flagged.
    extractive: bool = True
    #: How ``parser-service eval`` finds and reads expected outputs beside documents.
    expected_suffixes: tuple[str, ...] = (".json", ".expected.json")
    expected_reader: Callable[[Path], list[dict[str, Any]]] | None = None
    #: Fields that identify a record when a document holds many (date, amount).
    key_fields: tuple[str, ...] = ()
    #: Renders synthetic documents with ground truth for adapter training data.
    synthesize: Synthesize | None = None
    #: A record with a field whose calibrated confidence is below this is flagged for review.
    review_threshold: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)

    def split(self, document: Document) -> list[Record]:
        """Every record of ``document``, as a list."""
        return list(self.splitter(document))

    def expected_for(self, document: Path) -> Path | None:
        """The expected output beside ``document``, if any (never the document itself)."""
        stem = document.name[: -len(document.suffix)] if document.suffix else document.name
        for suffix in self.expected_suffixes:
            candidate = document.with_name(stem + suffix)
            if candidate != document and candidate.is_file() and not document.name.endswith(suffix):
                return candidate
        return None

    def read_expected(self, path: Path) -> list[dict[str, Any]]:
        if self.expected_reader is not None:
            return self.expected_reader(path)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]

    def accepts(self, media_type: str) -> bool:
        return self.media_types is None or media_type in self.media_types

    def check(self) -> None:
        """Raise ``ValueError`` when the description is unusable."""
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"domain name {self.name!r} must be letters, digits and _")
        if not (isinstance(self.schema, type) and issubclass(self.schema, BaseModel)):
            raise ValueError(f"domain {self.name!r}: schema must be a pydantic model class")
        if "{text}" not in self.prompt:
            raise ValueError(f"domain {self.name!r}: prompt template needs a {{text}} slot")
        if self.adapter is not None and not (Path(self.adapter) / "adapter_config.json").is_file():
            raise ValueError(f"domain {self.name!r}: adapter {self.adapter} has no adapter_config.json")


#: The key of a list field's ``json_schema_extra`` that links its items to a stated total.
SUM_KEY = "x-sum-of"


def sum_of(of: str, *totals: str) -> dict[str, Any]:
    """``json_schema_extra`` for a list field whose items' ``of`` add up to one of the
    record's ``totals`` fields, the first stated that matches (invoice lines:
    ``sum_of("price_subtotal", "amount_untaxed", "amount")``). The pipeline checks the
    list against it: a list whose sum misses every stated total is ``incomplete``."""
    if not totals:
        raise ValueError("sum_of needs at least one total field")
    return {SUM_KEY: {"of": of, "totals": list(totals)}}


#: The key of a list field's ``json_schema_extra`` that states a product within each item.
PRODUCT_KEY = "x-product-of"


def product_of(of: str, *factors: str) -> dict[str, Any]:
    """``json_schema_extra`` for a list field whose items' ``of`` is the product of two
    other fields of theirs (invoice lines: ``product_of("price_subtotal", "qty",
    "price_unit")``). Where a row's numbers hold such a pair, the pipeline reads the
    factors from it, their columns agreed across the rows. Combine with ``sum_of`` by
    merging the dicts."""
    if len(factors) != 2:
        raise ValueError("product_of needs two factor fields")
    return {PRODUCT_KEY: {"of": of, "factors": list(factors)}}


def max_chars(n: int) -> dict[str, Any]:
    """``json_schema_extra`` that bounds how many characters the model may write for a field."""
    return {"max_chars": n}


class SpanRule(BaseModel):
    """Which spans of a record's text an extractive field may take; ``extractive()``
    builds one, and the field carries it as its ``json_schema_extra``.

    A typed, frozen object rather than a loose dict, so that a misspelt option or a
    value of the wrong type (one label where a list is asked) fails when the plugin is
    imported, not as a field that silently offers the wrong spans.

    The pipeline applies the options in this order, each step to the spans the one
    before left; a step that would leave none leaves them all, but for ``only_near``
    (``pipeline.generation_schema.offered_spans``):

    1. ``kind`` and ``max_chars``: the spans of that kind in the text, at most that long;
    2. ``not_near``: drops the spans written only right after one of its labels;
    3. ``not_under``: drops the spans written only in blocks under its headings;
    4. ``first_near``: keeps the spans right after one of its labels; where there are
       any, step 5 is skipped;
    5. ``near``: keeps the spans that follow one of its labels, and of those, with
       ``right_after``, the ones right after it; ``only_near``: none where none follows;
    6. ``under``: keeps the spans in blocks under its headings;
    7. ``prefer``: keeps the spans it matches;
    8. ``first``: keeps the first span written (else at most ``MAX_CANDIDATES``);
    9. ``nullable``: whether the model may answer null over the spans left (with none
       left, the field is null whatever it says).

    Metadata inference (a plugin's evidence) and the training data set read ``kind``,
    ``max_chars`` and ``near`` alone.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    #: The kind of span: ``date``, ``amount``, ``currency``, ``code`` (identifier-like
    #: tokens), ``line`` (whole short lines) or ``any`` (any stretch of the text, over
    #: several lines too: decoded under a substring grammar, not from candidates, so
    #: the options below do not apply to it). The value is copied, never invented.
    kind: str
    #: The most characters a span, and so the model's answer, may have.
    max_chars: int = Field(ge=1)
    #: False: when the text has spans left, the model must pick one (small models
    #: otherwise answer null too eagerly).
    nullable: bool = True
    #: Labels such as "invoice no" or "total"; when spans follow one of them on its
    #: line, only those are offered.
    near: tuple[str, ...] = Field((), strict=False)
    #: Labels whose values are never this field (a VAT number after "VAT No"); spans
    #: that follow one of them are not offered.
    not_near: tuple[str, ...] = Field((), strict=False)
    #: A regular expression; when some spans match it, only those are offered (an
    #: issuer among the lines that name a legal form: "GmbH", "B.V.", "Ltd").
    prefer: str | None = None
    #: Of the spans after a ``near`` label, only the ones right after it (nothing but
    #: spaces, punctuation or a currency sign between), where there are any.
    right_after: bool = False
    #: When no span follows one of ``near``, none is offered and the field is null (an
    #: invoice that labels no tax amount charges none; its other amounts are not).
    only_near: bool = False
    #: Labels that name the field outright ("Rechnungsnummer", where ``near`` also has
    #: "Nummer"), found also at the end of a word ("Handelsrechnung Nr."); when spans
    #: stand right after one of them, only those are offered, and ``near`` is not asked.
    first_near: tuple[str, ...] = Field((), strict=False)
    #: Headings alone on a line over the block that holds the field ("Verkäufer",
    #: "Seller"); when some spans are in such a block, only those are offered.
    under: tuple[str, ...] = Field((), strict=False)
    #: Headings over blocks that never hold it ("Käufer", "Bill to"); spans written only
    #: in such a block are not offered. Each of ``under`` and ``not_under`` also ends
    #: the other's blocks.
    not_under: tuple[str, ...] = Field((), strict=False)
    #: Of the spans the options above leave, only the first written is offered (a
    #: document states its own date before the delivery, period and due dates that the
    #: labels fail to tell apart).
    first: bool = False

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        from parser_service.text.spans import ANY_SPAN, FINDERS

        if kind not in FINDERS and kind != ANY_SPAN:
            raise ValueError(f"unknown span kind {kind!r}; choose one of: {', '.join([*FINDERS, ANY_SPAN])}")
        return kind

    @field_validator("prefer")
    @classmethod
    def _compiles(cls, prefer: str | None) -> str | None:
        try:  # a bad pattern fails where it is written, not at the first document
            return prefer if prefer is None else re.compile(prefer).pattern
        except re.error as error:
            raise ValueError(f"prefer {prefer!r} is no regular expression: {error}") from error

    def __call__(self, schema: JsonDict) -> None:
        """Writes the rule into the field's JSON schema (pydantic calls it), keys and
        values as ``extractive()`` wrote them when it returned a dict, so that a schema's
        JSON form does not change: ``candidates`` for the kind, only the options set."""
        options: JsonDict = {
            "right_after": self.right_after, "only_near": self.only_near, "first_near": list(self.first_near),
            "under": list(self.under), "not_under": list(self.not_under), "first": self.first,
            "prefer": self.prefer, "not_near": list(self.not_near),
        }  # fmt: skip
        out: JsonDict = {"max_chars": self.max_chars, "candidates": self.kind, "nullable": self.nullable, "near": list(self.near)}
        schema.update(out | {name: value for name, value in options.items() if value})


def span_rule(info: FieldInfo) -> SpanRule | None:
    """The field's ``SpanRule``, if ``extractive()`` marked it."""
    return info.json_schema_extra if isinstance(info.json_schema_extra, SpanRule) else None


def inferred(info: FieldInfo) -> bool:
    """Whether the field's value is chosen rather than copied from the text: a field marked
    ``{"inferred": True}`` (a schema's ``"x-inferred": true``), an enum (``Literal``) or a
    boolean. Such a value need not occur in the text; it is marked ``inferred`` and scored
    on its own (``pipeline.confidence.Evidence``)."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("inferred") is True:
        return True
    annotation = info.annotation
    union = get_origin(annotation) in (Union, types.UnionType)
    options = [arg for arg in get_args(annotation) if arg is not type(None)] if union else [annotation]
    return len(options) == 1 and (options[0] is bool or get_origin(options[0]) is Literal)


@functools.cache
def inferred_fields(schema: type[BaseModel]) -> frozenset[str]:
    """The names of ``schema``'s fields whose values are chosen, not copied (``inferred``)."""
    return frozenset(name for name, info in schema.model_fields.items() if inferred(info))


def extractive(
    kind: str,
    n: int,
    *,
    nullable: bool = True,
    near: Sequence[str] = (),
    not_near: Sequence[str] = (),
    prefer: str | None = None,
    right_after: bool = False,
    only_near: bool = False,
    first_near: Sequence[str] = (),
    under: Sequence[str] = (),
    not_under: Sequence[str] = (),
    first: bool = False,
) -> SpanRule:
    """``json_schema_extra`` for a field decoded as one of the ``kind`` spans of the text,
    at most ``n`` characters long: a ``SpanRule``, whose docstring says what each option
    does and in which order they apply. A keyword function, so that a plugin declares a
    field in one line."""
    return SpanRule(
        kind=kind, max_chars=n, nullable=nullable, near=near, not_near=not_near, prefer=prefer,
        right_after=right_after, only_near=only_near, first_near=first_near, under=under, not_under=not_under,
        first=first,
    )  # fmt: skip


def adapter_folder(folder: Path) -> Path | None:
    """``folder`` when it holds a PEFT adapter (``adapter_config.json``), else None."""
    return folder if (folder / "adapter_config.json").is_file() else None
