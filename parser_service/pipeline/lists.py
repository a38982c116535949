"""A record's lists read row by row, and each checked for completeness.

A field that holds a list of objects (invoice lines, receipt items, a CV's positions)
is never decoded in one generation capped at a few items. Its rows are found in the
record (``rows``: detected tables, repeated blocks of lines), and each row is filled
by one small generation under the item's own grammar, its spans taken from that row
alone; the rows of every record are asked for in one batch.

Where the rows' amounts in one column add up to a total the schema links the list to,
that column is the linked field of every row, read in code: the sum shows the columns.
Each list is then checked: every row found must have given an item, and where the
schema links the list to a stated total (``sum_of``: the invoice's line amounts add up
to its net total), the items' amounts must add up to it. A list that cannot be shown
complete carries the reason (``RecordResult.incomplete``); a sum that matches the
total shows it complete even where some rows found were no items (a totals row).
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from parser_service.backends.base import GenerationRequest
from parser_service.domains.domain import PRODUCT_KEY, SUM_KEY, span_rule
from parser_service.pipeline.generation_schema import generation_schema
from parser_service.pipeline.rows import (
    SUM_TOLERANCE,
    ListRow,
    RowGroup,
    column_spans,
    figures,
    groups,
    holds_values,
    rank,
    shape,
    sum_column,
)
from parser_service.records import Record
from parser_service.text.normalize import to_number

ROW_PROMPT = (
    "A row of the {what} in a document{columns}:\n{text}\n\n"
    "From this row, copy these fields exactly as written. Use null when the row has none.\n\nFields:\n{fields}"
)


@dataclass(frozen=True, slots=True)
class SumLink:
    """The items' ``of`` field adds up to one of the record's ``totals`` fields (the
    first one stated that it matches)."""

    of: str
    totals: tuple[str, ...]


def sum_link(info: FieldInfo) -> SumLink | None:
    extra = info.json_schema_extra
    link = extra.get(SUM_KEY) if isinstance(extra, dict) else None
    totals = link.get("totals") if isinstance(link, dict) else None
    if not isinstance(link, dict) or not isinstance(totals, list):
        return None
    return SumLink(str(link["of"]), tuple(str(name) for name in totals))


@dataclass(frozen=True, slots=True)
class ProductLink:
    """Each item's ``of`` is ``factors[0]`` times ``factors[1]``."""

    of: str
    factors: tuple[str, str]


def product_link(info: FieldInfo) -> ProductLink | None:
    extra = info.json_schema_extra
    link = extra.get(PRODUCT_KEY) if isinstance(extra, dict) else None
    factors = link.get("factors") if isinstance(link, dict) else None
    if not isinstance(link, dict) or not isinstance(factors, list) or len(factors) != 2:
        return None
    return ProductLink(str(link["of"]), (str(factors[0]), str(factors[1])))


def list_fields(schema: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The schema's fields that hold a list of objects, with the items' model."""
    out = {}
    for name, info in schema.model_fields.items():
        item = item_model(info.annotation)
        if item is not None:
            out[name] = item
    return out


def item_model(annotation: Any) -> type[BaseModel] | None:
    """``X`` of ``list[X]`` (optional or annotated too) where X is a model, else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is not list:
        return None
    (item,) = get_args(annotation)
    while get_origin(item) is Annotated:
        item = get_args(item)[0]
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def linked_totals(link: SumLink | None, data: Mapping[str, Any]) -> list[float]:
    """The stated values of ``link``'s totals in the record's (normalised) data."""
    if link is None:
        return []
    return [float(data[name]) for name in link.totals if isinstance(data.get(name), int | float)]


def best_group(record: Record, item: type[BaseModel], totals: Sequence[float]) -> RowGroup | None:
    """The group of rows of ``record`` that best holds ``item`` (``rows.rank``), if any."""
    ranked = rank([group for group in groups(record) if holds_values(group, item)], item, totals)
    return ranked[0] if ranked else None


def row_request(
    name: str,
    info: FieldInfo,
    item: type[BaseModel],
    group: RowGroup,
    row: ListRow,
    *,
    system_prompt: str,
    adapter: Any,
    truncate: Callable[[str, int], str],
    max_prompt_tokens: int,
) -> GenerationRequest:
    """One row's request: its text, the header over it, and the item's grammar with its
    spans drawn from the row's text alone."""
    text = truncate(row.text, max_prompt_tokens)
    schema = generation_schema(item, None, text)
    _without_amounts(schema.json_schema, item)
    _described(schema.json_schema, item)
    _with_figures(schema.json_schema, item, text)
    columns = f" (columns: {group.header})" if group.header else ""
    what = info.description or name.replace("_", " ")
    user = ROW_PROMPT.format(what=what, columns=columns, text=text, fields=schema.field_lines)
    messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": user}]
    return GenerationRequest(messages, schema.json_schema, schema.max_new_tokens, adapter)


def _without_amounts(schema: dict[str, Any], item: type[BaseModel]) -> None:
    """A row's line fields (a description) are not offered the spans that end in its
    money columns (the whole row's line), where other lines are left (in place)."""
    for name, info in item.model_fields.items():
        rule = span_rule(info)
        options = schema["properties"][name].get("anyOf", []) if rule and rule.kind == "line" else []
        for option in options:
            kept = [v for v in option.get("enum") or [] if not shape(str(v)).endswith("M")]
            if kept:
                option["enum"] = kept


def _described(schema: dict[str, Any], item: type[BaseModel]) -> None:
    """The item's first field copied as a line (its description, its name) may not be
    null where the row offers lines: a row of a list says what it is, and a small model
    answers null too eagerly (in place)."""
    first = next(
        (n for n, info in item.model_fields.items() if (rule := span_rule(info)) and rule.kind == "line"), None
    )
    options = schema["properties"].get(first, {}).get("anyOf", []) if first else []
    offered = [option for option in options if option.get("enum")]
    if first and offered:
        schema["properties"][first] = offered[0]


def _with_figures(schema: dict[str, Any], item: type[BaseModel], text: str) -> None:
    """A row's amount fields offered every number of the row, in the order written, not
    only those that read as money: a quantity is a plain "5" or "1" (in place)."""
    numbers = list(dict.fromkeys(figures(text)))
    for name, info in item.model_fields.items():
        rule = span_rule(info)
        options = schema["properties"][name].get("anyOf", []) if rule and rule.kind == "amount" else []
        for option in options:
            if option.get("enum"):
                extra = [n for n in numbers if n not in option["enum"] and len(n) <= rule.max_chars]  # type: ignore[union-attr]
                option["enum"] = sorted(option["enum"] + extra, key=lambda v: _at(text, v))


def _at(text: str, value: str) -> int:
    found = text.find(value)
    return found if found >= 0 else len(text)


def row_values(item: type[BaseModel], data: Any, context: Mapping[str, Any]) -> dict[str, Any] | None:
    """The raw values of one row's answer, each that fails the item's validation set to
    null; None when the row gave no value (it holds no item: a totals row)."""
    if not isinstance(data, dict):
        return None
    values = {name: data.get(name) for name in item.model_fields}
    try:
        item.model_validate(values, context=dict(context))
    except ValidationError as exc:
        for error in exc.errors():
            if error.get("loc"):
                values[str(error["loc"][0])] = None
    return values if any(v is not None for v in values.values()) else None


def linked_column(
    group: RowGroup, answers: Sequence[dict[str, Any] | None], link: SumLink | None, data: Mapping[str, Any]
) -> list[tuple[dict[str, Any], ListRow]]:
    """Each row's item with the row it came from. Where the rows' amounts in one column
    add up to a stated total the list is linked to, that column is the linked field of
    every row, read in code (the columns are clear: the sum shows them), and every row
    is an item; elsewhere the rows that gave a value are."""
    column = sum_column(group, linked_totals(link, data)) if link is not None else None
    if column is None or link is None:
        return [(values, row) for values, row in zip(answers, group.rows) if values is not None]
    spans = column_spans(group, column)
    return [({**(values or {}), link.of: span}, row) for values, row, span in zip(answers, group.rows, spans)]


def product_factors(items: list[tuple[dict[str, Any], ListRow]], link: ProductLink | None) -> None:
    """Where the schema states ``of = a * b`` within an item: the two columns of the
    rows' numbers whose product is the item's ``of``, agreed by most rows, are read as
    ``a`` and ``b`` in every row where the product holds (in place). Which of the two is
    ``a`` follows the model's answers where they tell, else the order of the columns."""
    if link is None:
        return
    pairs = [_factor_pairs(values.get(link.of), figures(row.text)) for values, row in items]
    votes = Counter(pair for found in pairs for pair in found)
    if not votes:
        return
    (first, second), _ = votes.most_common(1)[0]
    swap = _swapped(items, link, first, second)
    a, b = (link.factors[1], link.factors[0]) if swap else link.factors
    for (values, row), found in zip(items, pairs):
        if (first, second) in found:
            numbers = figures(row.text)
            values[a], values[b] = numbers[first], numbers[second]


def _factor_pairs(total: Any, numbers: list[str]) -> set[tuple[int, int]]:
    """Positions (i < j) of two of ``numbers`` whose product is ``total``."""
    try:
        want = to_number(total)
        values = [to_number(n) for n in numbers]
    except ValueError:
        return set()
    tolerance = max(SUM_TOLERANCE, abs(want) * 0.001)
    return {
        (i, j)
        for i in range(len(values))
        for j in range(i + 1, len(values))
        if abs(values[i] * values[j] - want) <= tolerance and want != 0
    }


def _swapped(items: list[tuple[dict[str, Any], ListRow]], link: ProductLink, first: int, second: int) -> bool:
    """Whether the model's answers read the later column as the first factor more often."""
    score = 0
    for values, row in items:
        numbers = figures(row.text)
        if max(first, second) >= len(numbers):
            continue
        given = values.get(link.factors[0])
        score += (given == numbers[second]) - (given == numbers[first])
    return score > 0


def incompleteness(
    group: RowGroup | None, items: Sequence[Mapping[str, Any]], link: SumLink | None, data: Mapping[str, Any]
) -> str | None:
    """Why the list cannot be shown complete, or None when it can."""
    found = len(group.rows) if group is not None else 0
    totals = {
        name: float(data[name]) for name in (link.totals if link else ()) if isinstance(data.get(name), int | float)
    }
    if link is not None and totals:
        amounts = [row.get(link.of) for row in items]
        if items and all(isinstance(a, int | float) for a in amounts):
            added = round(sum(amounts), 2)  # type: ignore[arg-type]
            tolerance = SUM_TOLERANCE * max(1, len(items))
            if any(abs(added - total) <= tolerance for total in totals.values()):
                return None
            stated = ", ".join(f"{name} {total}" for name, total in totals.items())
            return f"the items' {link.of} add up to {added}, not to the stated {stated}"
        if not items and any(totals.values()):
            return f"no rows found, though the document states {', '.join(f'{n} {t}' for n, t in totals.items())}"
    if len(items) < found:
        return f"{found} rows found, {len(items)} read as items"
    return None
