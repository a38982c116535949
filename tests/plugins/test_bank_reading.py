"""The bank plugin reads the kinds of export that gave no or wrong transactions on
banks no rule here was written for (issue 27): no header row, a preamble before the
header with each description continued on a line of its own, ';' with decimal commas,
timestamps such as 20091224120000, 0.0 on the empty side of a debit/credit pair,
currency signs, a serial-number column before the date, and headers in a language the
keyword lists do not know. The exports are written here, one per kind; the values
each row must give are the test's own. Only the parser and the column mapping run
(no model): a field the mapping cannot read would be missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "bank_transactions"))

from parser_service_bank_transactions import DOMAIN
from parser_service_bank_transactions.mapping import cell_mark
from parser_service_bank_transactions.splitter import split_transactions

from parser_service.cli.entry import main
from parser_service.errors import NoRecordsError
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline.run import Pipeline
from parser_service.settings import Settings

PREAMBLE_CONTINUED = (
    "Account statement\nAccount: NL00BANK0123456789\nPeriod: 01.02.2024 - 29.02.2024\n\n"
    "Date;Description;Amount\n"
    + "".join(f"{d:02d}.02.2024;Payment {d} to Shop;-{d},50\n;card 1234 ref {d}{d};\n" for d in range(1, 9))
)

EXPORTS = {
    "no header row": (
        "2023-05-01,DOLLAR SHOP 845,1.96,,100.00\n2023-05-01,MARKET 12,12.10,,87.90\n"
        "2023-05-02,SALARY ACME,,332.22,420.12\n2023-05-03,RENT,100.00,,320.12\n",
        [("2023-05-01", -1.96), ("2023-05-01", -12.10), ("2023-05-02", 332.22), ("2023-05-03", -100.0)],
    ),
    "preamble, descriptions on a second line": (
        PREAMBLE_CONTINUED,
        [(f"2024-02-{d:02d}", -(d + 0.5)) for d in range(1, 9)],
    ),
    "semicolons and decimal commas": (
        "Datum;Omschrijving;Bedrag\n01-02-2024;Shop;-1.234,56\n02-02-2024;Salary;2.000,00\n",
        [("2024-02-01", -1234.56), ("2024-02-02", 2000.0)],
    ),
    "timestamps": (
        "Time,Description,Amount\n20091224120000,Gift shop,-25.00\n20091225093000,Refund,10.50\n",
        [("2009-12-24", -25.0), ("2009-12-25", 10.5)],
    ),
    "0.0 on the empty side": (
        "Date,Description,Debit,Credit,Balance\n2024-03-01,Shop,12.50,0.0,987.50\n"
        "2024-03-02,Salary,0.0,2000.00,2987.50\n",
        [("2024-03-01", -12.5), ("2024-03-02", 2000.0)],
    ),
    "currency signs": (
        'Date,Description,Amount\n2024-03-01,Shop,-$12.50\n2024-03-02,Salary,"$2,000.00"\n2024-03-03,Cafe,€-3.20\n',
        [("2024-03-01", -12.5), ("2024-03-02", 2000.0), ("2024-03-03", -3.2)],
    ),
    "serial column before the date": (
        "No,Date,Description,Amount\n1,2024-03-01,Shop,-12.50\n2,2024-03-02,Salary,2000.00\n",
        [("2024-03-01", -12.5), ("2024-03-02", 2000.0)],
    ),
    "unknown headers, signed amount and a balance": (
        "Dato,Beløp,Saldo,Tekst\n2024-04-01,+250.00,1250.00,Lønn\n2024-04-02,-40.00,1210.00,Butikk\n"
        "2024-04-03,-10.00,1200.00,Kafe\n",
        [("2024-04-01", 250.0), ("2024-04-02", -40.0), ("2024-04-03", -10.0)],
    ),
    "unknown headers, two-language debit/credit markers": (
        "序号,日期,借贷,金额,余额\n1,2024-05-01,贷 Cr,100.00,1100.00\n2,2024-05-02,借 Dr,30.00,1070.00\n"
        "3,2024-05-03,借 Dr,5.50,1064.50\n",
        [("2024-05-01", 100.0), ("2024-05-02", -30.0), ("2024-05-03", -5.5)],
    ),
    "no header, a debit/credit pair told apart by the balance": (
        "01.06.2024,Salary,,1500.00,1600.00\n02.06.2024,Rent,700.00,,900.00\n03.06.2024,Shop,25.10,,874.90\n",
        [("2024-06-01", 1500.0), ("2024-06-02", -700.0), ("2024-06-03", -25.1)],
    ),
    "every date ambiguous, month-first, rows in order": (
        "Date,Description,Amount\n05/01/2023,Shop,-1.96\n05/01/2023,Market,-12.10\n"
        "05/02/2023,Salary,332.22\n05/03/2023,Rent,-100.00\n",
        [("2023-05-01", -1.96), ("2023-05-01", -12.1), ("2023-05-02", 332.22), ("2023-05-03", -100.0)],
    ),
    "every date ambiguous, day-first, newest first": (
        "Datum;Omschrijving;Bedrag\n03.06.2024;Shop;-1,00\n02.06.2024;Cafe;-2,00\n01.06.2024;Salary;3,00\n",
        [("2024-06-03", -1.0), ("2024-06-02", -2.0), ("2024-06-01", 3.0)],
    ),
    "every date ambiguous, the value date column decides": (
        "Booking date,Value date,Description,Amount\n04/05/2023,04/13/2023,Shop,-1.00\n"
        "04/05/2023,04/14/2023,Cafe,-2.00\n",
        [("2023-04-05", -1.0), ("2023-04-05", -2.0)],
    ),
    "card statement, charges positive": (
        "Item #,Card #,Transaction Date,Transaction Amount,Description\n1,'5191',20240501,3.50,COFFEE\n"
        "2,'5191',20240502,20.00,BOOKS\n3,'5191',20240503,-100.00,PAYMENT THANK YOU\n"
        "4,'5191',20240504,12.00,FOOD\n",
        [("2024-05-01", -3.5), ("2024-05-02", -20.0), ("2024-05-03", 100.0), ("2024-05-04", -12.0)],
    ),
    "debit/credit pairs named in Chinese, '-' on the empty side": (
        "交易日期,摘要,交易金额(收入),交易金额(支出),记账金额(收入),记账金额(支出),余额\n"
        "2023-05-02,消费,-,-,-,13.40,xx\n2023-04-22,他行汇入,-,-,\"1,234.56\",-,xx\n"
        "2023-04-14,网转,-,-,-,500.00,xx\n",
        [("2023-05-02", -13.4), ("2023-04-22", 1234.56), ("2023-04-14", -500.0)],
    ),
}


def test_a_card_statements_sign_convention_is_in_its_mapping(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORTS["card statement, charges positive"][0], encoding="utf-8")
    document = parse_file(path, builtin_parsers(), path.name)
    assert {r.context["mapping"]["sign_convention"] for r in split_transactions(document)} == {"charges_positive"}


def _values(path: Path) -> list[tuple[str | None, float | None]]:
    document = parse_file(path, builtin_parsers(), path.name)
    return [(r.context["values"].get("date"), r.context["values"].get("amount")) for r in split_transactions(document)]


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_each_kind_of_export_gives_every_transactions_date_and_amount(tmp_path: Path, kind: str) -> None:
    text, expected = EXPORTS[kind]
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    found = _values(path)
    assert [(d, round(a, 2) if a is not None else None) for d, a in found] == expected


@pytest.mark.parametrize(
    ("cell", "mark"),
    [("CR", "cr"), ("Af", "af"), ("借 Dr", "dr"), ("贷 Cr.", "cr"), ("Credit salary from ACME", None), ("", None)],
)
def test_a_marker_is_a_whole_cell_or_the_one_strong_word_of_a_short_cell(cell: str, mark: str | None) -> None:
    assert cell_mark(cell) == mark


def test_descriptions_naming_credit_or_debit_are_no_marker_column(tmp_path: Path) -> None:
    """Every description holds one of "credit"/"debit", but in many words and many
    distinct cells: the amount's own sign stands."""
    path = tmp_path / "export.csv"
    path.write_text(
        "Date,Text,Amount\n2024-01-01,Credit salary ACME,5000.00\n2024-01-05,Debit card shop one,-25.50\n"
        "2024-01-06,Debit card shop two,-10.00\n2024-01-07,Credit transfer from J,75.00\n"
    )
    assert [a for _, a in _values(path)] == [5000.0, -25.5, -10.0, 75.0]


def _pipeline() -> Pipeline:
    return Pipeline(Settings(backend="deterministic"))


def test_the_issues_export_gives_its_eight_transactions_not_an_empty_success(tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_text(PREAMBLE_CONTINUED, encoding="utf-8")
    result = _pipeline().extract(path, domain=DOMAIN.name)
    records = result.all_records()
    assert len(records) == 8
    assert [r.data["amount"] for r in records if r.data] == pytest.approx([-(d + 0.5) for d in range(1, 9)])


def test_a_table_whose_rows_give_no_transaction_is_refused_with_the_reason(tmp_path: Path, capsys) -> None:
    """Rows, none a transaction (a total and a closing balance, no date): an error naming
    the rows and a failing exit, not 0 records and success."""
    path = tmp_path / "statement.csv"
    path.write_text("Date,Description,Amount\n,Total,0.00\n,Closing balance,1200.00\n")
    with pytest.raises(NoRecordsError, match="found no records in the 2 table rows"):
        _pipeline().extract(path, domain=DOMAIN.name)
    code = main(["extract", str(path), "--domain", DOMAIN.name, "--backend", "deterministic", "-q"])
    assert code != 0
    assert "found no records in the 2 table rows" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["td-chequing", "bmo-credit", "icbc-credit", "icbc-debit"])
def test_the_former_held_out_exports_of_each_failure_class_give_their_truth(name: str) -> None:
    """Month-first dates all <= 12 (td), a card's positive charges (bmo), debit/credit
    columns named in Chinese with masked balances (icbc): each truth transaction is read."""
    from parser_service.bench.bank_unseen import DATA, load_exports, matched, read_truth

    export = next(e for e in load_exports(DATA) if e.name == name)
    truth = read_truth(export)
    assert matched(truth, _values(export.document)) == len(truth)  # type: ignore[arg-type]


def test_a_card_statements_negated_amounts_say_so_in_their_provenance(tmp_path: Path) -> None:
    path = tmp_path / "card.csv"
    path.write_text(EXPORTS["card statement, charges positive"][0], encoding="utf-8")
    records = _pipeline().extract(path, domain=DOMAIN.name).all_records()
    assert [r.data["amount"] for r in records if r.data] == [-3.5, -20.0, 100.0, -12.0]
    readings = {r.provenance["fields"]["amount"].get("reading") for r in records}
    assert len(readings) == 1 and "charges_positive" in str(readings.pop())
    plain = tmp_path / "plain.csv"
    plain.write_text(EXPORTS["currency signs"][0], encoding="utf-8")
    assert all("reading" not in r.provenance["fields"]["amount"] for r in _pipeline().extract(plain, domain=DOMAIN.name).all_records())
