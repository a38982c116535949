"""Records in, validated results out: prompt, generate, normalise, validate, re-ask.

For each record: fields a plugin can fill straight from the record (``prefill``)
are taken as they are; the model is asked for the rest under a grammar built from
the schema; the target schema normalises and validates the raw values; cross-field
validators run; the plugin's repairs may mend what they flagged from the record's text
(totals that add up); fields still failing are asked for once more, with the error,
and only those. Lists of objects are then read row by row (``lists``), and each list
that cannot be shown complete is named with the reason. A record ends ``ok``,
``invalid`` (with its errors) or ``failed``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from parser_service.backends.base import Backend, Generation, GenerationRequest
from parser_service.document import Provenance
from parser_service.domains.domain import Domain, inferred_fields, span_rule
from parser_service.pipeline import lists
from parser_service.pipeline.answers import field_confidence, place
from parser_service.pipeline.confidence import Calibration, Evidence, needs_review, score
from parser_service.pipeline.generation_schema import DEFAULT_MAX_CHARS, MAX_SCALAR_ITEMS, generation_schema
from parser_service.pipeline.rows import RowGroup
from parser_service.records import FieldIssue, Record, RecordResult
from parser_service.text.normalize import infer_dayfirst
from parser_service.text.spans import dates

Progress = Callable[[str, int, int], None]
#: Characters of a record's text its plugin's repairs read (its start): what a chunk of
#: records holds (``pipeline.CHUNK_CHARS``). One record can be a whole document (an
#: invoice: ``whole_document``), and the invoices plugin's repairs read about 1.6 µs a
#: character: a 40 MB text took a minute a repair; this many, under two seconds.
REPAIR_TEXT_CHARS = 1 << 20


@dataclass
class _State:
    record: Record
    raw: dict[str, Any]
    source: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    issues: list[FieldIssue] = field(default_factory=list)
    model: BaseModel | None = None
    truncated: bool = False
    failure: str | None = None
    #: List field -> the rows it was read from (None: no rows found).
    groups: dict[str, RowGroup | None] = field(default_factory=dict)
    #: List field -> where each of its items came from.
    row_provenance: dict[str, list[Provenance]] = field(default_factory=dict)
    #: List field -> why it cannot be shown complete.
    incomplete: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def dayfirst(self) -> bool | None:
        """Day/month order of the record's numeric dates, where one of them decides it."""
        return infer_dayfirst(dates(self.record.text, DEFAULT_MAX_CHARS[datetime.date]))


def extract_records(
    records: Sequence[Record],
    domain: Domain,
    backend: Backend,
    *,
    max_prompt_tokens: int,
    retries: int = 1,
    batch_size: int = 8,
    progress: Progress | None = None,
    extractive_decoding: bool = True,
) -> list[RecordResult]:
    with _long_lived_left_out():
        states = [_start(record, domain) for record in records]
        asker = _Asker(domain, backend, max_prompt_tokens, batch_size, progress)
        asker.extractive_decoding = extractive_decoding
        asker.ask(states, lambda s: _missing(s, domain), hint=None)
        for state in states:
            _validate(state, domain)
            _repair(state, domain)
        for _ in range(retries):
            again = [s for s in states if _retry_fields(s)]
            if not again:
                break
            asker.ask(again, _retry_fields, hint=_hint)
            for state in again:
                _validate(state, domain)
        asker.read_lists(states)
        calibration = Calibration.load(domain.adapter)
        return [_result(state, domain, calibration) for state in states]


@contextmanager
def _long_lived_left_out() -> Iterator[None]:
    """What is alive when extraction starts (the parsed document, its records) stays out
    of the garbage collector's full passes until it ends: on a 100,000-row export those
    passes, walking every cell again and again, took about 40% of the time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _start(record: Record, domain: Domain) -> _State:
    raw = dict(domain.prefill(record)) if domain.prefill else {}
    state = _State(record=record, raw=raw)
    for name in raw:
        state.source[name] = "prefill"
        state.confidence[name] = record.field_confidence.get(name, 1.0)
    return state


def _missing(state: _State, domain: Domain) -> list[str]:
    """Fields still to ask the model for; lists are read row by row (``_Asker.read_lists``)."""
    rows = lists.list_fields(domain.schema)
    return [name for name in domain.schema.model_fields if name not in state.raw and name not in rows]


class _Asker:
    """Builds prompts for a set of records and fields, and merges the answers back."""

    def __init__(
        self, domain: Domain, backend: Backend, max_prompt_tokens: int, batch_size: int, progress: Progress | None
    ):
        self.domain, self.backend = domain, backend
        self.max_prompt_tokens, self.batch_size, self.progress = max_prompt_tokens, batch_size, progress
        #: False: extractive fields are free bounded strings, not enums of the text's spans.
        self.extractive_decoding = True

    def ask(self, states: list[_State], fields_of: Callable[[_State], list[str]], hint: Callable[[_State], str] | None) -> None:
        jobs = [(s, fields_of(s)) for s in states if not s.failure]
        jobs = [(s, names) for s, names in jobs if names]
        requests = [self._request(s, names, hint) for s, names in jobs]
        answers: list[Generation] = []
        step = self.batch_size  # one progress report per batch
        for start in range(0, len(requests), step):
            answers += self.backend.generate(requests[start : start + step], logprobs=self.backend.supports_logprobs)
            if self.progress:
                self.progress("records", min(start + step, len(requests)), len(requests))
        for (state, names), answer in zip(jobs, answers):
            _merge(state, names, answer)

    def read_lists(self, states: list[_State]) -> None:
        """Every list field of every record, read from its rows, one generation a row,
        the rows of all records batched; then each record is validated again and each
        list checked for completeness."""
        fields = lists.list_fields(self.domain.schema)
        active = [s for s in states if not s.failure]
        jobs = [job for s in active for job in self._row_jobs(s, fields)]
        answers = self._generate([request for *_, request in jobs])
        found: dict[tuple[int, str], list[dict[str, Any] | None]] = {}
        for (state, name, _, _), answer in zip(jobs, answers):
            values = None if answer.truncated else lists.row_values(fields[name], answer.data, _context(state))
            found.setdefault((id(state), name), []).append(values)
        for state in active:
            self._merge_lists(state, found)

    def _row_jobs(
        self, state: _State, fields: dict[str, type[BaseModel]]
    ) -> list[tuple[_State, str, Any, GenerationRequest]]:
        data = _best_data(state, self.domain)
        jobs = []
        for name, item in fields.items():
            if state.source.get(name) == "prefill":
                continue
            info = self.domain.schema.model_fields[name]
            group = lists.best_group(state.record, item, lists.linked_totals(lists.sum_link(info), data))
            state.groups[name] = group
            if group is None:
                continue
            for row in group.rows:
                request = lists.row_request(
                    name, info, item, group, row,
                    system_prompt=self.domain.system_prompt, adapter=self.domain.adapter,
                    truncate=self.backend.truncate, max_prompt_tokens=self.max_prompt_tokens,
                )  # fmt: skip
                jobs.append((state, name, row, request))
        return jobs

    def _merge_lists(self, state: _State, found: dict[Any, list[Any]]) -> None:
        data = _best_data(state, self.domain)
        for name, group in state.groups.items():
            info = self.domain.schema.model_fields[name]
            answers = found.get((id(state), name), [])
            items = lists.linked_column(group, answers, lists.sum_link(info), data) if group else []
            lists.product_factors(items, lists.product_link(info))
            state.raw[name] = [values for values, _ in items]
            state.source[name] = "rows"
            state.row_provenance[name] = [row.provenance for _, row in items]
        _validate(state, self.domain)
        data = _best_data(state, self.domain)
        for name in state.groups:
            link = lists.sum_link(self.domain.schema.model_fields[name])
            reason = lists.incompleteness(state.groups[name], data.get(name) or [], link, data)
            if reason is not None:
                state.incomplete[name] = reason

    def _generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        answers: list[Generation] = []
        for start in range(0, len(requests), self.batch_size):
            answers += self.backend.generate(requests[start : start + self.batch_size], logprobs=False)
        return answers

    def _request(self, state: _State, names: list[str], hint: Callable[[_State], str] | None) -> GenerationRequest:
        return build_request(
            state.record,
            self.domain,
            names,
            truncate=self.backend.truncate,
            max_prompt_tokens=self.max_prompt_tokens,
            hint=hint(state) if hint is not None else None,
            extractive_decoding=self.extractive_decoding,
        )


def build_request(
    record: Record,
    domain: Domain,
    names: Sequence[str],
    *,
    truncate: Callable[[str, int], str],
    max_prompt_tokens: int,
    hint: str | None = None,
    extractive_decoding: bool = True,
) -> GenerationRequest:
    """The request the model gets for ``names`` of ``record``: the record's text cut to
    ``max_prompt_tokens`` by ``truncate`` (a backend's tokenizer), the plugin's prompt
    and the generation schema for that text, then ``hint`` (a re-ask's problems).

    Public so that training data is built from exactly the prompts inference sends.
    """
    text = truncate(record.text, max_prompt_tokens)
    schema = generation_schema(domain.schema, names, text, extractive_decoding=extractive_decoding)
    user = domain.prompt.format(text=text, fields=schema.field_lines)
    if hint is not None:
        user += "\n\n" + hint
    messages = [{"role": "system", "content": domain.system_prompt}, {"role": "user", "content": user}]
    return GenerationRequest(messages, schema.json_schema, schema.max_new_tokens, domain.adapter)


def _merge(state: _State, names: list[str], answer: Generation) -> None:
    if answer.truncated or not isinstance(answer.data, dict):
        state.truncated = True
        state.failure = (
            f"the model's answer was cut off at the token limit after {answer.n_tokens} tokens; "
            "the record was not completed"
        )
        return
    for name in names:
        state.raw[name] = _distinct(answer.data.get(name))
        state.source[name] = "model"
    state.confidence.update(field_confidence(answer.text, names, answer.logprobs))


def _distinct(value: Any) -> Any:
    """A list of scalars with each value once, in order (a small model repeats itself);
    anything else as it is."""
    if not isinstance(value, list) or any(isinstance(item, (list, dict)) for item in value):
        return value
    return list(dict.fromkeys(value))


def _validate(state: _State, domain: Domain) -> None:
    if state.failure:
        return
    state.issues = []
    try:
        state.model = domain.schema.model_validate(state.raw, context=_context(state))
    except ValidationError as exc:
        state.model = None
        state.issues = _issues(exc)
        return
    if domain.extractive:
        state.issues += _invented(state, inferred_fields(domain.schema))
    for check in domain.validators:
        state.issues += check(state.model)


def _repair(state: _State, domain: Domain) -> None:
    """The plugin's repairs; a repair's values are kept where they leave fewer problems
    (or, on a record that had none, no new one: a repair may see in the text what no
    check can, as a total written after its label that the model did not copy), and
    count as the document's, not the model's (no token probability: their confidence
    rests on being verbatim and valid). They read the text's first ``REPAIR_TEXT_CHARS``."""
    text = state.record.text[:REPAIR_TEXT_CHARS]
    for repair in domain.repairs:
        if state.failure:
            return
        changes = repair(dict(state.raw), text, list(state.issues))
        if not changes:
            continue
        kept = dataclasses.replace(
            state, raw=dict(state.raw), source=dict(state.source), confidence=dict(state.confidence)
        )
        for name, value in changes.items():
            state.raw[name], state.source[name] = value, "repair"
            state.confidence.pop(name, None)
        _validate(state, domain)
        if len(state.issues) >= len(kept.issues) and (state.issues or kept.issues):
            state.raw, state.source, state.confidence = kept.raw, kept.source, kept.confidence
            state.issues, state.model = kept.issues, kept.model


def _context(state: _State) -> dict[str, Any]:
    """What the schema's normalisers are told about the record ("dayfirst": how its
    dates are written, read off the dates that only one order allows: "11/17/2017").
    A record filled by its plugin alone is not read: the plugin's mapping knows the
    order of its columns (and a 100,000-row export would pay for it on every row)."""
    model_written = any(source != "prefill" for source in state.source.values())
    return {"dayfirst": state.dayfirst if model_written else None}


def _invented(state: _State, chosen: frozenset[str]) -> list[FieldIssue]:
    """Model-written scalar values that do not occur in the record's text; ``chosen``
    fields (``inferred``) are not copied, and not looked for."""
    haystack = _squash(state.record.text)
    issues = []
    for name, value in state.raw.items():
        if state.source.get(name) != "model" or value is None or isinstance(value, dict) or name in chosen:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is not None and not isinstance(item, (list, dict)) and _squash(str(item)) not in haystack:
                issues.append(FieldIssue(name, f"{name}: {item!r} does not occur in the document"))
    return issues


def _flag_full_lists(state: _State) -> None:
    """A list of scalars the model filled to the most one answer holds may have more
    items in the document: it cannot be shown complete."""
    for name, value in state.raw.items():
        if name not in state.groups and isinstance(value, list) and len(value) >= MAX_SCALAR_ITEMS:
            state.incomplete.setdefault(name, f"the answer holds at most {MAX_SCALAR_ITEMS} items, and all were used")


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _issues(exc: ValidationError) -> list[FieldIssue]:
    out = []
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = str(loc[0]) if loc else None
        where = ".".join(str(part) for part in loc)
        out.append(FieldIssue(name, f"{where}: {error.get('msg')}" if where else str(error.get("msg"))))
    return out


def _retry_fields(state: _State) -> list[str]:
    """Model-written fields with problems (prefilled ones are not the model's to fix)."""
    if state.failure:
        return []
    names = {i.field for i in state.issues if i.field and state.source.get(i.field) == "model"}
    return sorted(names)


def _hint(state: _State) -> str:
    problems = "\n".join(f"- {i.message} (you wrote {state.raw.get(i.field)!r})" for i in state.issues if i.field)
    return f"Your previous answer had problems:\n{problems}\nAnswer again for these fields only."


def _result(state: _State, domain: Domain, calibration: Calibration | None = None) -> RecordResult:
    if state.failure:
        status, data = "failed", None
        errors = [FieldIssue(None, state.failure)]
    else:
        status = "ok" if state.model is not None and not state.issues else "invalid"
        data, errors = _best_data(state, domain), state.issues
    chosen = inferred_fields(domain.schema)
    _flag_full_lists(state)
    provenance = _provenance(state, domain, chosen)
    evidence = _evidence(state, provenance["fields"], chosen)
    confidence = {name: score(e, calibration) for name, e in evidence.items()}
    given = {name for name, value in state.raw.items() if value is not None}
    flagged = {i.field for i in errors if i.field} | set(
        needs_review({k: confidence[k] for k in given if k in confidence}, domain.review_threshold)
    )
    return RecordResult(
        index=state.record.index,
        domain=domain.name,
        schema=domain.schema.__name__,
        status=status,  # type: ignore[arg-type]
        data=data,
        errors=errors,
        provenance=provenance,
        confidence=confidence,
        truncated=state.truncated,
        review_fields=sorted(flagged | set(state.incomplete)),
        evidence=evidence,
        incomplete=dict(state.incomplete),
    )


def _evidence(state: _State, where: dict[str, Any], chosen: frozenset[str]) -> dict[str, Evidence]:
    """Per field: the model's token probability, found verbatim, passed validation, and
    whether it was chosen among options (``inferred``) rather than copied."""
    bad = {i.field for i in state.issues if i.field}
    return {
        name: Evidence(
            token_prob=state.confidence.get(name),
            verbatim=bool(where.get(name, {}).get("verbatim")) or state.raw.get(name) is None,
            valid=name not in bad and not state.failure,
            prefilled=state.source.get(name) == "prefill",
            inferred=name in chosen and state.source.get(name) == "model",
        )
        for name in state.raw
    }


def _best_data(state: _State, domain: Domain) -> dict[str, Any]:
    """The normalised record; for invalid fields, None (their raw text is in the errors)."""
    if state.model is not None:
        return state.model.model_dump(mode="json")
    bad = {i.field for i in state.issues if i.field}
    cleaned = {k: (None if k in bad else v) for k, v in state.raw.items()}
    try:
        return domain.schema.model_validate(cleaned, context=_context(state)).model_dump(mode="json")
    except ValidationError:
        return cleaned


def _provenance(state: _State, domain: Domain, chosen: frozenset[str]) -> dict[str, Any]:
    """Where each value was found; a value the model chose among options (``chosen``)
    is marked ``inferred``: it is not a span of the text, whatever it matches there."""
    fields: dict[str, Any] = {}
    for name, value in state.raw.items():
        fields[name] = _field_provenance(state, name, value, _labels(domain, name))
        if name in chosen and state.source.get(name) == "model":
            fields[name]["inferred"] = True
    return {"record": [p.to_dict() for p in state.record.provenance], "fields": fields}


def _labels(domain: Domain, name: str) -> list[str]:
    """What labels a field's value in a document: its name in words, and its span rule's labels."""
    info = domain.schema.model_fields.get(name)
    rule = span_rule(info) if info is not None else None
    return [name.replace("_", " "), *(rule.first_near + rule.near if rule else ())]


def _field_provenance(state: _State, name: str, value: Any, labels: list[str]) -> dict[str, Any]:
    """Where the field's value came from: its cell (a splitter that knows the column), or
    where it occurs in the record's text, offsets included (``answers.place``)."""
    column = state.record.field_columns.get(name)
    out: dict[str, Any] = {"source": state.source.get(name, "model")}
    if name in state.record.field_readings:
        out["reading"] = state.record.field_readings[name]
    if column is not None and column in state.record.cell_provenance:
        out |= {"verbatim": True} | state.record.cell_provenance[column].to_dict()
    elif isinstance(value, list) and name not in state.row_provenance:  # a list of scalars
        places = [place(state.record, item, labels) for item in value]
        out |= {"verbatim": all(places), "items": [p.to_dict() if p else None for p in places]}
    else:
        placed = place(state.record, value, labels)
        out |= {"verbatim": placed is not None} | (placed.to_dict() if placed else {})
    if name in state.row_provenance:
        out.update(verbatim=True, rows=[row.to_dict() for row in state.row_provenance[name]])
    if name in state.incomplete:  # also here: a stored record keeps its provenance whole
        out["incomplete"] = state.incomplete[name]
    return out
