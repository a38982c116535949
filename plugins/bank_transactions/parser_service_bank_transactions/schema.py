"""The transaction schema: one row of a bank or payment account export."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from parser_service.plugin_api import Amount, ISODate, clean_text, max_chars


class Transaction(BaseModel):
    date: ISODate | None = Field(None, description="date the transaction was booked", json_schema_extra=max_chars(24))
    amount: Amount | None = Field(
        None, description="signed amount: negative for money out", json_schema_extra=max_chars(16)
    )
    payee: str | None = Field(
        None, description="the other party: who was paid, or who paid", json_schema_extra=max_chars(48)
    )
    memo: str | None = Field(
        None, description="the transaction's description, purpose or reference", json_schema_extra=max_chars(64)
    )
    balance: Amount | None = Field(
        None,
        description="running balance after the transaction, where the export has one",
        json_schema_extra=max_chars(16),
    )

    _clean_text = field_validator("payee", "memo", mode="before")(lambda v: clean_text(v))
