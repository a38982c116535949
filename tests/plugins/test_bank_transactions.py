"""The bank_transactions plugin without the language model: parse, split, prefill, validate.

Every example export is parsed with the built-in parsers, split into one record per
transaction row and prefilled from the inferred column mapping; the prefilled
values are validated with the schema and compared with the expected output the
example's origin project ships (csv2ofx OFX/QIF: dates and amounts; bank2ynab
mapping.ini: which columns hold date, payee, memo and amount, and the date format).
Run with ``pytest -s`` to see the measured match fraction.
"""

from __future__ import annotations

import csv
import datetime
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

try:
    import parser_service_bank_transactions as plugin
except ImportError:  # not pip-installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "bank_transactions"))
    import parser_service_bank_transactions as plugin

from parser_service_bank_transactions.expected import (
    read_expected,
    read_mapping_ini,
    read_ofx,
    read_qif,
)
from parser_service_bank_transactions.mapping import infer_mapping
from parser_service_bank_transactions.schema import Transaction
from parser_service_bank_transactions.validators import amount_present, balance_breaks, date_plausible

from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file

DOMAIN = plugin.DOMAIN
EXAMPLES = plugin.EXAMPLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CSV2OFX = ["gls.csv", "payoneer.csv", "creditunion.csv", "stripe-default.csv", "pcmastercard.csv", "xero.csv"]
#: Exports where csv2ofx writes one transaction per row, with the file's own signs.
ROW_FOR_ROW = ["gls.csv", "payoneer.csv", "creditunion.csv", "stripe-default.csv"]
BANK2YNAB = {
    # file: data rows in the file
    "2018-04-14_10-52-13_bunq-transactieoverzicht.csv": 3,
    "CSV_A_20180414_112204.csv": 3,
    "MS_JANE_SMITH_01-12-2019_14-12-2019.csv": 13,
    "20180226-1000594757-umsatz.CSV": 1,
    "20180226_12345678.csv": 1,
}


def extract(path: Path) -> tuple[list[Any], list[dict[str, Any]], list[Transaction]]:
    """Records, their prefilled values, and those values validated by the schema."""
    document = parse_file(path, builtin_parsers())
    assert DOMAIN.accepts(document.media_type)
    records = DOMAIN.split(document)
    assert DOMAIN.prefill is not None
    prefilled = [DOMAIN.prefill(record) for record in records]
    return records, prefilled, [Transaction.model_validate(values) for values in prefilled]


def expected_of(name: str) -> list[dict[str, Any]]:
    example = next(e for e in DOMAIN.examples if e.document.name == name)
    assert example.expected is not None
    return read_expected(example.expected)


# --------------------------------------------------------------------------- the plugin


def test_domain_is_well_formed() -> None:
    DOMAIN.check()
    assert DOMAIN.name == "bank_transactions"
    assert DOMAIN.document_type == "bank_statement"
    assert DOMAIN.accepts("text/csv") and DOMAIN.accepts(XLSX)
    assert not DOMAIN.accepts("application/pdf")
    assert DOMAIN.schema is Transaction
    assert list(Transaction.model_fields) == ["date", "amount", "payee", "memo", "balance"]
    for name, chars in {"date": 24, "amount": 16, "payee": 48, "memo": 64, "balance": 16}.items():
        assert Transaction.model_fields[name].json_schema_extra == {"max_chars": chars}


def test_entry_point_is_published() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="parser_service.plugins")}
    if "bank_transactions" not in names:
        pytest.skip("plugin not pip-installed (pip install -e plugins/bank_transactions)")
    assert names["bank_transactions"] == "parser_service_bank_transactions"


def test_examples_ship_with_sources_and_licences() -> None:
    names = {e.document.name: e.expected for e in DOMAIN.examples}
    assert set(CSV2OFX) | set(BANK2YNAB) <= set(names)
    assert all(expected is not None and expected.exists() for expected in names.values())
    sources = (EXAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    for example in DOMAIN.examples:
        assert example.document.name in sources
        assert example.expected is not None and example.expected.name.split(" / ")[0] in sources
    assert "Reuben Cummings" in (EXAMPLES / "LICENSE-csv2ofx.txt").read_text(encoding="utf-8")
    assert "bank2ynab contributors" in (EXAMPLES / "LICENSE-bank2ynab.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- csv2ofx


@pytest.mark.parametrize("name", ROW_FOR_ROW)
def test_csv2ofx_rows_match_expected(name: str) -> None:
    records, prefilled, transactions = extract(EXAMPLES / name)
    expected = expected_of(name)
    assert len(records) == len(expected)
    for got, want in zip(transactions, expected, strict=True):
        assert got.date == want["date"]
        assert got.amount == pytest.approx(want["amount"])
    assert all(values.get("date") and values.get("amount") is not None for values in prefilled)


def test_csv2ofx_payee_and_memo_loosely() -> None:
    # csv2ofx's NAME/MEMO are its own mapping's choices: compare loosely.
    _, _, gls = extract(EXAMPLES / "gls.csv")
    assert (gls[0].payee, gls[0].memo) == ("Drillisch Online AG", "SEPA-Basislastschrift")
    _, _, credit_union = extract(EXAMPLES / "creditunion.csv")
    assert [t.payee for t in credit_union] == [e["payee"] for e in expected_of("creditunion.csv")]
    _, _, stripe = extract(EXAMPLES / "stripe-default.csv")
    assert [t.memo for t in stripe] == [e["memo"] for e in expected_of("stripe-default.csv")]
    assert [t.payee for t in stripe] == [e["payee"] for e in expected_of("stripe-default.csv")]


def test_payoneer_reads_us_dates_and_debit_credit() -> None:
    # "05/03/2021" decides nothing by itself; the export's USD currency column makes
    # the column month-first, as csv2ofx reads it (2021-05-03).
    records, prefilled, transactions = extract(EXAMPLES / "payoneer.csv")
    mapping = records[0].context["mapping"]
    assert (mapping["debit"], mapping["credit"], mapping["balance"]) == ("Debit Amount", "Credit Amount", "Running Balance")
    assert mapping["dayfirst"] is False
    assert [t.date for t in transactions] == [datetime.date(2021, 5, 3)] * 2
    assert [t.amount for t in transactions] == [-100.0, 120.0]
    # the amount's cell is the filled one of the pair
    assert [r.field_columns["amount"] for r in records] == ["Debit Amount", "Credit Amount"]
    # rows are newest first: 300 after +120, then 200 after -100
    assert balance_breaks(prefilled) == []


def test_pcmastercard_dates_and_card_signs() -> None:
    records, _, transactions = extract(EXAMPLES / "pcmastercard.csv")
    expected = expected_of("pcmastercard.csv")
    assert len(records) == len(expected) == 2
    # "12/15/2018" makes the whole column month-first, so "01/10/2019" is 10 January.
    assert [t.date for t in transactions] == [e["date"] for e in expected]
    # The card export writes charges as positive numbers; csv2ofx's pcmastercard
    # mapping multiplies every amount by -1 because it knows that card's convention.
    # The file says so too: a card column ("Card Used For Transaction") over amounts
    # that are all positive, so the mapping reads them as a card's charges.
    assert records[0].context["mapping"]["sign_convention"] == "charges_positive"
    assert [t.amount for t in transactions] == [-36.33, -13.98]
    assert [t.amount for t in transactions] == [e["amount"] for e in expected]


def test_xero_journal_lines_against_split_transactions() -> None:
    # xero.csv is a journal export: one line per account leg. csv2ofx groups each
    # journal's lines into one split QIF transaction, seen from one account, so the
    # QIF has 5 transactions where the file has 13 lines. We give one record per
    # line and compare per journal: its date and its total (the sum of its positive
    # legs) must equal the QIF transaction's date and absolute amount.
    records, _, transactions = extract(EXAMPLES / "xero.csv")
    expected = expected_of("xero.csv")
    assert len(records) == 13 and len(expected) == 5
    journals: dict[str, list[Transaction]] = {}
    for record, transaction in zip(records, transactions):
        journals.setdefault(str(record.cells["JournalNumber"]), []).append(transaction)
    ours = Counter(
        (lines[0].date, round(sum(t.amount for t in lines if t.amount > 0), 2)) for lines in journals.values()
    )
    theirs = Counter((e["date"], round(abs(e["amount"]), 2)) for e in expected)
    assert ours == theirs
    assert all(len({t.date for t in lines}) == 1 for lines in journals.values())


def _match(got: Sequence[Transaction], want: Sequence[dict[str, Any]], signed: bool = True) -> int:
    """Expected transactions with a record of the same date and amount (one-to-one, any order)."""
    pool = Counter((t.date, round(t.amount if signed else abs(t.amount), 2)) for t in got if t.amount is not None)
    found = 0
    for entry in want:
        key = (entry["date"], round(entry["amount"] if signed else abs(entry["amount"]), 2))
        if pool[key] > 0:
            pool[key] -= 1
            found += 1
    return found


def test_measure_date_and_amount_match_fraction() -> None:
    total = matched = unsigned = 0
    lines = []
    for name in CSV2OFX:
        _, _, transactions = extract(EXAMPLES / name)
        expected = expected_of(name)
        hits, loose = _match(transactions, expected), _match(transactions, expected, signed=False)
        total, matched, unsigned = total + len(expected), matched + hits, unsigned + loose
        lines.append(f"  {name:20} records {len(transactions):3}  expected {len(expected):3}  "
                     f"date+amount {hits}/{len(expected)}  ignoring sign {loose}/{len(expected)}")
    fraction = matched / total
    print("\ncsv2ofx examples: date and amount both match (one-to-one, any order)")
    print("\n".join(lines))
    print(f"  all: {matched}/{total} = {fraction:.3f}; ignoring sign: {unsigned}/{total} = {unsigned / total:.3f}")
    # pcmastercard's card charges are read negated as csv2ofx books them (``signs``);
    # xero's INV-0001 journal is a grouped split transaction (149000) that no single
    # line carries.
    assert matched == total - 1
    assert unsigned == total - 1


# --------------------------------------------------------------------------- bank2ynab


@pytest.mark.parametrize("name", sorted(BANK2YNAB))
def test_bank2ynab_mapping_picks_the_named_columns(name: str) -> None:
    path = EXAMPLES / name
    ini = read_mapping_ini(path.with_name(path.name + ".mapping.ini"))
    document = parse_file(path, builtin_parsers())
    header = document.pages[0].tables[0].header
    roles = {role: header[i] for i, role in enumerate(ini["input_columns"]) if role != "skip" and i < len(header)}
    records, _, transactions = extract(path)
    assert len(records) == BANK2YNAB[name]
    mapping = records[0].context["mapping"]
    assert mapping["confident"]

    if name == "20180226-1000594757-umsatz.CSV":
        # bank2ynab reads Valutadatum (value date); we prefer Buchungstag (booking
        # date). Both hold the same date in this file.
        assert roles["Date"] == "Valutadatum" and mapping["date"] == "Buchungstag"
        assert [r.cells["Buchungstag"] for r in records] == [r.cells["Valutadatum"] for r in records]
    else:
        assert mapping["date"] == roles["Date"]
    assert mapping["payee"] == roles["Payee"]
    assert mapping["memo"] == roles.get("Memo")
    amount_role = "Inflow" if "Inflow" in roles else "Outflow"
    assert mapping["amount"] == roles[amount_role]

    if ini["date_format"]:
        assert mapping["date_format"] == ini["date_format"]
    else:
        # first direct (UK): bank2ynab does not know the format. "10/02/2018" decides
        # nothing; with no USD hint it is read day-first, as a UK bank writes it.
        assert mapping["date_format"] == "%d/%m/%Y"
        assert transactions[0].date == datetime.date(2018, 2, 10)


def test_john_lewis_outflow_pending_and_credit_marker() -> None:
    # bank2ynab maps Amount as Outflow: the card export writes spending unsigned and
    # marks the one payment received with "CR" in an unnamed fourth column.
    records, prefilled, transactions = extract(EXAMPLES / "MS_JANE_SMITH_01-12-2019_14-12-2019.csv")
    mapping = records[0].context["mapping"]
    assert mapping["indicator"] == "column 4" and mapping["unmarked_sign"] == -1
    assert all(t.amount < 0 for t in transactions[:-1])
    assert transactions[-1].amount == 1100.0 and transactions[-1].payee == "PAYMENT RECEIVED - THANK YOU"
    assert transactions[3].amount == -1183.23 and transactions[3].date == datetime.date(2019, 12, 12)
    # "Pending" is no date: left out of the prefill, so the model is asked for it.
    pending = [values for record, values in zip(records, prefilled) if record.cells["Date Processed"] == "Pending"]
    assert len(pending) == 3
    assert all("date" not in values and values["amount"] < 0 for values in pending)


def test_rabobank_quirks() -> None:
    # CR CR LF line ends, windows-1252, and a row missing its opening quote.
    records, _, transactions = extract(EXAMPLES / "CSV_A_20180414_112204.csv")
    mapping = records[0].context["mapping"]
    assert mapping["date"] == "Datum" and mapping["balance"] == "Saldo na trn"
    assert [t.amount for t in transactions] == [-337.49, 50.0, -750.0]
    assert [t.balance for t in transactions] == [5257.28, 13084.53, 12334.53]
    assert transactions[0].payee is None  # "Naam tegenpartij" is empty: known absent
    # The rows skip sequence numbers (9565, 9590, 9591): only the last step is checkable.
    assert balance_breaks([t.model_dump() for t in transactions]) == [1]


# --------------------------------------------------------------------------- generated files


def test_xlsx_with_preamble_debit_credit_and_balance(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Umsätze"
    sheet.append(["Kontoauszug Girokonto"])
    sheet.append(["IBAN: DE02120300000000202051"])
    sheet.append(["Wertstellung", "Buchungstag", "Auftraggeber/Empfänger", "Verwendungszweck", "Soll", "Haben", "Saldo"])
    rows = [
        (datetime.datetime(2024, 3, 4), datetime.datetime(2024, 3, 1), "Stadtwerke", "Abschlag März", 84.5, None, 1915.5),
        (datetime.datetime(2024, 3, 5), datetime.datetime(2024, 3, 5), "Arbeitgeber GmbH", "Gehalt", None, 2500, 4415.5),
        (datetime.datetime(2024, 3, 12), datetime.datetime(2024, 3, 11), "REWE", "Einkauf", -42.1, None, 4373.4),
    ]
    for row in rows:
        sheet.append(list(row))
    sheet.append(["Summe", None, None, None, 126.6, 2500, None])
    path = tmp_path / "konto.xlsx"
    book.save(path)

    records, prefilled, transactions = extract(path)
    assert len(records) == 3  # the "Summe" footer is not a transaction
    mapping = records[0].context["mapping"]
    assert mapping["date"] == "Buchungstag"  # booking date, not the value date
    assert (mapping["debit"], mapping["credit"], mapping["balance"]) == ("Soll", "Haben", "Saldo")
    assert mapping["payee"] == "Auftraggeber/Empfänger" and mapping["memo"] == "Verwendungszweck"
    assert [t.date for t in transactions] == [datetime.date(2024, 3, d) for d in (1, 5, 11)]
    assert [t.amount for t in transactions] == [-84.5, 2500.0, -42.1]
    assert [t.balance for t in transactions] == [1915.5, 4415.5, 4373.4]
    assert balance_breaks(prefilled) == []
    # prefilled fields point at their cells: Soll is column E, the first row is row 4
    assert records[0].field_columns["amount"] == "Soll"
    assert records[0].cell_provenance["Soll"].cell_range == "E4"
    assert records[0].cell_provenance["Soll"].sheet == "Umsätze"


def test_csv_with_preamble_and_af_bij_marker(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Rekeningoverzicht;;;;\n"
        "Rekening: NL91ABNA0417164300;;;;\n"
        "Datum;Naam / Omschrijving;Mededelingen;Bedrag (EUR);Af Bij\n"
        "05-03-2024;Albert Heijn 1234;Betaalautomaat;12,50;Af\n"
        "13-03-2024;Werkgever BV;Salaris maart;2.500,00;Bij\n"
        "14-03-2024;NS Reizigers;OV-chipkaart;4,35;Af\n"
        "\n"
        "Totaal;;;2.483,15;\n",
        encoding="utf-8",
    )
    document = parse_file(path, builtin_parsers())
    assert document.pages[0].tables[0].preamble  # the parser kept the account lines
    records, prefilled, transactions = extract(path)
    assert len(records) == 3  # the empty line and "Totaal" are not transactions
    mapping = records[0].context["mapping"]
    assert mapping["amount"] == "Bedrag (EUR)" and mapping["indicator"] == "Af Bij"
    assert mapping["dayfirst"] is True and mapping["date_format"] == "%d-%m-%Y"
    assert [t.date for t in transactions] == [datetime.date(2024, 3, d) for d in (5, 13, 14)]
    assert [t.amount for t in transactions] == [-12.5, 2500.0, -4.35]
    assert transactions[0].payee == "Albert Heijn 1234" and transactions[0].memo == "Betaalautomaat"
    assert all(values["balance"] is None for values in prefilled)  # no balance column: absent


@pytest.mark.parametrize(
    ("columns", "want"),
    [
        (  # French
            {"Date opération": ["03/04/2024"], "Date valeur": ["05/04/2024"], "Libellé": ["CB CARREFOUR"],
             "Débit": ["45,20"], "Crédit": [None], "Solde": ["1 204,80"]},
            {"date": "Date opération", "debit": "Débit", "credit": "Crédit", "balance": "Solde",
             "payee": "Libellé", "payee_from_description": True},
        ),
        (  # Spanish
            {"Fecha valor": ["03/04/2024"], "Fecha": ["02/04/2024"], "Concepto": ["Recibo luz"],
             "Importe": ["-61,30"], "Saldo": ["938,70"]},
            {"date": "Fecha", "amount": "Importe", "balance": "Saldo", "payee": "Concepto"},
        ),
        (  # English, withdrawals and deposits
            {"Posting Date": ["04/13/2024"], "Description": ["ACH PAYROLL"], "Withdrawals": [None],
             "Deposits": ["1,250.00"], "Running Balance": ["3,001.17"]},
            {"date": "Posting Date", "debit": "Withdrawals", "credit": "Deposits",
             "balance": "Running Balance", "payee": "Description", "dayfirst": False},
        ),
        (  # German, value date column filled where the booking date is not
            {"Buchungstag": [None, None], "Valutadatum": ["01.02.2024", "02.02.2024"], "Betrag": ["-1,00", "2,00"],
             "Name Zahlungsbeteiligter": ["A", "B"], "Verwendungszweck": ["x", "y"]},
            {"date": "Valutadatum", "amount": "Betrag", "payee": "Name Zahlungsbeteiligter", "memo": "Verwendungszweck"},
        ),
    ],
)
def test_header_keywords_in_other_languages(columns: dict[str, list[Any]], want: dict[str, Any]) -> None:
    mapping = infer_mapping(columns).to_dict()
    assert mapping["confident"]
    assert {key: mapping[key] for key in want} == want


# --------------------------------------------------------------------------- readers and validators


def test_expected_readers(tmp_path: Path) -> None:
    payoneer = read_ofx(EXAMPLES / "payoneer.expected.ofx")
    assert [(e["date"], e["amount"], e["payee"], e["memo"]) for e in payoneer] == [
        (datetime.date(2021, 5, 3), -100.0, "payee", "Transaction description"),
        (datetime.date(2021, 5, 3), 120.0, "payee", "Transaction description"),
    ]
    xero = read_qif(EXAMPLES / "xero.expected.qif")
    assert [(e["account"], e["date"], e["amount"]) for e in xero][:2] == [
        ("Income", datetime.date(2015, 1, 23), 149000.0),
        ("Cash", datetime.date(2015, 1, 25), -113000.0),
    ]
    assert [s["amount"] for s in xero[0]["splits"]] == [113000.0, 36000.0]
    # OFX 1.x SGML leaves leaf tags unclosed
    sgml = tmp_path / "old.ofx"
    sgml.write_text(
        "OFXHEADER:100\n<OFX><BANKTRANLIST>\n<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>20240105120000[-5:EST]\n"
        "<TRNAMT>-12.34\n<NAME>A &amp; B\n</STMTTRN>\n<STMTTRN>\n<DTPOSTED>20240106\n<TRNAMT>5\n</BANKTRANLIST></OFX>\n"
    )
    assert [(e["date"], e["amount"], e["payee"]) for e in read_ofx(sgml)] == [
        (datetime.date(2024, 1, 5), -12.34, "A & B"),
        (datetime.date(2024, 1, 6), 5.0, None),
    ]
    quicken = tmp_path / "q.qif"
    quicken.write_text("!Type:Bank\nD1/5'24\nT-1,234.50\nPShop\n^\n")
    assert read_qif(quicken)[0]["date"] == datetime.date(2024, 1, 5)
    assert read_qif(quicken)[0]["amount"] == -1234.5


def test_validators() -> None:
    assert amount_present(Transaction(date=datetime.date(2024, 1, 1)))[0].field == "amount"
    assert amount_present(Transaction.model_validate({"amount": "-1,50"})) == []
    assert date_plausible(Transaction.model_validate({"date": "1900-01-01", "amount": 1}))[0].field == "date"
    assert date_plausible(Transaction.model_validate({"date": "2024-01-01", "amount": 1})) == []
    rows = [{"amount": -10.0, "balance": 90.0}, {"amount": 5.0, "balance": 95.0}, {"amount": 1.0, "balance": 99.0}]
    assert balance_breaks(rows) == [2]
    assert balance_breaks(list(reversed(rows[:2]))) == []  # newest first


def test_the_splitter_yields_records_while_the_file_is_still_being_read(tmp_path: Path) -> None:
    """A large export streams: the first record comes out before the table is read to the
    end, and each record carries what the mapping read from its row."""
    path = tmp_path / "big.csv"
    path.write_text("Date,Payee,Amount\n" + "".join(f"2024-03-{n % 28 + 1:02d},Shop {n},-{n}.25\n" for n in range(5000)),
                    encoding="utf-8")
    records = DOMAIN.splitter(parse_file(path, builtin_parsers()))
    assert iter(records) is records  # a generator, not a list
    first = next(records)
    assert first.index == 0 and first.context["values"] == {"date": "2024-03-01", "amount": -0.25, "payee": "Shop 0"}
    rest = list(records)
    assert len(rest) == 4999 and rest[-1].index == 4999 and rest[-1].cells == {
        "Date": "2024-03-16", "Payee": "Shop 4999", "Amount": "-4999.25"}
    assert DOMAIN.prefill(rest[-1]) == {"date": "2024-03-16", "amount": -4999.25, "payee": "Shop 4999",
                                        "memo": None, "balance": None}


def test_ocbc_second_description_lines_belong_to_the_row_above() -> None:
    # The export has account lines above its header and writes each description's
    # second line on a line of its own (",,text"). bank2ynab's mapping for it: the date
    # in the first column (day first), Outflow and Inflow columns, and its OCBC plugin
    # appends each line that starts with a comma to the row above, as the Payee.
    path = EXAMPLES / "TransactionHistory_20180418043121.csv"
    ini = read_mapping_ini(path.with_name(path.name + ".mapping.ini"))
    roles = ini["input_columns"]
    expected: list[dict[str, Any]] = []
    for cells in csv.reader(path.read_text(encoding="utf-8").splitlines()[ini["header_rows"] :]):
        if cells and cells[0]:
            day = datetime.datetime.strptime(cells[0], ini["date_format"]).date()
            outflow, inflow = (float(cells[roles.index(role)] or 0) for role in ("Outflow", "Inflow"))
            expected.append({"date": day, "amount": inflow - outflow, "memo": cells[roles.index("Memo")]})
        elif cells and expected:
            expected[-1]["payee"] = " ".join(" ".join(cells).split())
    assert len(expected) == 8

    records, prefilled, transactions = extract(path)
    assert len(records) == 8
    assert [(t.date, t.amount) for t in transactions] == [(e["date"], pytest.approx(e["amount"])) for e in expected]
    assert records[0].context["mapping"]["confident"]
    for transaction, want in zip(transactions, expected, strict=True):
        assert transaction.payee == " ".join(f"{want['memo']} {want['payee']}".split())
    # each record points at both of its lines
    assert [(r.provenance[0].line_start, r.provenance[0].line_end) for r in records][:2] == [(7, 8), (9, 10)]
    assert all("date" in values and "amount" in values for values in prefilled)


def test_a_wide_tables_mapping_is_inferred_from_a_bounded_sample() -> None:
    """1,000 rows of 10,000 columns were ten million cells (3 GB, minutes) to infer a
    mapping from: a wide table's sample stops near ``SAMPLE_CELLS`` cells."""
    from parser_service_bank_transactions.mapping import MIN_SAMPLE_ROWS, SAMPLE_CELLS, SAMPLE_ROWS, sample_rows
    from parser_service_bank_transactions.splitter import split_transactions

    from parser_service.document import Document, Page, Provenance, Row, Streamed, Table

    assert sample_rows(5) == SAMPLE_ROWS and sample_rows(10_000) == MIN_SAMPLE_ROWS
    assert sample_rows(500) == SAMPLE_CELLS // 500
    width, drawn = 5_000, []
    header = ["Date", "Payee", "Amount", *(f"Extra {i}" for i in range(width - 3))]

    def rows():
        for n in range(100):
            drawn.append(n)
            yield Row([f"2024-05-{n % 28 + 1:02d}", f"Shop {n}", f"-{n}.10", *("1" * (width - 3))], Provenance())

    table = Table(header, Streamed(100, rows), Provenance())
    document = Document("0" * 64, "wide.csv", "text/csv", [Page(number=1, tables=[table])])
    first = next(split_transactions(document))
    assert len(drawn) == sample_rows(width) + 1  # the sample, then the first row again
    assert first.context["values"] == {"date": "2024-05-01", "amount": -0.1, "payee": "Shop 0"}


def test_the_general_mapping_names_the_amount_where_no_header_rule_does() -> None:
    """Italian headers the bank rules do not list: two columns of money, so no lone
    number column decides; the core's mapping (glossary: importo = amount) does."""
    from parser_service_bank_transactions.mapping import infer_mapping

    columns = {
        "Data operazione": ["03/01/2024", "05/01/2024", "09/01/2024"],
        "Importo": ["-12,50", "1.200,00", "-3,99"],
        "Saldo": ["987,50", "2.187,50", "2.183,51"],
        "Descrizione": ["Bar Centrale", "Stipendio gennaio", "Edicola"],
    }
    mapping = infer_mapping(columns)
    assert (mapping.date, mapping.amount, mapping.balance) == ("Data operazione", "Importo", "Saldo")
