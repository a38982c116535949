"""Reusable cross-field checks for plugins (exported through ``plugin_api``)."""

from __future__ import annotations

import datetime

from pydantic import BaseModel

from parser_service.domain import CrossValidator
from parser_service.records import FieldIssue


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
