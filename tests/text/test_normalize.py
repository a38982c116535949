"""Tables for parser_service.text.normalize: dates, numbers, currencies, text, pydantic types."""

from __future__ import annotations

import datetime
import json

import pytest
from pydantic import BaseModel, ValidationError

from parser_service.text.normalize import (
    _CURRENCY_BY_NAME,
    ISO_CURRENCIES,
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

D = datetime.date

# --------------------------------------------------------------------------- dates

DATES = [
    # ISO and compact
    ("2017-11-13", None, D(2017, 11, 13)),
    ("2017-11-13T10:00:00", None, D(2017, 11, 13)),
    ("2017-11-13T10:00:00+01:00", None, D(2017, 11, 13)),
    ("2017-11-13T10:00:00Z", None, D(2017, 11, 13)),
    ("2021-02-03 13:12", None, D(2021, 2, 3)),
    ("2017-11-13 00:00:00", None, D(2017, 11, 13)),
    ("2017/11/13", None, D(2017, 11, 13)),
    ("2017.11.13", None, D(2017, 11, 13)),
    ("20171113", None, D(2017, 11, 13)),
    ("2018-03-01", None, D(2018, 3, 1)),
    # numeric, year last
    ("13.11.2017", None, D(2017, 11, 13)),
    ("13/11/2017", None, D(2017, 11, 13)),
    ("11/13/2017", None, D(2017, 11, 13)),
    ("31/12/2017", None, D(2017, 12, 31)),
    ("10.10.2017", None, D(2017, 10, 10)),
    ("10/02/2018", None, D(2018, 2, 10)),
    ("10/02/2018", True, D(2018, 2, 10)),
    ("10/02/2018", False, D(2018, 10, 2)),
    ("2/8/15", None, D(2015, 8, 2)),
    ("2/8/15", False, D(2015, 2, 8)),
    ("22.02.18", None, D(2018, 2, 22)),
    ("05/03/2021", False, D(2021, 5, 3)),
    ("05/03/2021", None, D(2021, 3, 5)),
    ("05-03-2021", None, D(2021, 3, 5)),
    ("13/11/2017", False, D(2017, 11, 13)),  # a part > 12 decides
    ("11/13/2017", True, D(2017, 11, 13)),
    ("13. 11. 2017", None, D(2017, 11, 13)),
    ("13.11.2017.", None, D(2017, 11, 13)),
    ("13.11.2017 14:30", None, D(2017, 11, 13)),
    ("1/2/70", None, D(1970, 2, 1)),
    ("1/2/69", None, D(2069, 2, 1)),
    ("1/2/00", None, D(2000, 2, 1)),
    ("1/2/99", None, D(1999, 2, 1)),
    # month names, English
    ("12-Dec-2019", None, D(2019, 12, 12)),
    ("23-Jan-15", None, D(2015, 1, 23)),
    ("03-Aug-2014", None, D(2014, 8, 3)),
    ("13 November 2017", None, D(2017, 11, 13)),
    ("November 13, 2017", None, D(2017, 11, 13)),
    ("Nov 13 2017", None, D(2017, 11, 13)),
    ("Aug 3, 2014", None, D(2014, 8, 3)),
    ("Sept. 5, 2019", None, D(2019, 9, 5)),
    ("13th November 2017", None, D(2017, 11, 13)),
    ("1st of May 2020", None, D(2020, 5, 1)),
    ("Monday, 13 November 2017", None, D(2017, 11, 13)),
    ("2017 Nov 13", None, D(2017, 11, 13)),
    ("13 NOV 2017", None, D(2017, 11, 13)),
    ("13 November 2017, 10:00", None, D(2017, 11, 13)),
    # German
    ("3. März 2018", None, D(2018, 3, 3)),
    ("3. Maerz 2018", None, D(2018, 3, 3)),
    ("1. Dez. 2020", None, D(2020, 12, 1)),
    ("15. Oktober 2019", None, D(2019, 10, 15)),
    ("7 Mai 2018", None, D(2018, 5, 7)),
    # French
    ("13 novembre 2017", None, D(2017, 11, 13)),
    ("1er février 2019", None, D(2019, 2, 1)),
    ("15 août 2020", None, D(2020, 8, 15)),
    ("3 déc. 2021", None, D(2021, 12, 3)),
    ("lundi 4 juillet 2022", None, D(2022, 7, 4)),
    # Dutch
    ("1 mei 2018", None, D(2018, 5, 1)),
    ("12 maart 2019", None, D(2019, 3, 12)),
    ("5 mrt 2019", None, D(2019, 3, 5)),
    ("31 okt 2020", None, D(2020, 10, 31)),
    # Spanish
    ("5 de marzo de 2021", None, D(2021, 3, 5)),
    ("20 de diciembre de 2019", None, D(2019, 12, 20)),
    ("1 ene 2020", None, D(2020, 1, 1)),
    ("9 de agosto del 2018", None, D(2018, 8, 9)),
    # whitespace
    ("  13.11.2017 ", None, D(2017, 11, 13)),
    ("13\u00a0November\u00a02017", None, D(2017, 11, 13)),
]


@pytest.mark.parametrize(("text", "dayfirst", "expected"), DATES)
def test_to_date(text: str, dayfirst: bool | None, expected: datetime.date) -> None:
    assert to_date(text, dayfirst=dayfirst) == expected


def test_to_date_objects() -> None:
    assert to_date(D(2020, 1, 2)) == D(2020, 1, 2)
    result = to_date(datetime.datetime(2020, 1, 2, 13, 45))
    assert result == D(2020, 1, 2) and type(result) is datetime.date


BAD_DATES = [
    "xyz",
    "",
    "   ",
    "31/02/2017",  # impossible
    "29.02.2019",  # not a leap year
    "2017-13-01",
    "32.01.2017",
    "13/13/2017",
    "13 Foo 2017",
    "November 2017",  # no day
    "13 November",  # no year
    "13 November 201",
    "1.2.3.4",
    "2017-11-13-01",
    "20171340",
    "Jui 3 2017",  # juin or juillet
    "Nov Dec 3 2017",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_to_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read .* as a date") as info:
        to_date(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [20171113, 3.5, None, True, ["2017-11-13"]])
def test_to_date_rejects_non_strings(value: object) -> None:
    with pytest.raises(ValueError, match="as a date"):
        to_date(value)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["01/02/2018", "13/02/2018", "03/04/2018"], True),
        (["01/02/2018", "02/13/2018", "03/04/2018"], False),
        (["01/02/2018", "03/04/2018"], None),
        (["2018-01-13", "20.01.18"], True),
        (["1/13/15", None, "", "n/a", D(2018, 1, 1)], False),
        (["13/01/2018", "01/13/2018"], None),  # contradictory column
        ([], None),
        (iter(["5.30.2020"]), False),
    ],
)
def test_infer_dayfirst(samples: list[object], expected: bool | None) -> None:
    assert infer_dayfirst(samples) is expected


def test_infer_dayfirst_reads_a_column_consistently() -> None:
    column = ["2/8/15", "12/31/15", "3/4/15"]
    dayfirst = infer_dayfirst(column)
    assert [to_date(v, dayfirst=dayfirst) for v in column] == [
        D(2015, 2, 8),
        D(2015, 12, 31),
        D(2015, 3, 4),
    ]


# --------------------------------------------------------------------------- numbers

NUMBERS = [
    # from bank exports
    ("-2,56", -2.56),
    ("750,00", 750.0),
    ("+13084,53", 13084.53),
    ("1.234,56", 1234.56),
    ("£1,183.23", 1183.23),
    ("-36000", -36000.0),
    # thousands and decimal marks
    ("1,234.56", 1234.56),
    ("1 234,56", 1234.56),
    ("1\u00a0234,56", 1234.56),
    ("1\u202f234,56", 1234.56),
    ("1\u2009234,56", 1234.56),
    ("1'234.56", 1234.56),
    ("1\u2019234.56", 1234.56),
    ("1.234.567,89", 1234567.89),
    ("1,234,567.89", 1234567.89),
    ("1,234,567", 1234567.0),
    ("1.234.567", 1234567.0),
    ("1 234 567", 1234567.0),
    ("1,00,000", 100000.0),  # Indian grouping
    ("Rs 1,00,000.50", 100000.5),
    ("-98,76", -98.76),
    ("+5257,28", 5257.28),
    ("36.33", 36.33),
    ("0,5", 0.5),
    ("1,5", 1.5),
    ("0.500", 0.5),
    ("0,500", 0.5),
    ("1234.567", 1234.567),
    ("12,3456", 12.3456),
    ("1.234", 1234.0),  # single separator + 3 digits = thousands
    ("1,234", 1234.0),
    ("123,456", 123456.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("0", 0.0),
    ("-0,00", 0.0),
    ("7", 7.0),
    # negative notations
    ("(12.50)", -12.5),
    ("( 12.50 )", -12.5),
    ("(£12.50)", -12.5),
    ("12.50-", -12.5),
    ("12,50 -", -12.5),
    ("\u221212,50", -12.5),
    ("\u2013 12,50", -12.5),
    ("-£5.00", -5.0),
    ("£-5.00", -5.0),
    # currency around
    ("£1,183.23", 1183.23),
    ("$ 4.11", 4.11),
    ("$4.11", 4.11),
    ("Rs 1939", 1939.0),
    ("Rs. 1939", 1939.0),
    ("EUR 671,15", 671.15),
    ("671,15 €", 671.15),
    ("671,15\u00a0€", 671.15),
    ("-671,15 EUR", -671.15),
    ("CHF 1'250.00", 1250.0),
    ("1.250,00 zł", 1250.0),
    ("USD -1,000.00", -1000.0),
    ("₹ 2,50,000", 250000.0),
    ("  42  ", 42.0),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_to_number(text: str, expected: float) -> None:
    result = to_number(text)
    assert result == expected and isinstance(result, float)


def test_to_number_has_no_binary_noise() -> None:
    assert to_number("0,1") == 0.1
    assert str(to_number("1.234.567,89")) == "1234567.89"
    assert str(to_number("-0,00")) == "0.0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5.0), (-3, -3.0), (2.5, 2.5), (0, 0.0)],
)
def test_to_number_numeric(value: object, expected: float) -> None:
    result = to_number(value)
    assert result == expected and isinstance(result, float)


BAD_NUMBERS = [
    "abc",
    "",
    "  ",
    "€",
    "-",
    "1.2.3,4,5",
    "1,2,3.4.5",
    "12 34",
    "1,23,4",
    "1.23.456",
    "12.3456.789",
    "1 234.567,89",
    "(12.50",
    "(-12.50)",
    "--5",
    "5%",
    "12abc34",
    "2017-11-13",
    "1e5",
]


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_to_number_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read .* as a number") as info:
        to_number(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [True, False, None, float("nan"), float("inf"), [1]])
def test_to_number_rejects_non_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="as a number"):
        to_number(value)


# --------------------------------------------------------------------------- currencies

CURRENCIES = [
    # codes
    ("eur", "EUR"),
    ("EUR", "EUR"),
    ("usd", "USD"),
    (" GBP ", "GBP"),
    ("CHF", "CHF"),
    ("sek", "SEK"),
    ("PLN", "PLN"),
    # symbols
    ("€", "EUR"),
    ("$", "USD"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("Rs", "INR"),
    ("Rs.", "INR"),
    ("zł", "PLN"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("US$", "USD"),
    ("R$", "BRL"),
    ("₩", "KRW"),
    ("Kč", "CZK"),
    # names
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("Euro", "EUR"),
    ("US dollar", "USD"),
    ("US-Dollar", "USD"),
    ("U.S. dollars", "USD"),
    ("dollars", "USD"),
    ("dólares", "USD"),
    ("pound sterling", "GBP"),
    ("Pounds", "GBP"),
    ("livre sterling", "GBP"),
    ("britisches Pfund", "GBP"),
    ("rupees", "INR"),
    ("Indian Rupee", "INR"),
    ("złoty", "PLN"),
    ("zloty", "PLN"),
    ("Złotych", "PLN"),
    ("yen", "JPY"),
    ("Schweizer Franken", "CHF"),
    ("franc suisse", "CHF"),
    ("canadian dollar", "CAD"),
    ("Dollar canadien", "CAD"),
    ("Australian Dollars", "AUD"),
    ("renminbi", "CNY"),
    # amounts with a symbol or code
    ("671,15 €", "EUR"),
    ("$4.11", "USD"),
    ("-$4.11", "USD"),
    ("CA$ 12.00", "CAD"),
    ("A$12", "AUD"),
    ("£1,183.23", "GBP"),
    ("Rs 1939", "INR"),
    ("EUR 671,15", "EUR"),
    ("1.250,00 zł", "PLN"),
    ("(12.50 USD)", "USD"),
    ("€ EUR", "EUR"),
    ("12,00 EUR €", "EUR"),
]


@pytest.mark.parametrize(("text", "expected"), CURRENCIES)
def test_to_currency(text: str, expected: str) -> None:
    assert to_currency(text) == expected


BAD_CURRENCIES = [
    ("", "cannot read"),
    ("   ", "cannot read"),
    ("123,45", "cannot read"),
    ("xyz", "unknown currency code"),
    ("ABC", "unknown currency code"),
    ("kr", "ambiguous"),
    ("kr.", "ambiguous"),
    ("125 kr", "ambiguous"),
    ("franc", "ambiguous"),
    ("doubloons", "cannot read"),
    ("€ $", "cannot read"),
    ("EUR USD", "cannot read"),
    ("dollar moon", "cannot read"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CURRENCIES)
def test_to_currency_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        to_currency(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [None, 978, True])
def test_to_currency_rejects_non_strings(value: object) -> None:
    with pytest.raises(ValueError, match="as a currency"):
        to_currency(value)


def test_currency_tables_only_give_known_codes() -> None:
    assert len(ISO_CURRENCIES) >= 40
    assert set(_CURRENCY_BY_NAME.values()) <= ISO_CURRENCIES


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  ACME   Corp.\n Ltd ", "ACME Corp. Ltd"),
        ("Müller\u00a0GmbH", "Müller GmbH"),
        ("a\tb", "a b"),
        ("\u200bZero\u200b width", "Zero width"),
        ("", None),
        ("   \n\t", None),
        (None, None),
        (123, "123"),
    ],
)
def test_clean_text(value: object, expected: str | None) -> None:
    assert clean_text(value) == expected


# --------------------------------------------------------------------------- pydantic


class Transaction(BaseModel):
    date: ISODate | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None


class StrictTransaction(BaseModel):
    date: ISODate
    amount: Amount
    currency: CurrencyCode


def test_model_reads_raw_strings_and_dumps_json() -> None:
    tx = Transaction.model_validate({"date": "13.11.2017", "amount": "1.234,56 €", "currency": "€"})
    assert tx.date == D(2017, 11, 13)
    assert tx.amount == 1234.56
    assert tx.currency == "EUR"
    dumped = tx.model_dump(mode="json")
    assert dumped == {"date": "2017-11-13", "amount": 1234.56, "currency": "EUR"}
    assert json.loads(tx.model_dump_json()) == dumped


def test_model_accepts_nulls() -> None:
    tx = Transaction.model_validate({"date": None, "amount": None, "currency": None})
    assert tx.model_dump(mode="json") == {"date": None, "amount": None, "currency": None}


def test_model_accepts_typed_values() -> None:
    tx = StrictTransaction(date=D(2020, 1, 2), amount=5, currency="usd")
    assert tx.model_dump(mode="json") == {"date": "2020-01-02", "amount": 5.0, "currency": "USD"}
    tx = StrictTransaction.model_validate_json(
        '{"date": "2020-01-02T10:00:00", "amount": -2.5, "currency": "GBP"}'
    )
    assert (tx.date, tx.amount, tx.currency) == (D(2020, 1, 2), -2.5, "GBP")


@pytest.mark.parametrize(
    ("field", "raw"),
    [("date", "not a date"), ("amount", "abc"), ("currency", "kr")],
)
def test_model_reports_the_bad_field(field: str, raw: str) -> None:
    data: dict[str, object] = {"date": "2017-11-13", "amount": "1", "currency": "EUR"}
    data[field] = raw
    with pytest.raises(ValidationError) as info:
        Transaction.model_validate(data)
    errors = info.value.errors()
    assert {e["loc"][0] for e in errors} == {field}
    assert repr(raw) in str(info.value)


def test_strict_model_refuses_null() -> None:
    with pytest.raises(ValidationError):
        StrictTransaction.model_validate({"date": None, "amount": "1", "currency": "EUR"})


def test_a_date_is_read_in_the_order_the_validation_context_gives() -> None:
    from pydantic import TypeAdapter

    from parser_service.text.normalize import ISODate

    adapter = TypeAdapter(ISODate)
    assert adapter.validate_python("11/03/2017").isoformat() == "2017-03-11"  # day-first default
    assert adapter.validate_python("11/03/2017", context={"dayfirst": False}).isoformat() == "2017-11-03"
    assert adapter.validate_python("13/03/2017", context={"dayfirst": False}).isoformat() == "2017-03-13"


def test_a_compact_date_needs_a_plausible_year() -> None:
    assert to_date("20240131") == datetime.date(2024, 1, 31)
    with pytest.raises(ValueError):
        to_date("47110818")  # an invoice number, not the 18th of August 4711


@pytest.mark.parametrize("text", ["20091224120000", "200912241200", "20091224235959"])
def test_a_compact_timestamp_is_its_date(text: str) -> None:
    assert to_date(text) == datetime.date(2009, 12, 24)


@pytest.mark.parametrize("text", ["20091224250000", "20091224126000", "20091324120000", "2009122412", "202404311230"])
def test_a_compact_timestamp_with_an_impossible_part_is_no_date(text: str) -> None:
    with pytest.raises(ValueError):
        to_date(text)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["05/01/2023", "05/01/2023", "05/02/2023", "05/03/2023"], False),  # May 1-3, not 5 Jan-Mar
        (["03.06.2024", "02.06.2024", "01.06.2024"], True),  # newest first, 1-3 June
        (["01/02/2024", "03/02/2024", "02/02/2024", "05/02/2024"], True),  # days apart, not months
        (["05/05/2023", "05/05/2023"], None),  # one date: nothing decides
        (["2024-01-02", "2024-01-03"], None),  # not day/month/year dates
        (["05/01/2023"], None),
    ],
)
def test_dayfirst_by_order(samples: list[object], expected: bool | None) -> None:
    assert dayfirst_by_order(samples) is expected
