"""Shared fixtures. The real embedded model is loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INVOICE_EXAMPLES = ROOT / "plugins" / "invoices" / "parser_service_invoices" / "examples"
BANK_EXAMPLES = ROOT / "plugins" / "bank_transactions" / "parser_service_bank_transactions" / "examples"


@pytest.fixture(scope="session")
def pipeline():
    """A Pipeline with the default settings: the embedded model, on the CPU."""
    from parser_service.pipeline.run import Pipeline

    return Pipeline()
