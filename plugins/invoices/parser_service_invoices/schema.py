"""The invoice schema, with invoice2data's field names."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from parser_service.plugin_api import Amount, CurrencyCode, ISODate, clean_text, extractive


class InvoiceLine(BaseModel):
    name: str | None = Field(None, description="what the line is for", json_schema_extra=extractive("line", 48))
    qty: Amount | None = Field(None, description="quantity", json_schema_extra=extractive("amount", 10))
    price_unit: Amount | None = Field(None, description="unit price", json_schema_extra=extractive("amount", 16))
    price_subtotal: Amount | None = Field(
        None, description="line total", json_schema_extra=extractive("amount", 16)
    )

    _clean_name = field_validator("name", mode="before")(lambda v: clean_text(v))


class Invoice(BaseModel):
    issuer: str | None = Field(
        None, description="name of the company that issued the invoice", json_schema_extra=extractive("line", 48, nullable=False)
    )
    invoice_number: str | None = Field(
        None, description="the invoice number, as written", json_schema_extra=extractive("code", 24, nullable=False)
    )
    date: ISODate | None = Field(
        None, description="date the invoice was issued", json_schema_extra=extractive("date", 24, nullable=False)
    )
    amount: Amount | None = Field(
        None, description="grand total including tax", json_schema_extra=extractive("amount", 16, nullable=False)
    )
    amount_untaxed: Amount | None = Field(
        None, description="total before tax", json_schema_extra=extractive("amount", 16)
    )
    currency: CurrencyCode | None = Field(
        None, description="currency: code or symbol", json_schema_extra=extractive("currency", 8, nullable=False)
    )
    lines: list[InvoiceLine] = Field(default_factory=list, max_length=3, description="invoice lines")

    _clean_issuer = field_validator("issuer", "invoice_number", mode="before")(lambda v: clean_text(v))
