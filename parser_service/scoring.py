"""Comparing extracted values with expected ones, with a rule that fits each type.

Codes and dates compare exactly, amounts within a tolerance, names by normalised
similarity. Used by the tests now; the evaluation harness builds on it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

AMOUNT_TOLERANCE = 0.01
NAME_SIMILARITY = 0.8


def normalise_name(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def same_amount(expected: Any, got: Any) -> bool:
    try:
        return abs(float(expected) - float(got)) <= AMOUNT_TOLERANCE
    except (TypeError, ValueError):
        return False


def same_name(expected: Any, got: Any) -> bool:
    a, b = normalise_name(expected), normalise_name(got)
    if not a or not b:
        return False
    return a in b or difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def same_code(expected: Any, got: Any) -> bool:
    return got is not None and re.sub(r"\s+", "", str(expected)).upper() == re.sub(r"\s+", "", str(got)).upper()


RULES = {
    "issuer": same_name,
    "payee": same_name,
    "invoice_number": same_code,
    "currency": same_code,
    "date": same_code,
    "amount": same_amount,
    "amount_untaxed": same_amount,
    "balance": same_amount,
}


def field_matches(field: str, expected: Any, got: Any) -> bool:
    return RULES.get(field, same_code)(expected, got)


def score_fields(expected: dict[str, Any], got: dict[str, Any] | None, fields: list[str]) -> dict[str, bool]:
    """For each of ``fields`` that ``expected`` labels: did ``got`` match it?"""
    got = got or {}
    return {f: field_matches(f, expected[f], got.get(f)) for f in fields if f in expected}
