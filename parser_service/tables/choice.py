"""The model choosing, once per table and per field, which column holds the field.

The prompt shows every column by letter with its header and its first sampled cells,
then one field's name and description, and asks for the letter of the column that
holds it, or "none". The answer is grammar-constrained to the letters of the columns
whose cells can hold the field's kind (``mapping.fit``: a date field is offered no
column of names) and "none". Each offered choice is scored in one batch, as the
document type is (``pipeline.metadata.choice_requests``): one request per choice whose
answer is that choice alone, its tokens' log probabilities summed and normalised over
the choices. The table's part of the prompt comes first and the field last, so every
request of a table shares its prefix (read once).

A backend that gives no log probabilities answers once per field under the full enum:
its pick has probability 1.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parser_service.backends.base import Backend, GenerationRequest
from parser_service.document import CellValue
from parser_service.pipeline.generation_schema import TOKEN_SLACK, max_json_chars
from parser_service.pipeline.metadata import choice_probabilities
from parser_service.tables.fields import Target
from parser_service.tables.values import is_empty

NONE = "none"
KEY = "column"
#: A column is offered for a field when its cells fit the field's kind at least this well.
OFFER_FIT = 0.5
#: Cells shown of each column, and characters of each cell and header.
SHOWN_CELLS = 3
CELL_CHARS = 24
HEADER_CHARS = 40
#: Columns shown at most (letters A..Z, then AA..): a wider table shows its first ones.
MAX_COLUMNS = 52

SYSTEM = "You match the columns of a table to the fields of a form. Answer with JSON only."
PROMPT = (
    "Columns of the table (header: first cells):\n{columns}\n\n"
    "Field: {field}\n"
    "Which column holds this field? Answer with the column, or none if no column holds it."
)


@dataclass(frozen=True, slots=True)
class Choices:
    """One field's probability of each offered column, and of no column."""

    columns: dict[str, float]
    none: float


def letters(count: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ... for ``count`` columns."""
    upper = string.ascii_uppercase
    return [upper[i] if i < 26 else upper[i // 26 - 1] + upper[i % 26] for i in range(count)]


def table_text(columns: Mapping[str, Sequence[CellValue]]) -> tuple[str, dict[str, str]]:
    """The prompt's list of columns, and choice -> column name. A column's choice is its
    header (the model writes the header it means: a 135M model links a field to a
    header's words far better than to a letter beside them), or its letter where headers
    are blank or not told apart."""
    names = list(columns)[:MAX_COLUMNS]
    headers = [_cut(name, HEADER_CHARS) for name in names]
    if all(h and h != NONE for h in headers) and len(set(headers)) == len(headers):
        by_choice = dict(zip(headers, names))
        return "\n".join(f"- {h}: {_sample(columns[n])}" for h, n in by_choice.items()), by_choice
    by_choice = dict(zip(letters(len(names)), names))
    lines = [f"{x}. {_cut(n, HEADER_CHARS)}: {_sample(columns[n])}" for x, n in by_choice.items()]
    return "\n".join(lines), by_choice


def _sample(values: Sequence[CellValue]) -> str:
    shown = [_cut(str(v), CELL_CHARS) for v in values if not is_empty(v)][:SHOWN_CELLS]
    return " | ".join(shown) if shown else "(empty)"


def _cut(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


def field_text(target: Target) -> str:
    """The field's name, then its description's phrases."""
    described = "; ".join(target.phrases[1:])
    return f"{target.name} ({described})" if described else target.name


def _request(table: str, target: Target, options: list[str]) -> GenerationRequest:
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPT.format(columns=table, field=field_text(target))},
    ]
    schema = {"type": "object", "properties": {KEY: {"enum": options}}, "required": [KEY],
              "additionalProperties": False}  # fmt: skip
    return GenerationRequest(messages, schema, max_json_chars(schema) + TOKEN_SLACK)


def _forced(request: GenerationRequest, choice: str) -> GenerationRequest:
    """``request`` whose answer is ``choice`` alone: its log probabilities score it."""
    schema = {**request.schema, "properties": {KEY: {"enum": [choice]}}}
    return GenerationRequest(request.messages, schema, max_json_chars(schema) + TOKEN_SLACK)


#: The question a pair of amount columns asks: which is money going out.
OUTGOING = Target(
    "money_out", ("money_out", "money paid out of the account", "a payment, withdrawal or debit"), "amount"
)


class ModelChooser:
    """Asks ``backend`` which column holds each field (see the module's docstring)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def choose(
        self,
        targets: Sequence[Target],
        columns: Mapping[str, Sequence[CellValue]],
        fits: Mapping[tuple[str, str], float],
    ) -> dict[str, Choices]:
        """Field -> its choices; ``fits``: (field, column) -> how well the column's cells fit it."""
        table, by_letter = table_text(columns)
        offered = {
            t.name: [x for x, c in by_letter.items() if fits.get((t.name, c), 0.0) >= OFFER_FIT] + [NONE]
            for t in targets
        }
        requests = {t.name: _request(table, t, offered[t.name]) for t in targets}
        if self.backend.supports_logprobs:
            probabilities = self._scored(requests, offered)
        else:
            probabilities = self._picked(requests, offered)
        return {
            name: Choices({by_letter[x]: p for x, p in ps.items() if x != NONE}, ps.get(NONE, 0.0))
            for name, ps in probabilities.items()
        }

    def outgoing(self, columns: Mapping[str, Sequence[CellValue]]) -> str | None:
        """Which of two amount columns holds the money going out, by the model's likelier pick."""
        chosen = self.choose([OUTGOING], columns, {(OUTGOING.name, c): 1.0 for c in columns})[OUTGOING.name]
        return max(chosen.columns, key=lambda c: chosen.columns[c], default=None)

    def _scored(
        self, requests: dict[str, GenerationRequest], offered: dict[str, list[str]]
    ) -> dict[str, dict[str, float]]:
        """Every offered choice of every field scored in one batch."""
        batch = [(name, _forced(r, x)) for name, r in requests.items() for x in offered[name]]
        answers = self.backend.generate([r for _, r in batch], logprobs=True)
        out = {}
        for name in requests:
            mine = [a for (n, _), a in zip(batch, answers) if n == name]
            found = choice_probabilities(mine, offered[name])
            out[name] = found if found is not None else {NONE: 1.0}
        return out

    def _picked(
        self, requests: dict[str, GenerationRequest], offered: dict[str, list[str]]
    ) -> dict[str, dict[str, float]]:
        answers = self.backend.generate(list(requests.values()))
        out = {}
        for name, answer in zip(requests, answers):
            pick = answer.data.get(KEY) if isinstance(answer.data, dict) else None
            out[name] = {x: float(x == pick) for x in offered[name]} if pick in offered[name] else {NONE: 1.0}
        return out
