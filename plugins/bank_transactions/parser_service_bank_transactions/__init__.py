"""parser-service plugin for bank and payment account exports (CSV, XLSX).

One record per transaction row. The column mapping inferred from each table's
header and values fills most fields without the model (``prefill``); the model is
asked only for what the mapping cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from parser_service.plugin_api import Domain, Example, adapter_folder, hookimpl
from parser_service_bank_transactions.expected import read_expected
from parser_service_bank_transactions.schema import Transaction
from parser_service_bank_transactions.splitter import prefill_transaction, split_transactions
from parser_service_bank_transactions.synth import synthesize
from parser_service_bank_transactions.validators import VALIDATORS

__version__ = "0.1.0"
HERE = Path(__file__).parent
EXAMPLES = HERE / "examples"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PROMPT = (
    "Below is one row of a bank or payment account export, one 'column: value' per line.\n"
    "Extract the fields below. Copy each value exactly as it is written in the row.\n"
    "For the amount, keep the sign as written; when the row has separate debit and credit\n"
    "columns, copy the one that is filled and put a minus sign before a debit.\n"
    "Use null when a value is not there (a pending row has no booking date).\n\n"
    "Fields:\n{fields}\n\nRow:\n{text}"
)


def examples() -> list[Example]:
    """Each export with its expected output: an ``.expected.ofx``/``.expected.qif``
    (csv2ofx: transactions) or a ``.mapping.ini`` (bank2ynab: the column mapping).
    Read either with ``parser_service_bank_transactions.expected.read_expected``."""
    found = []
    documents = [p for p in EXAMPLES.iterdir() if p.suffix.lower() in {".csv", ".xlsx"}]
    for document in sorted(documents):
        stem = document.name[: -len(document.suffix)]
        candidates = (
            document.with_name(f"{stem}.expected.ofx"),
            document.with_name(f"{stem}.expected.qif"),
            document.with_name(f"{document.name}.mapping.ini"),
        )
        found.append(Example(document, next((p for p in candidates if p.exists()), None)))
    return found



DOMAIN = Domain(
    name="bank_transactions",
    version=__version__,
    schema=Transaction,
    document_type="bank_statement",
    description="a bank or payment account export listing transactions",
    prompt=PROMPT,
    splitter=split_transactions,
    validators=VALIDATORS,
    prefill=prefill_transaction,
    adapter=adapter_folder(HERE / "adapter"),
    examples=examples(),
    media_types=frozenset({"text/csv", XLSX}),
    expected_suffixes=(".expected.ofx", ".expected.qif"),
    expected_reader=read_expected,
    key_fields=("date", "amount"),
    synthesize=synthesize,
)


@hookimpl
def register_domains(register: Callable[..., None]) -> None:
    register(DOMAIN)


__all__ = ["DOMAIN", "Transaction", "register_domains"]
