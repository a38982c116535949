"""Accuracy regression: the real embedded model on real documents shipped with the plugins.

Each plugin is evaluated with the default pipeline (its adapter when it has one,
extractive decoding) on a few of its own example documents, and the test fails
when a field's F1 drops below its floor in ``THRESHOLDS`` or the invented rate
rises above its ceiling. The floors sit just under what was measured; raise them
when a better adapter lands.
"""

from __future__ import annotations

from typing import Any

import pytest

from parser_service.evaluation import evaluate
from parser_service.evaluation import report as eval_report
from tests.conftest import BANK_EXAMPLES, INVOICE_EXAMPLES

#: Floors per plugin and variant, each just under a measurement: see BENCHMARKS.md, "Past measurements in the accuracy test".
THRESHOLDS: dict[str, dict[str, dict[str, Any]]] = {
    "invoices": {
        "base+extractive": {
            "f1": {
                "issuer": 0.15, "invoice_number": 0.15, "date": 0.75, "amount": 0.55, "amount_untaxed": 0.45,
                "currency": 0.95, "all fields": 0.55,
            },
            "max_invented_rate": 0.0,
        },
        "adapter+extractive": {
            "f1": {
                "issuer": 0.55, "invoice_number": 0.75, "date": 0.75, "amount": 0.75, "amount_untaxed": 0.70,
                "currency": 0.95, "all fields": 0.80,
            },
            "max_invented_rate": 0.0,
        },
    },
    "bank_transactions": {
        variant: {
            "f1": {"date": 0.7, "amount": 0.49, "payee": 0.14, "memo": 0.09, "all fields": 0.38},
            "max_invented_rate": 0.0,
            "min_records_matched": 7,
        }
        for variant in ("base+extractive", "adapter+extractive")
    },
}

#: The documents scored: the plugins' own examples (about 6 s per invoice on 2 CPU
#: cores; bank rows are read in code through the inferred column mapping).
DOCUMENTS = {
    "invoices": (INVOICE_EXAMPLES, ("AmazonWebServices.pdf", "Facture_FR_BASICWL.pdf", "NetpresseInvoice.pdf",
                                    "free_fiber.pdf", "oyo.pdf")),
    # not creditunion.csv or stripe-default.csv: the bank adapter was trained on them
    "bank_transactions": (BANK_EXAMPLES, ("gls.csv", "payoneer.csv", "pcmastercard.csv", "xero.csv")),
}


def default_pipeline_report(pipeline, plugin: str) -> dict[str, Any]:
    """The evaluation report of the default pipeline on ``DOCUMENTS[plugin]``."""
    domain = pipeline.host.domain(plugin)
    folder, names = DOCUMENTS[plugin]
    found = [(d, e) for d, e in evaluate.pairs(domain, folder) if d.name in names]
    assert sorted(d.name for d, _ in found) == sorted(names), "an example document or its expected output is gone"
    variant = evaluate.default_variant(domain, extractive_decoding=True)
    assert variant.name in THRESHOLDS[plugin], f"no thresholds for {plugin} {variant.name}: measure, then add them"
    fields = evaluate.scored_fields(domain)
    runs = evaluate.evaluate(pipeline.parse, evaluate.pipeline_runner(pipeline, domain), domain, found,
                               [variant], fields)
    return evaluate.summary(runs, fields, domain, folder)


def shortfalls(report: dict[str, Any], floors: dict[str, Any]) -> list[str]:
    """Every threshold the report's (only) variant misses, as readable lines."""
    variant = report["variants"][0]
    problems = [f"{d['name']}: {d['error']}" for d in variant["per_document"] if d["error"]]
    for name, floor in floors["f1"].items():
        f1 = (variant["overall"] if name == "all fields" else variant["fields"][name])["f1"]
        if f1 is None or f1 < floor:
            problems.append(f"{name}: F1 {f1} is below {floor}")
    if (variant["invented_rate"] or 0.0) > floors["max_invented_rate"]:
        problems.append(f"invented rate {variant['invented_rate']} is above {floors['max_invented_rate']}")
    matched = variant["records"]["matched"]
    if matched < floors.get("min_records_matched", 0):
        problems.append(f"{matched} records matched on key fields, fewer than {floors['min_records_matched']}")
    return problems


@pytest.mark.model
@pytest.mark.parametrize("plugin", sorted(THRESHOLDS))
def test_accuracy_does_not_drop(pipeline, plugin):
    report = default_pipeline_report(pipeline, plugin)
    problems = shortfalls(report, THRESHOLDS[plugin][report["variants"][0]["name"]])
    assert not problems, "\n".join(problems) + "\n\n" + eval_report.format_table(report)
