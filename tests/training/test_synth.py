"""Synthetic documents are real files our parsers read, and their truth is what they say."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from parser_service import plugin_api
from parser_service.domains.host import build_host
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.synth import find_truths
from parser_service.text.normalize import to_date
from parser_service.training.dataset import render, row_number
from parser_service.training.targets import normalised

LANGUAGES = {"en", "de", "fr", "nl", "es"}


@pytest.fixture(scope="module")
def host():
    return build_host()


@pytest.fixture(scope="module")
def invoices(host, tmp_path_factory):
    folder = tmp_path_factory.mktemp("invoices")
    return render(host.domain("invoices"), folder, 10, seed=11)


@pytest.fixture(scope="module")
def exports(host, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bank")
    return render(host.domain("bank_transactions"), folder, 30, seed=11)


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_both_plugins_wire_a_generator_that_plugin_authors_can_build_on(host):
    for name in ("invoices", "bank_transactions"):
        assert callable(host.domain(name).synthesize)
    assert {"SyntheticDoc", "TruthRecord", "Synthesize", "format_money", "party"} <= set(plugin_api.__all__)


def test_invoice_pdfs_parse_and_hold_every_surface_string(host, invoices):
    domain = host.domain("invoices")
    for doc in invoices:
        document = parse_file(doc.path, builtin_parsers())
        assert document.media_type == "application/pdf"
        text = _squash(domain.split(document)[0].text)
        (truth,) = doc.records
        surfaces = [v for k, v in truth.surface.items() if k != "lines" and v is not None]
        surfaces += [v for line in truth.surface["lines"] for v in line.values()]
        missing = [s for s in surfaces if _squash(s) not in text]
        assert missing == [], f"{doc.path.name}: {missing}"


def test_invoice_surfaces_read_back_as_their_truth(host, invoices):
    schema = host.domain("invoices").schema
    for doc in invoices:
        (truth,) = doc.records
        for name in ("issuer", "invoice_number", "amount", "amount_untaxed", "currency"):
            assert normalised(schema, name, truth.surface[name]) == truth.fields[name], (doc.path.name, name)
        dayfirst = doc.meta["date_style"] != "mdy_slash"
        assert to_date(truth.surface["date"], dayfirst=dayfirst).isoformat() == truth.fields["date"]
        lines = truth.fields["lines"]
        assert round(sum(line["price_subtotal"] for line in lines), 2) == truth.fields["amount_untaxed"] or not lines


def test_bank_exports_parse_and_the_mapping_reads_dates_and_amounts(host, exports):
    domain = host.domain("bank_transactions")
    for doc in exports:
        records = domain.split(parse_file(doc.path, builtin_parsers()))
        assert records and records[0].context["mapping"]["confident"], doc.path.name
        by_row = {row_number(r): r for r in records}
        assert sorted(by_row) == sorted(t.row for t in doc.records), doc.path.name
        for truth in doc.records:
            record = by_row[truth.row]
            filled = domain.prefill(record)
            assert normalised(domain.schema, "amount", filled["amount"]) == pytest.approx(truth.fields["amount"])
            if truth.fields["date"] is not None:
                assert str(filled["date"]) == truth.fields["date"], (doc.path.name, truth.row)
            for name, surface in truth.surface.items():
                if surface is not None:
                    assert surface.lstrip("-") in record.text, (doc.path.name, name, surface)


def test_a_seeded_batch_covers_languages_number_formats_and_export_shapes(invoices, exports):
    assert {d.meta["language"] for d in invoices} == LANGUAGES
    assert {d.meta["language"] for d in exports} == LANGUAGES
    amounts = [d.records[0].surface["amount"] for d in invoices] + [
        t.surface["amount"] for d in exports for t in d.records
    ]
    assert any(re.search(r"\d\.\d{2}$", a) for a in amounts), "no 1,234.56-style amounts"
    assert any(re.search(r"\d,\d{2}$", a) for a in amounts), "no 1.234,56-style amounts"
    shapes = Counter()
    for doc in exports:
        meta = doc.meta
        shapes.update([meta["format"], meta["amount_mode"], f"preamble={meta['preamble']}",
                       f"balance={'balance' in meta['columns']}", f"encoding={meta.get('encoding')}",
                       f"delimiter={meta.get('delimiter')}"])
    for shape in ("csv", "xlsx", "signed", "pair", "preamble=True", "preamble=False", "balance=True",
                  "balance=False", "encoding=cp1252", "encoding=utf-8"):
        assert shapes[shape], shape
    assert sum(1 for key in shapes if key.startswith("delimiter=") and key != "delimiter=None") >= 3


def test_the_same_seed_gives_the_same_documents(host, tmp_path):
    for name, count in (("invoices", 3), ("bank_transactions", 6)):
        domain = host.domain(name)
        first = render(domain, tmp_path / f"{name}-a", count, seed=5)
        second = render(domain, tmp_path / f"{name}-b", count, seed=5)
        other = render(domain, tmp_path / f"{name}-c", count, seed=6)
        for a, b in zip(first, second):
            assert a.path.read_bytes() == b.path.read_bytes(), a.path.name
            assert a.truth_path.read_text(encoding="utf-8") == b.truth_path.read_text(encoding="utf-8")
        assert [d.path.read_bytes() for d in first] != [d.path.read_bytes() for d in other]


def test_truth_files_read_back(host, invoices):
    folder = invoices[0].path.parent
    found = find_truths(folder)
    assert [d.path.name for d in found] == [d.path.name for d in invoices]
    assert found[0].records[0].fields == invoices[0].records[0].fields


def test_a_generator_rng_alone_decides_the_documents(host, tmp_path):
    domain = host.domain("invoices")
    docs = domain.synthesize(random.Random(1), tmp_path, 2)
    assert [Path(d.path).suffix for d in docs] == [".pdf", ".pdf"]
    assert not list(tmp_path.glob("*.truth.json"))  # the hook renders; writing the truth is the caller's
