"""parser-service plugin for invoices."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parser_service.plugin_api import Domain, Example, adapter_folder, hookimpl, whole_document
from parser_service_invoices.repairs import REPAIRS
from parser_service_invoices.schema import Invoice, InvoiceLine
from parser_service_invoices.synth import synthesize
from parser_service_invoices.validators import VALIDATORS

__version__ = "0.1.0"
HERE = Path(__file__).parent
EXAMPLES = HERE / "examples"

PROMPT = (
    "Invoice:\n{text}\n\n"
    "From the invoice above, copy these fields exactly as written:\n{fields}"
)


#: The e-invoice XML written beside a Factur-X/ZUGFeRD PDF (see ``einvoice``).
EMBEDDED_XML = ".embedded.xml"
#: Factur-X expected outputs name the tax total differently from invoice2data.
RENAMED = {"tax_total": "amount_tax"}


def read_expected(path: Path) -> list[dict[str, Any]]:
    """invoice2data JSON (a list or one object), Factur-X ``*.expected.json``, e-invoice XML."""
    if path.name.endswith(EMBEDDED_XML):
        from parser_service_invoices.einvoice import expected_from_xml  # not at import: it is also a script

        data: Any = expected_from_xml(path.read_bytes())
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    return [{RENAMED.get(k, k): v for k, v in item.items()} for item in (data if isinstance(data, list) else [data])]


def examples() -> list[Example]:
    found = []
    for pdf in sorted(EXAMPLES.glob("*.pdf")):
        expected = next((p for p in (pdf.with_suffix(".json"), pdf.with_suffix(".expected.json")) if p.exists()), None)
        found.append(Example(pdf, expected))
    return found



DOMAIN = Domain(
    name="invoices",
    version=__version__,
    schema=Invoice,
    document_type="invoice",
    description="an invoice, bill or receipt asking for or confirming payment",
    prompt=PROMPT,
    splitter=whole_document,
    validators=VALIDATORS,
    repairs=REPAIRS,
    adapter=adapter_folder(HERE / "adapter"),
    examples=examples(),
    media_types=frozenset({"application/pdf", "text/plain"}),
    expected_suffixes=(".json", ".expected.json", EMBEDDED_XML),
    expected_reader=read_expected,
    synthesize=synthesize,
)


@hookimpl
def register_domains(register: Callable[..., None]) -> None:
    register(DOMAIN)


__all__ = ["DOMAIN", "Invoice", "InvoiceLine", "register_domains"]
