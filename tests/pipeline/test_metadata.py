"""Document metadata: the type only where an installed plugin fits, a heading for a
title, the issuer and recipient for parties (real documents, and the real model where
marked)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from parser_service.backends.base import Generation, TokenLogprob
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.document import Block, Document, Page, Provenance, Row, Streamed, Table
from parser_service.domains.domain import Domain
from parser_service.domains.host import build_host
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline import metadata as metadata_module
from parser_service.pipeline.metadata import (
    METADATA_TEXT_CHARS,
    OTHER,
    TYPE_THRESHOLD,
    TypeScore,
    address_like,
    choice_probabilities,
    decide_type,
    heading_like,
    infer_issuer,
    infer_metadata,
    infer_title,
    name_like,
    party_candidates,
    plugin_evidence,
    title_candidates,
)
from tests.conftest import DATA


def _doc(path: Path):
    return parse_file(path, builtin_parsers())


@pytest.fixture(scope="module")
def domains():
    return {d.name: d for d in build_host().domain_list()}


# -- title ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["209-214, Kailash Building26, Kasturba Gandhi Marg,", "20.00 SR", "Guest Name: Sanjay", "12 Main Street",
     "Hauptstraße 5", "10115 Berlin", "NO. 343, JALAN KURAU, SUNGAI RENGIT,", "TEL: 07-8263254", "info@example.com",
     "IBZY2087"],
)  # fmt: skip
def test_addresses_amounts_labels_and_codes_are_no_titles(line):
    assert not heading_like(line)


@pytest.mark.parametrize("line", ["PAYMENT RECEIPT", "Tax Invoice", "Rechnung", "Facture n° 2017-0042 du 3 mars 2017"])
def test_headings_are_titles(line):
    assert heading_like(line)


def test_a_number_after_a_number_sign_is_no_house_number():
    assert not address_like("Invoice No. 4711")
    assert address_like("Lindenweg 4711")


def test_the_title_of_a_receipt_page_is_its_heading_not_its_address():
    """The issue's example: oyo.pdf's title was the payee's address line."""
    document = _doc(DATA / "oyo.pdf")
    assert infer_title(document) == "PAYMENT RECEIPT"
    assert not any("Kailash" in span for span in title_candidates(document))


def test_a_line_of_several_parts_offers_its_parts():
    assert title_candidates(_doc(DATA / "coolblue1.pdf"))[0] == "FACTUUR."


def test_a_text_on_one_long_line_has_no_title():
    assert infer_title(_doc(DATA / "dotin_train_139.txt")) is None


def test_a_table_offers_neither_its_header_nor_its_cells_as_a_title(tmp_path):
    plain = tmp_path / "export.csv"
    plain.write_text("Booking Date,Amount,Payee\n2024-01-02,-12.50,Bakery\n2024-01-03,100.00,Salary\n")
    assert title_candidates(_doc(plain)) == [] and infer_title(_doc(plain)) is None
    with_preamble = tmp_path / "statement.csv"
    with_preamble.write_text(
        "Account statement\nAccount holder;Anna Schmidt\n\nBooking Date;Amount;Payee\n"
        "2024-01-02;-12,50;Bakery Miller\n2024-01-03;100,00;ACME GmbH\n"
    )
    document = _doc(with_preamble)
    assert title_candidates(document) == ["Account statement"]  # not "Account holder;Anna Schmidt"
    names = party_candidates(document, document.text)
    assert "Anna Schmidt" in names
    assert not {"Bakery Miller", "ACME GmbH", "Payee"} & set(names)


# -- parties -------------------------------------------------------------------------------


@pytest.mark.parametrize("span", ["Coolblue B.V.", "de Lattre Alexis", "TASTE OF THE WORLD SDN BHD", "Ma jolie boutique"])
def test_names_are_name_like(span):
    assert name_like(span)


@pytest.mark.parametrize(
    "span", ["Managed product research studies in supermarkets", "Disney -", "Date: 31/12/2017", "Rs 1939", "12 Main Street"]
)
def test_sentences_labels_amounts_and_addresses_are_no_names(span):
    assert not name_like(span)


@pytest.mark.parametrize(
    ("name", "issuer"),
    [("sroie_007.txt", "S.H.H. MOTOR (SUNGAI RENGIT) SDN. BHD."), ("coolblue1.pdf", "Coolblue B.V."),
     ("dotin_train_002.txt", "Lee Connelly")],
)  # fmt: skip
def test_the_issuer_is_the_company_with_a_legal_form_else_the_first_name_of_the_head(name, issuer):
    document = _doc(DATA / name)
    assert infer_issuer(document, party_candidates(document, document.text[:4000])) == issuer


def test_cells_name_no_parties():
    document = _doc(DATA / "thunderbird_csv_semicolon.csv")
    assert party_candidates(document, document.text) == []


# -- type ----------------------------------------------------------------------------------


def _answer(text: str, logprobs: list[tuple[str, float]]) -> Generation:
    tokens, offset = [], 0
    for piece, logprob in logprobs:
        tokens.append(TokenLogprob(piece, logprob, offset))
        offset += len(piece)
    assert "".join(piece for piece, _ in logprobs) == text
    return Generation(text, False, len(tokens), tokens)


def test_each_choice_is_scored_by_the_tokens_that_write_it():
    invoice = _answer('{"document_type":"invoice"}', [('{"document_type":"', -3.0), ("inv", -1.0), ("oice", -0.5), ('"}', -9.0)])
    other = _answer('{"document_type":"other"}', [('{"document_type":"', -3.0), ("other", -2.5), ('"}', -0.1)])
    probabilities = choice_probabilities([invoice, other], ["invoice", OTHER])
    assert probabilities is not None
    assert probabilities["invoice"] == pytest.approx(math.exp(-1.5) / (math.exp(-1.5) + math.exp(-2.5)))
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_without_log_probabilities_no_choice_is_scored():
    bare = Generation('{"document_type":"other"}', False, 3, None)
    assert choice_probabilities([bare], [OTHER]) is None


def test_a_plugin_type_needs_its_fit_else_other():
    assert decide_type([]) == OTHER
    assert decide_type([TypeScore("invoice", 0.3, 0.1)]) == OTHER
    assert decide_type([TypeScore("invoice", 0.3, 1.0)]) == "invoice"
    assert decide_type([TypeScore("a", 0.9, 0.9), TypeScore("b", 0.6, 0.9)]) == "a"
    assert TypeScore("x", None, 0.8).fit == 0.8 and TypeScore("x", 0.4, None).fit == 0.4
    assert TypeScore("x", None, None, picked=True).fit == 1.0
    assert 0 < TYPE_THRESHOLD < 1


def test_evidence_is_what_the_plugin_reads_from_the_document(domains):
    bank, invoices = domains["bank_transactions"], domains["invoices"]
    assert plugin_evidence(bank, _doc(DATA / "gls.csv")) == 1.0
    assert plugin_evidence(bank, _doc(DATA / "thunderbird_csv_semicolon.csv")) == 0.0
    assert plugin_evidence(invoices, _doc(DATA / "AmazonWebServices.pdf")) >= 0.5  # type: ignore[operator]
    assert plugin_evidence(invoices, _doc(DATA / "dotin_train_002.txt")) == 0.0


class _Note(BaseModel):
    text: str | None = None


def test_a_plugin_that_declares_nothing_to_look_for_has_no_evidence():
    domain = Domain(name="notes", version="1", schema=_Note, document_type="note", description="a note")
    assert plugin_evidence(domain, _doc(DATA / "Orlen.txt")) is None


def test_without_log_probabilities_the_evidence_decides(domains):
    backend = DeterministicBackend()  # picks the first type offered, gives no log probabilities
    installed = list(domains.values())
    assert infer_metadata(_doc(DATA / "gls.csv"), installed, backend)["document_type"] == "bank_statement"
    contacts = infer_metadata(_doc(DATA / "thunderbird_csv_semicolon.csv"), installed, backend)
    assert contacts["document_type"] == OTHER and contacts["parties"] == [] and contacts["title"] is None


# -- the head read -------------------------------------------------------------------------


HEAD_DOCUMENTS = ["oyo.pdf", "Orlen.txt", "gls.csv", "transactions.xlsx", "thunderbird_csv_semicolon.csv"]


@pytest.mark.parametrize("name", HEAD_DOCUMENTS)
def test_the_head_is_the_start_of_the_text(name):
    document = _doc(DATA / name)
    text = document.text
    assert document.head(METADATA_TEXT_CHARS) == text  # shorter than the bound: the metadata reads it all
    for cut in (0, 1, 2, 50, len(text) // 2, len(text) - 1):
        assert document.head(cut) == text[:cut]


def test_the_head_of_a_table_reads_its_rows_only_until_the_bound():
    drawn: list[int] = []

    def read() -> Iterator[Row]:
        for i in range(1_000_000):
            drawn.append(i)
            yield Row([i, f"payee {i}", 12.5], Provenance(line_start=i + 2))

    table = Table(["n", "payee", "amount"], Streamed(1_000_000, read), Provenance())
    document = Document("0" * 64, "big.csv", "text/csv", [Page(1, tables=[table])])
    head = document.head(1000)
    assert len(head) == 1000 and head.startswith("n | payee | amount\n0 | payee 0 | 12.5\n1 | payee 1")
    assert len(drawn) < 100


def test_metadata_reads_the_head_of_a_huge_document_only(domains, monkeypatch):
    """A 20 MB text on one line (cut in lines of 4,096 characters by the text parser) is
    never joined whole: what the language and the prompt are read from is the head."""
    sentence = "Die Rechnung Nr. 4711 der ACME GmbH vom 13.11.2017 ist mit dem Betrag von 1.234,56 EUR fällig. "
    line = (sentence * 64)[:4096]
    blocks = [Block(line, Provenance(line_start=1)) for _ in range(5000)]
    document = Document("0" * 64, "huge.txt", "text/plain", [Page(1, blocks=blocks)])
    read: list[int] = []
    language = metadata_module.detect_language
    monkeypatch.setattr(metadata_module, "detect_language", lambda text: read.append(len(text)) or language(text))
    backend = DeterministicBackend()
    truncate = backend.truncate
    monkeypatch.setattr(backend, "truncate", lambda text, n: read.append(len(text)) or truncate(text, n))
    monkeypatch.setattr(Document, "text", property(lambda _: pytest.fail("the whole text was joined")))
    assert infer_metadata(document, [domains["bank_transactions"]], backend)["language"] == "de"
    assert read == [METADATA_TEXT_CHARS, METADATA_TEXT_CHARS]


# -- with the model --------------------------------------------------------------------------

DOCUMENTS = ["dotin_train_002.txt", "sroie_007.txt", "shopware5_article_price_profile.csv", "AmazonWebServices.pdf",
             "gls.csv", "oyo.pdf"]  # fmt: skip


@pytest.fixture(scope="module")
def metadata(pipeline):
    return {name: pipeline.metadata(pipeline.parse(DATA / name)) for name in DOCUMENTS}


@pytest.mark.model
def test_a_cv_and_a_price_list_are_other(metadata):
    """No installed plugin fits them: "other" wins (a CV had been typed 'invoice', a
    price list 'bank_statement')."""
    assert metadata["dotin_train_002.txt"]["document_type"] == OTHER
    assert metadata["shopware5_article_price_profile.csv"]["document_type"] == OTHER


@pytest.mark.model
def test_documents_a_plugin_fits_keep_its_type(metadata):
    assert metadata["AmazonWebServices.pdf"]["document_type"] == "invoice"
    assert metadata["oyo.pdf"]["document_type"] == "invoice"
    assert metadata["gls.csv"]["document_type"] == "bank_statement"
    # the invoices plugin declares receipts ("an invoice, bill or receipt ..."), and a receipt offers its fields
    assert metadata["sroie_007.txt"]["document_type"] == "invoice"


@pytest.mark.model
def test_titles_are_headings(metadata):
    assert metadata["oyo.pdf"]["title"] == "PAYMENT RECEIPT"
    assert metadata["dotin_train_002.txt"]["title"] == "Lee Connelly"
    assert metadata["gls.csv"]["title"] is None  # a header cell ("Kontonummer") is no title


@pytest.mark.model
def test_parties_are_named_where_the_document_names_them(metadata):
    assert "Lee Connelly" in metadata["dotin_train_002.txt"]["parties"]
    assert "S.H.H. MOTOR (SUNGAI RENGIT) SDN. BHD." in metadata["sroie_007.txt"]["parties"]
    assert "Oravel Stays Pvt. Ltd." in metadata["oyo.pdf"]["parties"]
    assert metadata["AmazonWebServices.pdf"]["parties"]
    assert metadata["gls.csv"]["parties"] == []  # an export's cells name no issuer or recipient
    for name in DOCUMENTS:
        text = _doc(DATA / name).text
        assert all(" ".join(party.split()) in " ".join(text.split()) for party in metadata[name]["parties"])
