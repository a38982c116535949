"""CsvParser on real bank exports and on hand-made edge cases."""

from __future__ import annotations

import codecs
import csv
import sys
from pathlib import Path

import pytest

from parser_service.document import Streamed, Table, column_letter
from parser_service.errors import CorruptFileError, EncodingError, FileTooLargeError
from parser_service.parsers.base import SNIFF_BYTES
from parser_service.parsers.csv_parser import CsvParser
from parser_service.parsers.encoding import UTF16_WITHOUT_BOM, decode_text, iter_lines, split_lines, text_encoding
from parser_service.parsers.limits import MAX_CSV_COLUMNS, MAX_CSV_FIELD_CHARS, MAX_CSV_RECORD_CHARS
from tests.conftest import BANK_EXAMPLES

DATA = Path(__file__).resolve().parent.parent / "data"


def table_of(path: Path) -> Table:
    pages = CsvParser().parse(path, path.name)
    assert len(pages) == 1 and pages[0].number == 1 and pages[0].blocks == []
    assert len(pages[0].tables) == 1
    return pages[0].tables[0]


def sniff(path: Path) -> bool:
    return CsvParser().sniff(path, path.read_bytes()[:SNIFF_BYTES])


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name",
    [
        "gls.csv",
        "creditunion.csv",
        "2018-04-14_10-52-13_bunq-transactieoverzicht.csv",
        "MS_JANE_SMITH_01-12-2019_14-12-2019.csv",
        "20180226-1000594757-umsatz.CSV",
        "CSV_A_20180414_112204.csv",
        "payoneer.csv",
        "xero.csv",
    ],
)
def test_sniff_claims_real_bank_exports(name: str) -> None:
    assert sniff(DATA / name)


def test_sniff_rejects_plain_text_invoice() -> None:
    assert not sniff(DATA / "Orlen.txt")


def test_sniff_rejects_json(tmp_path: Path) -> None:
    data = b'[\n  {\n    "issuer": "OYO",\n    "amount": 1939.0,\n    "date": "2017-12-31",\n'
    data += b'    "currency": "INR",\n    "booking_id": "IBZY2087"\n  }\n]\n'
    assert not sniff(write(tmp_path, "oyo.json", data))


def test_sniff_rejects_markdown_tables() -> None:
    assert not sniff(DATA / "SOURCES.md")


def test_sniff_rejects_prose_and_single_line(tmp_path: Path) -> None:
    prose = b"Dear customer,\nthank you for your order.\nWe ship, as agreed, on Monday; see you.\n"
    assert not sniff(write(tmp_path, "letter.txt", prose))
    assert not sniff(write(tmp_path, "one.csv", b"a,b,c\n"))


def test_gls_windows_1252_semicolons() -> None:
    table = table_of(DATA / "gls.csv")
    assert table.header[3] == "Auftraggeber/Empfänger"
    assert table.header[-1] == "Währung"
    assert len(table.header) == 22
    assert len(table.rows) == 1
    record = table.rows[0].as_dict(table.header)
    assert record["Auftraggeber/Empfänger"] == "Drillisch Online AG"
    assert record["Buchungstext"] == "SEPA-Basislastschrift"
    assert record["Betrag"] == "-98,76"
    assert record["VWZ3"] is None
    assert table.rows[0].provenance.line_start == 2
    assert table.rows[0].provenance.cell_range == "A2:V2"


def test_creditunion_bare_cr_line_endings() -> None:
    table = table_of(DATA / "creditunion.csv")
    assert table.header == ["Check Number", "Date", "Description", "Amount", "Category", "Comments"]
    assert len(table.rows) == 8
    assert [row.values[0] for row in table.rows] == [f"INV-{n}" for n in range(1, 9)]
    assert table.rows[0].values == ["INV-1", "2/8/15", "Ằdøłƥh Noƴa", "50000", "Expenses", None]
    last = table.rows[-1].provenance
    assert (last.line_start, last.line_end, last.cell_range) == (9, 9, "A9:F9")
    assert table.provenance.cell_range == "A1:F9"
    assert (table.provenance.line_start, table.provenance.line_end) == (1, 9)


def test_xero_bare_cr_line_endings() -> None:
    table = table_of(DATA / "xero.csv")
    assert table.header[:4] == ["JournalNumber", "JournalDate", "AccountName", "NetAmount"]
    assert len(table.rows) == 13
    assert table.rows[-1].values[-1] == "Transfer to Checking"


def test_ms_jane_smith_bom_and_trailing_empty_header() -> None:
    table = table_of(DATA / "MS_JANE_SMITH_01-12-2019_14-12-2019.csv")
    assert table.header == ["Date Processed", "Description", "Amount", ""]
    assert len(table.rows) == 13
    first = table.rows[0].as_dict(table.header)
    assert first == {
        "Date Processed": "Pending",
        "Description": "L'OLILO                 LONDON       GBR",
        "Amount": "£67.40",
    }
    assert table.rows[3].values[2] == "£1,183.23"  # quoted value with a comma


def test_bunq_quoted_decimal_commas_pick_comma_delimiter() -> None:
    table = table_of(DATA / "2018-04-14_10-52-13_bunq-transactieoverzicht.csv")
    assert table.header == ["Datum", "Bedrag", "Rekening", "Tegenrekening", "Naam", "Omschrijving"]
    assert [row.values[1] for row in table.rows] == ["-2,56", "750,00", "-18,90"]
    assert table.rows[2].values[3] is None


def test_umsatz_quoted_semicolons() -> None:
    table = table_of(DATA / "20180226-1000594757-umsatz.CSV")
    assert len(table.header) == 11 and table.header[-1] == "Info"
    assert table.rows[0].as_dict(table.header)["Betrag"] == "-36,99"


def test_rabobank_cr_cr_lf_and_windows_1252() -> None:
    table = table_of(DATA / "CSV_A_20180414_112204.csv")
    assert "Naam initiërende partij" in table.header
    assert len(table.header) == 26
    assert len(table.rows) == 3
    # each record ends in CR CR LF: two physical line breaks, so records sit on odd lines
    assert [row.provenance.line_start for row in table.rows] == [3, 5, 7]
    assert table.rows[0].as_dict(table.header)["Omschrijving-1"] == "RENTE LENING"
    # the export lost the opening quote of one record; its columns still line up
    second = table.rows[1].as_dict(table.header)
    assert second["Naam tegenpartij"] == "Nederlandse Loterij Organisatie B.V."
    assert second["Bedrag"] == "+50,00"


def test_payoneer_empty_values_are_none() -> None:
    table = table_of(DATA / "payoneer.csv")
    first = table.rows[0].as_dict(table.header)
    assert first["Debit Amount"] == "100"
    assert first["Credit Amount"] is None
    assert first["Reference ID"] is None


def test_preamble_lines_are_separated(tmp_path: Path) -> None:
    data = (
        "Kontoauszug März 2024;;;\n"
        "Account: 123;;;\n"
        "\n"
        "Date;Description;Amount;Currency\n"
        "01.03.2024;Coffee;-2,50;EUR\n"
        "02.03.2024;Salary;2500,00;EUR\n"
    ).encode()
    table = table_of(write(tmp_path, "statement.csv", data))
    assert table.preamble == ["Kontoauszug März 2024", "Account: 123"]
    assert table.header == ["Date", "Description", "Amount", "Currency"]
    assert [row.values for row in table.rows] == [
        ["01.03.2024", "Coffee", "-2,50", "EUR"],
        ["02.03.2024", "Salary", "2500,00", "EUR"],
    ]
    assert table.rows[0].provenance.line_start == 5
    assert table.rows[0].provenance.cell_range == "A5:D5"
    assert table.provenance.cell_range == "A4:D6"


def test_tab_separated(tmp_path: Path) -> None:
    data = b"date\tpayee\tamount\n2024-01-02\tACME Ltd\t12.00\n2024-01-03\tBob, Inc.\t7.50\n"
    path = write(tmp_path, "export.tsv", data)
    assert sniff(path)
    table = table_of(path)
    assert table.header == ["date", "payee", "amount"]
    assert table.rows[1].values == ["2024-01-03", "Bob, Inc.", "7.50"]


def test_pipe_separated(tmp_path: Path) -> None:
    data = b"id|name|total\n1|A|3\n2|B|4\n3|C|5\n"
    table = table_of(write(tmp_path, "pipes.txt", data))
    assert table.header == ["id", "name", "total"]
    assert len(table.rows) == 3


def test_latin1_csv(tmp_path: Path) -> None:
    data = "Name;Stadt;Betrag\nJosé;Zürich;12,50\nRenée;Köln;3,00\n".encode("latin-1")
    path = write(tmp_path, "latin1.csv", data)
    assert sniff(path)
    table = table_of(path)
    assert table.header == ["Name", "Stadt", "Betrag"]
    assert table.rows[0].values == ["José", "Zürich", "12,50"]
    assert table.rows[1].values == ["Renée", "Köln", "3,00"]


def test_quoted_field_spanning_lines(tmp_path: Path) -> None:
    data = (
        b"Date,Memo,Amount\r\n"
        b'2024-01-01,"first line\r\nsecond line",10\r\n'
        b"2024-01-02,plain,20\r\n"
    )
    table = table_of(write(tmp_path, "multi.csv", data))
    first, second = table.rows
    assert first.values == ["2024-01-01", "first line\nsecond line", "10"]
    assert (first.provenance.line_start, first.provenance.line_end) == (2, 3)
    assert (second.provenance.line_start, second.provenance.line_end) == (4, 4)
    # a spreadsheet shows this as row 3 (one record per row)
    assert second.provenance.cell_range == "A3:C3"


def test_ragged_rows_are_padded_or_kept(tmp_path: Path) -> None:
    data = (
        b"Date,Description,Amount,\n"
        b"2024-01-01,Coffee,2.50,\n"
        b"2024-01-02,Tea\n"
        b"2024-01-03,Cake,4.00,,extra\n"
        b"2024-01-04,Bun,1.00,\n"
    )
    table = table_of(write(tmp_path, "ragged.csv", data))
    assert table.header == ["Date", "Description", "Amount", ""]
    assert table.rows[0].values == ["2024-01-01", "Coffee", "2.50", None]
    assert table.rows[1].values == ["2024-01-02", "Tea", None, None]
    assert table.rows[2].values == ["2024-01-03", "Cake", "4.00", None, "extra"]
    assert table.rows[2].provenance.cell_range == "A4:E4"
    expected = {"Date": "2024-01-02", "Description": "Tea", "Amount": None}
    assert table.rows[1].as_dict(table.header) == expected


def test_undecodable_bytes_raise_encoding_error(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + "Datum;Betrag\nGr\xfc\xdfe;5\n".encode("latin-1")  # a BOM, and not UTF-8
    path = write(tmp_path, "bad.csv", data)
    assert not sniff(path)
    with pytest.raises(EncodingError) as info:
        CsvParser().parse(path, "bad.csv")
    assert str(info.value) == "bad.csv: could not detect the text encoding (tried UTF-8, windows-1252, latin-1)"


UTF16_EXPORT = 'Date,Payee,Amount\r\n2024-01-02,"M\u00fcller, Caf\u00e9\r\nZ\u00fcrich",-2.50\r\n2024-01-03,\u20ac Shop,10.00\r\n'


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + UTF16_EXPORT.encode("utf-16-le"),  # Excel's "Unicode text", Windows tools
        codecs.BOM_UTF16_BE + UTF16_EXPORT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + UTF16_EXPORT.encode("utf-32-le"),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-32-le"],
)
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "export.csv", data)
    assert sniff(path)
    table = table_of(path)
    assert table.header == ["Date", "Payee", "Amount"]  # no BOM left in the first cell
    assert [row.values for row in table.rows] == [
        ["2024-01-02", "M\u00fcller, Caf\u00e9\nZ\u00fcrich", "-2.50"],
        ["2024-01-03", "\u20ac Shop", "10.00"],
    ]
    assert (table.rows[1].provenance.line_start, table.rows[1].provenance.cell_range) == (4, "A3:C3")


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", UTF16_EXPORT.encode("utf-16-le"))
    assert not sniff(path)
    with pytest.raises(EncodingError) as info:
        CsvParser().parse(path, "export.csv")
    assert str(info.value) == f"export.csv: {UTF16_WITHOUT_BOM}"


def test_a_nul_byte_is_named_with_its_offset_and_line(tmp_path: Path) -> None:
    rows = b"Date,Amount\r\n" + b"2024-01-01,2.50\r\n" * 1000  # past the first chunk's lines
    path = write(tmp_path, "damaged.csv", rows + b"2024-01-02,\x003.00\r\n")
    with pytest.raises(EncodingError) as info:
        CsvParser().parse(path, "damaged.csv")
    assert str(info.value) == (
        f"damaged.csv: contains a NUL byte at offset {len(rows) + 11:,} (line 1,002): text holds none, "
        "so the file is damaged or is not a text or CSV file"
    )


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_rows_are_read_from_the_file_each_time_not_held(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("Date,Amount\n" + "".join(f"2024-01-{1 + n % 28:02d},{n}.50\n" for n in range(3000)), encoding="utf-8")
    table = table_of(path)
    assert isinstance(table.rows, Streamed) and len(table.rows) == 3000
    assert table.rows[-1].values == ["2024-01-04", "2999.50"]
    assert table.rows[-1].provenance.line_start == 3001
    assert [r.values for r in table.rows] == [r.values for r in table.rows]
    assert table.rows[10:12] == [table.rows[10], table.rows[11]]


def test_a_csv_changed_after_parsing_is_an_error_not_other_rows(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("Date,Amount\n2024-01-02,1.00\n", encoding="utf-8")
    table = table_of(path)
    path.write_text("Date,Amount\n2024-01-02,1.00\n2024-01-03,2.00\n", encoding="utf-8")
    with pytest.raises(CorruptFileError, match="changed while it was being read"):
        list(table.rows)


@pytest.mark.parametrize(
    "data",
    [
        b"Date;Betrag\n01.02.2024;-2,50\n",
        "\ufeffDate,Payee\n2024-02-01,Caf\u00e9\n".encode("utf-8"),
        "Datum;Empf\u00e4nger \u20ac\n01.02.2024;M\u00fcller\n".encode("cp1252"),
        "Datum;Empf\u00e4nger\n01.02.2024;M\u00fcller \x81\n".encode("latin-1"),
        b"a,b\n\x00\x01,2\n",
        b"a,b\n" + b"\x01\x02\x03,x\n" * 20,
        b"   \n\t\n",
        codecs.BOM_UTF16_LE + "a,b\r\n\u00e9,\u20ac\r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "a,b\rc,d\r".encode("utf-16-be"),
        codecs.BOM_UTF16_LE + "a,\x00b\n".encode("utf-16-le"),  # U+0000
        codecs.BOM_UTF16_LE + b"a\x00,\x00\x00\xd8",  # a lone surrogate
    ],
)
def test_the_streamed_encoding_check_agrees_with_decoding_the_whole_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "some.csv"
    path.write_bytes(data)
    try:
        whole: str | None = decode_text(data, "some.csv")
    except EncodingError:
        whole = None
    try:
        codec: str | None = text_encoding(path, "some.csv")
    except EncodingError:
        codec = None
    assert (codec is None) == (whole is None)
    if codec is not None:
        assert "\n".join(iter_lines(path, codec)) == "\n".join(split_lines(whole or ""))


def test_a_csv_gone_after_parsing_is_an_error_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("Date,Amount\n2024-01-02,1.00\n", encoding="utf-8")
    table = table_of(path)
    path.unlink()
    with pytest.raises(CorruptFileError, match="could not be read again"):
        list(table.rows)


# --------------------------------------------------------------------------- receipts are not tables


@pytest.mark.parametrize("name", ["rewe_receipt_ocr.txt", "rewe_ereceipt_coupon.txt", "Orlen.txt"])
def test_sniff_leaves_real_receipts_with_decimal_commas_as_text(name: str) -> None:
    assert not sniff(DATA / name)


def test_a_short_receipt_whose_only_commas_are_decimal_commas_is_text(tmp_path: Path) -> None:
    # Every line splits at its comma into two filled cells: a "consistent" two-column
    # table, unless a comma inside a number written after a word is seen for what it is.
    receipt = "BÄCKEREI MUSTER\nBrötchen 0,40 A\nBrot 3,20 A\nSUMME EUR 3,60\nGegeben 5,00\nRückgeld 1,40\n"
    assert not sniff(write(tmp_path, "bon.txt", receipt.encode()))
    assert not sniff(write(tmp_path, "total.txt", b"Kaffee 3,70\nSumme EUR 3,70\nBar 5,00\nZurueck 1,30\n"))


def test_decimal_commas_in_a_real_table_keep_it_a_table(tmp_path: Path) -> None:
    # quoted in a comma-separated export, bare in a semicolon one, or in the first cell
    rows = b'Datum,Bedrag,Naam\n"2024-01-02","-3,70","Bakker"\n"2024-01-03","12,00","Markt"\n'
    assert sniff(write(tmp_path, "quoted.csv", rows))
    semicolons = b"Datum;Text;Betrag\n02.01.2024;Bakker 2 x 1,85;-3,70\n03.01.2024;Markt;12,00\n"
    table = table_of(write(tmp_path, "semi.csv", semicolons))
    assert table.rows[0].values == ["02.01.2024", "Bakker 2 x 1,85", "-3,70"]


# --------------------------------------------------------------------------- continuation lines


def test_a_description_continued_on_its_own_line_joins_the_row_above() -> None:
    # OCBC (bank2ynab's test data): account lines, then the header, then each
    # transaction on two lines, the second one ",,more description".
    path = BANK_EXAMPLES / "TransactionHistory_20180418043121.csv"
    assert sniff(path)
    table = table_of(path)
    assert table.preamble[0] == "Account details for:,FRANK Account 666-666666-666"
    assert table.header == ["Transaction date", "Value date", "Description", "Withdrawals (SGD)", "Deposits (SGD)"]
    assert len(table.rows) == 8
    first = table.rows[0]
    assert first.values == [
        "18/04/2018", "18/04/2018", "DEBIT PURCHASE\n15/04/18  66-6666 UBER EATS AN2GO HELP.UBERh", "6.66", None,
    ]
    assert (first.provenance.line_start, first.provenance.line_end) == (7, 8)
    assert first.provenance.cell_range == "A7:E8"
    assert table.rows[-1].values[2] == "DEBIT PURCHASE\n66-6666 TOAST BO6-MANULIFE CTR   S 10/04/18"
    assert [row.provenance.line_start for row in table.rows] == list(range(7, 23, 2))
    assert table.provenance.cell_range == "A6:E22"


def test_only_text_under_empty_key_columns_continues_a_row(tmp_path: Path) -> None:
    data = (
        b"Date,Description,Amount\n"
        b"2024-01-01,Coffee,2.50\n"
        b"2024-01-02,Tea,1.80\n"
        b",Refund,-1.00\n"  # no date, but an amount: a row of its own
        b",card 1234,\n"  # only text, the amount (a key column: every row has one) empty
        b"2024-01-03,Cake,4.00\n"
        b"Note without a delimiter\n"  # no cells at all: not a continuation line
    )
    table = table_of(write(tmp_path, "notes.csv", data))
    assert [row.values for row in table.rows] == [
        ["2024-01-01", "Coffee", "2.50"],
        ["2024-01-02", "Tea", "1.80"],
        [None, "Refund\ncard 1234", "-1.00"],
        ["2024-01-03", "Cake", "4.00"],
        ["Note without a delimiter", None, None],
    ]
    assert len(table.rows) == 5


# --- limits: what one row may hold (parsers/limits.py) ---------------------------------


def _bank(rows: int = 3) -> str:
    return "Date,Memo,Amount\n" + "".join(f"2024-01-{day:02d},coffee,2.50\n" for day in range(1, rows + 1))


def test_a_quote_never_closed_is_refused_at_the_field_limit(tmp_path: Path) -> None:
    text = _bank() + '2024-01-09,"the memo opens a quote\n' + "and never closes it, 2024-01-10,1.00\n" * 20_000
    path = write(tmp_path, "open.csv", text.encode())
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value).startswith(
        f"open.csv: a field from line 5 runs past {MAX_CSV_FIELD_CHARS:,} characters, the most a CSV field may "
        "hold (to line "
    )
    assert str(info.value).endswith(": is its closing quote missing?): the document is refused")


def test_a_long_field_is_refused_whatever_the_csv_modules_own_limit(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "long.csv", (_bank() + f"2024-01-09,{'x' * (MAX_CSV_FIELD_CHARS + 1)},1.00\n").encode())
    monkeypatch.setattr(csv, "field_size_limit", lambda *new: sys.maxsize)  # a caller raised it
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value) == (
        f"long.csv: a field on line 5 is longer than {MAX_CSV_FIELD_CHARS:,} characters, the most a CSV field "
        "may hold: the document is refused"
    )


def test_a_line_past_the_record_limit_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "line.csv", (_bank() + "2024-01-09," + "y," * MAX_CSV_RECORD_CHARS + "\n").encode())
    lines = iter_lines(path, "utf-8", MAX_CSV_RECORD_CHARS)
    assert [next(lines) for _ in range(4)][0] == "Date,Memo,Amount"
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value) == (
        f"line.csv: line 5 is longer than {MAX_CSV_RECORD_CHARS:,} characters, the most a CSV row may hold: "
        "the document is refused"
    )


def test_a_row_of_many_quoted_lines_is_refused_at_the_record_limit(tmp_path: Path) -> None:
    field = '"' + "a line of the field\n" * (MAX_CSV_FIELD_CHARS // 25) + '"'  # each field within its limit
    path = write(tmp_path, "tall.csv", (_bank() + ",".join([field] * 12) + "\n").encode())
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value).startswith(f"tall.csv: the row from line 5 runs past {MAX_CSV_RECORD_CHARS:,} characters")


def test_a_row_of_more_columns_than_excel_holds_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cols.csv", (_bank() + "2024-01-09" + ",1" * MAX_CSV_COLUMNS + "\n").encode())
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value) == (
        f"cols.csv: line 5 has {MAX_CSV_COLUMNS + 1:,} columns, more than {MAX_CSV_COLUMNS:,}, the most a CSV row "
        "may hold: the document is refused"
    )


def test_a_table_of_10000_columns_is_a_table(tmp_path: Path) -> None:
    width = 10_000
    header = "Date,Payee,Amount," + ",".join(f"Extra {i}" for i in range(width - 3))
    rows = [f"2024-01-{day:02d},Shop {day},{day}.50," + ",".join(str(i) for i in range(width - 3)) for day in (1, 2)]
    path = write(tmp_path, "wide.csv", ("\n".join([header, *rows]) + "\n").encode())
    assert len(header) > SNIFF_BYTES  # the first bytes hold not one line whole
    assert sniff(path)
    table = table_of(path)
    assert len(table.header) == width and table.header[-1] == f"Extra {width - 4}"
    assert [row.values[:3] for row in table.rows] == [["2024-01-01", "Shop 1", "1.50"], ["2024-01-02", "Shop 2", "2.50"]]
    assert table.rows[1].provenance.cell_range == f"A3:{column_letter(width)}3"


def test_a_quoted_field_open_where_the_first_bytes_stop_leaves_a_table(tmp_path: Path) -> None:
    memo = '"' + "a note the bank wrote over many lines\n" * 400 + '"'  # longer than the first bytes
    text = _bank(2) + f"2024-01-09,{memo},1.00\n" + "2024-01-10,tea,2.00\n"
    path = write(tmp_path, "notes.csv", text.encode())
    assert sniff(path)
    table = table_of(path)
    assert [row.values[0] for row in table.rows] == ["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-10"]
    assert table.rows[2].values[1].count("\n") == 399


# --- a row past the limit where sniffing looks: still a CSV, refused naming the row ---------


def _long_row_csv(tmp_path: Path, rows_before: int, description_chars: int) -> Path:
    text = "date,amount,description\n" + "".join(f"2024-01-{day:02d},{day}.00,coffee\n" for day in range(1, rows_before + 1))
    text += f"2024-02-01,12.50,{'x' * description_chars}\n"
    text += "".join(f"2024-03-{day:02d},{day}.00,tea\n" for day in range(1, 6))
    return write(tmp_path, "long_row.csv", text.encode())


def test_a_row_longer_than_the_sniff_window_right_under_the_header_is_a_csv(tmp_path: Path) -> None:
    """Line 2 runs past all that sniffing reads (3 MiB): it was text/plain, and the bank
    plugin refused the file as "text/plain", not for its row."""
    path = _long_row_csv(tmp_path, 0, 3 * MAX_CSV_RECORD_CHARS)
    assert sniff(path)
    with pytest.raises(FileTooLargeError) as info:
        table_of(path)
    assert str(info.value) == (
        f"long_row.csv: line 2 is longer than {MAX_CSV_RECORD_CHARS:,} characters, the most a CSV row may hold: "
        "the document is refused"
    )


def test_a_row_past_the_limit_inside_what_sniffing_reads_is_a_csv(tmp_path: Path) -> None:
    """1.5 Mi characters: read whole by the sniffing, past the row limit, it had made every
    delimiter's layout fail."""
    path = _long_row_csv(tmp_path, 3, MAX_CSV_RECORD_CHARS + MAX_CSV_RECORD_CHARS // 2)
    assert sniff(path)
    with pytest.raises(FileTooLargeError, match="line 5 is longer than"):
        table_of(path)


def test_text_with_one_long_line_stays_text(tmp_path: Path) -> None:
    prose = "lorem ipsum, dolor sit amet " * (3 * MAX_CSV_RECORD_CHARS // 28)
    path = write(tmp_path, "letter.txt", f"Dear Sir, hello, world\n{prose}\n".encode())
    assert not sniff(path)


def test_an_export_without_a_header_row_starts_with_a_row(tmp_path: Path) -> None:
    """Its first line fills the date and balance columns as every row does: no header,
    four rows, each with its own line (the records name the columns by place)."""
    path = tmp_path / "export.csv"
    path.write_text(
        "05/01/2023,SHOP 845,1.96,,13.04\n05/01/2023,MARKET 12,12.10,,1.08\n"
        "05/02/2023,SALARY,,332.22,333.30\n05/03/2023,RENT,100.00,,233.30\n\n"
    )
    table = table_of(path)
    assert table.header == []
    rows = list(table.rows)
    assert [row.values[0] for row in rows] == ["05/01/2023", "05/01/2023", "05/02/2023", "05/03/2023"]
    assert [row.provenance.line_start for row in rows] == [1, 2, 3, 4]
    assert table.provenance.cell_range == "A1:E4"


def test_a_header_of_words_over_rows_of_values_stays_a_header(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("No,Date,Amount\n1,2024-03-01,-12.50\n2,2024-03-02,2000.00\n")
    table = table_of(path)
    assert table.header == ["No", "Date", "Amount"]
    assert len(table.rows) == 2


def test_a_header_without_the_trailing_delimiter_its_rows_have_is_the_header(tmp_path: Path) -> None:
    """Rows written with a delimiter after their last value are a column wider than the
    header over them: the header is still found after the preamble, not taken for text."""
    path = tmp_path / "export.csv"
    path.write_text(
        "Statement download\n\nCard: 1234,Alias: main\n\nDate,Text,Amount,Balance\n"
        "2023-05-02,Shop,-13.40,100.00,\n2023-05-03,Salary,500.00,600.00,\n2023-05-04,Rent,-300.00,300.00,\n"
    )
    table = table_of(path)
    assert table.header == ["Date", "Text", "Amount", "Balance"]
    assert table.preamble == ["Statement download", "Card: 1234,Alias: main"]
    assert [row.values[:3] for row in table.rows][0] == ["2023-05-02", "Shop", "-13.40"]


def test_a_header_of_years_over_numbers_stays_a_header(tmp_path: Path) -> None:
    """Years are numbers, as the cells under them are, but no header is a date: this one
    stays the header."""
    path = tmp_path / "report.csv"
    path.write_text("Item,2023,2024\nRevenue,100,120\nCosts,80,90\nProfit,20,30\n")
    table = table_of(path)
    assert table.header == ["Item", "2023", "2024"]
    assert len(table.rows) == 3
