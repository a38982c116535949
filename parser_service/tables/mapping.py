"""Which column holds each field of a target schema, inferred once per table.

Each (field, column) pair is scored from two pieces of evidence:

* the header's likeness to the field's name or to a phrase of its description
  (``names.likeness``; a description phrase counts ``PHRASE_WEIGHT`` of a name), and
* how well the column's sampled cells fit the field's kind (``fit``): an email field
  wants a column of emails, a date field one of dates, free text anything but
  emails, links, dates or money.

The score is ``likeness * (FIT_FLOOR + (1 - FIT_FLOOR) * fit)``; a column whose cells
alone say what it is (emails, links, IBANs, dates) scores ``KIND_ONLY * fit`` for a
field of that kind even when its header says nothing. Fields then take columns by a
global greedy assignment (best pair first, each column once), a pair under ``MINIMUM``
leaving the field without a column. A free-text field may then take further
columns that no field took and whose header names a phrase of its own description
("street", "postcode", "city" for an address), once the words it shares with the
field's first column are set aside ("contact_last_name" beside "contact_first_name"
names "last name"), in their order in the table.

A field's confidence is its score, lowered when a column it did not take came close
(the margin over that runner-up); a field left without a column is confident in that
by how far its best candidate stayed under ``MINIMUM``, and less so where many of the
columns no field took hold cells of its kind (any of them might be it).

**Methods.** ``names`` (above) needs no model. ``model``: a ``ModelChooser`` asks the
model, per field, which of the columns that can hold its kind holds it (``choice``); a
pair scores the model's probability of that column times the same kind fit factor, and
counts only where the model prefers it to no column at all. ``combined``: the mean of
the two scores. Either way the global assignment, composition and confidence follow.
A field of money left with a column that pairs with a free amount column (money in and
out, ``pairs``), or left without one where exactly one such pair is free, takes the
pair, signed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parser_service.document import CellValue
from parser_service.tables import pairs
from parser_service.tables.cells import Profile, profile
from parser_service.tables.choice import Choices, ModelChooser
from parser_service.tables.fields import Target
from parser_service.tables.names import concepts, likeness

PHRASE_WEIGHT = 0.9
FIT_FLOOR = 0.4
KIND_ONLY = 0.5
MINIMUM = 0.4
#: A further column joins a free-text field when its header matches a phrase this well:
#: all its words, and nothing more ("stateID" is a key, not the state).
PART_MINIMUM = 0.95
#: The score a pair needs under the ``model`` and ``combined`` methods.
MODEL_MINIMUM = 0.1
COMBINED_MINIMUM = 0.25
METHODS = ("names", "model", "combined")
#: An amount column is free to pair when its cells fit amounts this well.
PAIR_FIT = 0.8
#: Kinds whose cells alone say what a column holds.
_TELLING = frozenset({"email", "url", "iban", "date"})
#: Cell kinds a free-text field does not hold.
_NOT_TEXT = ("email", "url", "date", "amount", "boolean", "currency")


@dataclass(slots=True)
class FieldMapping:
    """The column(s) of one field, or none, with the confidence in that."""

    field: str
    columns: list[str] = dataclasses.field(default_factory=list)
    confidence: float = 0.0
    score: float = 0.0
    #: A number fed by two columns: column -> +1 (money in) or -1 (money out).
    signs: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {"field": self.field, "columns": self.columns, "confidence": round(self.confidence, 3)}
        return out | ({"signs": self.signs} if self.signs else {})


@dataclass(slots=True)
class TableMapping:
    """Every target field's mapping for one table."""

    fields: dict[str, FieldMapping]
    kinds: dict[str, str]

    @property
    def mapped(self) -> list[str]:
        return [name for name, m in self.fields.items() if m.columns]

    def to_dict(self) -> dict[str, Any]:
        return {"fields": {n: m.to_dict() for n, m in self.fields.items()}, "kinds": self.kinds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableMapping:
        fields = {
            n: FieldMapping(n, list(m["columns"]), m["confidence"], signs=dict(m.get("signs", {})))
            for n, m in data["fields"].items()
        }
        return cls(fields, dict(data["kinds"]))


def fit(kind: str, column: Profile) -> float:
    """How well a column's cells fit a field of ``kind`` (0..1); 0.5 for an empty column."""
    if not column.filled:
        return 0.5
    if kind == "text":
        return 1.0 - column.share(*_NOT_TEXT)
    if kind == "phone":
        return column.share("phone") + 0.8 * column.share("digits")
    if kind == "amount":
        return column.share("amount", "integer")
    if kind == "integer":
        return column.share("integer") + 0.5 * column.share("digits")
    return column.share(kind)


def name_likeness(target: Target, header: str) -> float:
    """The header's likeness to the field's name, or (weighed less) to a description phrase."""
    best = likeness(header, target.phrases[0])
    for phrase in target.phrases[1:]:
        best = max(best, PHRASE_WEIGHT * likeness(header, phrase))
    return best


def score(target: Target, header: str, column: Profile) -> float:
    fitness = fit(target.kind, column)
    named = name_likeness(target, header) * (FIT_FLOOR + (1 - FIT_FLOOR) * fitness)
    alone = KIND_ONLY * fitness if target.kind in _TELLING and column.filled else 0.0
    return max(named, alone)


def map_columns(
    targets: Sequence[Target],
    columns: Mapping[str, Sequence[CellValue]],
    chooser: ModelChooser | None = None,
    method: str = "names",
) -> TableMapping:
    """The mapping of a table (column name -> sampled cells, in table order) onto
    ``targets``; ``method`` (one of ``METHODS``) other than "names" asks ``chooser``."""
    profiles = {name: profile(values) for name, values in columns.items()}
    scores = {(t.name, c): score(t, c, p) for t in targets for c, p in profiles.items()}
    minimum = MINIMUM
    if chooser is not None and method != "names":
        fits = {(t.name, c): fit(t.kind, p) for t in targets for c, p in profiles.items()}
        model = model_scores(chooser.choose(targets, columns, fits), fits)
        scores, minimum = (model, MODEL_MINIMUM) if method == "model" else (_mean(scores, model), COMBINED_MINIMUM)
    chosen = _assign(scores, minimum)
    result = {t.name: FieldMapping(t.name, [chosen[t.name]] if t.name in chosen else []) for t in targets}
    _pair_amounts(targets, result, columns, profiles, chooser.outgoing if chooser is not None else None)
    _compose(targets, result, list(columns), profiles)
    taken = {c for m in result.values() for c in m.columns}
    untaken = [p for c, p in profiles.items() if c not in taken and p.filled]
    for t in targets:
        fitting = sum(fit(t.kind, p) >= 0.8 for p in untaken) / len(untaken) if untaken else 0.0
        _rate(result[t.name], scores, chosen.get(t.name) or next(iter(result[t.name].columns), None), fitting, minimum)
    return TableMapping(result, {t.name: t.kind for t in targets})


def model_scores(choices: Mapping[str, Choices], fits: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """(field, column) -> the model's probability of the column times its kind fit
    factor; 0 where the model gives no column more than it gives that one."""
    out = {}
    for (name, column), fitness in fits.items():
        chosen = choices[name]
        p = chosen.columns.get(column, 0.0)
        out[name, column] = p * (FIT_FLOOR + (1 - FIT_FLOOR) * fitness) if p > chosen.none else 0.0
    return out


def _mean(a: Mapping[tuple[str, str], float], b: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    return {key: (value + b.get(key, 0.0)) / 2 for key, value in a.items()}


def _pair_amounts(
    targets: Sequence[Target],
    result: dict[str, FieldMapping],
    columns: Mapping[str, Sequence[CellValue]],
    profiles: dict[str, Profile],
    ask: pairs.Ask | None,
) -> None:
    """A field of money takes a signed pair of amount columns (see the module's docstring)."""
    for t in (t for t in targets if t.kind == "amount"):
        mapping = result[t.name]
        taken = {c for m in result.values() if m is not mapping for c in m.columns}
        free = [c for c, p in profiles.items() if c not in taken and p.filled and fit("amount", p) >= PAIR_FIT]
        pair = pairs.find_pair(mapping.columns[0] if mapping.columns else None, free, columns)
        signed = pairs.signs(pair, columns, ask) if pair is not None else None
        if pair is not None and signed is not None:
            mapping.columns, mapping.signs = list(pair), signed


def _assign(scores: dict[tuple[str, str], float], minimum: float = MINIMUM) -> dict[str, str]:
    """Greedy global assignment: the best pair first, each field and column once."""
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for (name, column), value in sorted(scores.items(), key=lambda kv: -kv[1]):
        if value < minimum:
            break
        if name not in chosen and column not in taken:
            chosen[name] = column
            taken.add(column)
    return chosen


def _rate(
    mapping: FieldMapping,
    scores: dict[tuple[str, str], float],
    column: str | None,
    untaken_fitting: float,
    minimum: float = MINIMUM,
) -> None:
    """The field's score and confidence: its column's score, times half to all of it as
    the best column it did not take stayed far below; without a column, how far its best
    candidate stayed under ``MINIMUM``, times half to all of it as fewer of the columns
    no field took (``untaken_fitting``: their share) hold cells of its kind."""
    mine = {c: v for (n, c), v in scores.items() if n == mapping.field}
    if column is None:
        mapping.score = max(mine.values(), default=0.0)
        mapping.confidence = max(0.0, min(1.0, 1.0 - mapping.score / minimum * 0.5)) * (1.0 - 0.5 * untaken_fitting)
        return
    mapping.score = mine[column]
    runner_up = max((v for c, v in mine.items() if c not in mapping.columns), default=0.0)
    margin = max(0.0, mapping.score - runner_up) / mapping.score if mapping.score > 0 else 0.0
    mapping.confidence = min(1.0, mapping.score) * (0.5 + 0.5 * margin)


def _compose(
    targets: Sequence[Target], result: dict[str, FieldMapping], order: list[str], profiles: dict[str, Profile]
) -> None:
    """Free-text fields take the untaken columns that name a phrase of their description."""
    taken = {c for m in result.values() for c in m.columns}
    for column in order:
        if column in taken:
            continue
        owner = _part_owner(targets, result, column, profiles[column])
        if owner is not None:
            result[owner].columns.append(column)
    for mapping in result.values():
        mapping.columns.sort(key=order.index)


def _part_owner(targets: Sequence[Target], result: dict[str, FieldMapping], column: str, cells: Profile) -> str | None:
    """The one mapped free-text field a column's header names a part of; None if none is
    clear (two fields claim it, or another field's name fits it better)."""
    best = max((name_likeness(t, column) for t in targets), default=0.0)
    owners = [
        t.name for t in targets
        if t.composable and result[t.name].columns and fit(t.kind, cells) >= 0.5
        and name_likeness(t, column) >= best and _names_a_part(t, column, result[t.name].columns[0])
    ]  # fmt: skip
    return owners[0] if len(owners) == 1 else None


def _names_a_part(target: Target, column: str, first: str) -> bool:
    """The header names a phrase of the field, its shared context with ``first`` set aside."""
    own = set(concepts(column))
    context = own & set(concepts(first))
    for phrase in target.phrases:
        words = set(concepts(phrase))
        rest = (own - context) | (own & words)
        if rest and rest == words:
            return True
    return False
