"""Everything a plugin author needs, in one import.

    from parser_service.plugin_api import Domain, Example, hookimpl, ISODate, Amount

Plugins import this module only, never the rest of ``parser_service``.
"""

from parser_service.document import CellValue, Document, Page, Provenance, Row, Table
from parser_service.domains.domain import (
    DEFAULT_PROMPT,
    CrossValidator,
    Domain,
    Example,
    Prefill,
    Repair,
    SpanRule,
    Splitter,
    Synthesize,
    adapter_folder,
    checks_of,
    extractive,
    max_chars,
    plausible_date,
    product_of,
    sum_of,
)
from parser_service.domains.hookspecs import hookimpl
from parser_service.parsers.base import Parser
from parser_service.records import FieldIssue, Record, iter_rows, table_rows, whole_document
from parser_service.synth import (
    LANGUAGES,
    VARIANTS,
    Language,
    Party,
    SyntheticDoc,
    TruthRecord,
    chance,
    company,
    format_date,
    format_money,
    format_number,
    format_quantity,
    party,
    person,
    pick,
    reference,
)
from parser_service.synth.files import freeze_zip, write_text_file
from parser_service.tables import map_columns, targets_of
from parser_service.text.normalize import (
    Amount,
    CurrencyCode,
    ISODate,
    clean_text,
    dayfirst_by_order,
    infer_dayfirst,
    to_currency,
    to_date,
    to_number,
)
from parser_service.text.spans import amounts as amount_spans
from parser_service.text.spans import labelled as labelled_spans
from parser_service.text.spans import tightly_labelled as tightly_labelled_spans

__all__ = [
    "DEFAULT_PROMPT",
    "Amount",
    "CellValue",
    "CrossValidator",
    "checks_of",
    "CurrencyCode",
    "Document",
    "Domain",
    "Example",
    "FieldIssue",
    "ISODate",
    "Page",
    "Parser",
    "Prefill",
    "Provenance",
    "Record",
    "Repair",
    "Row",
    "SpanRule",
    "Splitter",
    "Table",
    "adapter_folder",
    "amount_spans",
    "labelled_spans",
    "tightly_labelled_spans",
    "extractive",
    "plausible_date",
    "product_of",
    "sum_of",
    "clean_text",
    "hookimpl",
    "dayfirst_by_order",
    "infer_dayfirst",
    "iter_rows",
    "map_columns",
    "max_chars",
    "table_rows",
    "to_currency",
    "to_date",
    "targets_of",
    "to_number",
    "whole_document",
    # synthetic training documents
    "LANGUAGES",
    "VARIANTS",
    "Language",
    "Party",
    "Synthesize",
    "SyntheticDoc",
    "TruthRecord",
    "chance",
    "company",
    "format_date",
    "format_money",
    "format_number",
    "format_quantity",
    "freeze_zip",
    "party",
    "person",
    "pick",
    "reference",
    "write_text_file",
]
