"""Which column holds which field: inferred once per table, from header names and values.

A bank export names its columns in the bank's language and habits ("Buchungstag",
"Bedrag", "Debit Amount", "Naam tegenpartij"). ``infer_mapping`` scores each header
against keyword lists (English, German, Dutch, French, Spanish), then checks the
best candidate against the column's values: a date column must read as dates with
``to_date`` for most of its non-empty cells, an amount or balance column as numbers
with ``to_number``. A candidate that fails the check gives way to the next one, so a
booking date that is empty falls back to the value date.

Decisions a caller must know:

* Dates: the booking date is preferred over the value date ("Valutadatum",
  "Rentedatum", "Wertstellung", "Value date"). Day/month order is decided once per
  column with ``infer_dayfirst``; when no value decides it (every date has day and
  month <= 12), another date column of the table that is decided (a value date) gives
  the order; else the rows' order does (``dayfirst_by_order``: the reading under which
  the column is sorted and its consecutive dates lie closest, as a statement's do); else,
  when the export's currency is USD (a currency column, or "$" in the amounts), the
  column is read month-first, as US exports write it. Otherwise ``to_date``'s day-first
  default applies.
* Amounts: one signed amount column, or a debit/credit pair (amount = credit - debit,
  both read as magnitudes; "-" on the empty side is an empty cell). Headers are
  matched in any script: the role lists hold the meaning "money out"/"money in"/
  "balance" in Chinese, Japanese, Korean and Russian too ("交易金额(支出)" is a debit);
  of two pairs named alike (two currencies), the filled one is read. With one amount column, a column of debit/credit markers
  ("CR", "DR", "Af", "Bij", "S", "H", or a short cell holding one of the strong ones:
  "借 Dr") gives the sign; where only credits are marked, unmarked rows are money out.
  Where no header names an amount (a language the lists do not know, a table without
  a header), the values decide which money column is the amount (``roles``).
* Signs: a single amount column is read as written, or negated where the table is a
  card statement that writes charges positive (``signs``: the balance's movement, the
  sign most amounts carry, "card" in the header or preamble); the decision is the
  mapping's ``sign_convention``, stored with each record's mapping.
* Payee: when no column names the other party, the description column is the payee
  (what csv2ofx does for these files) and the memo comes from another column.
* A mapping is ``confident`` when it found a date and an amount. Only then are
  fields without a column known to be absent (prefilled as null); otherwise the
  model is asked for them.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from parser_service.plugin_api import (
    CellValue,
    dayfirst_by_order,
    infer_dayfirst,
    map_columns,
    targets_of,
    to_currency,
    to_date,
    to_number,
)
from parser_service_bank_transactions.roles import find_money
from parser_service_bank_transactions.schema import Transaction
from parser_service_bank_transactions.signs import AS_WRITTEN, sign_convention

#: Most of a column's non-empty cells must read as its type.
MOST = 0.5
#: Cells sampled per column...
SAMPLE_ROWS = 1000
#: ... fewer in a wide table, so that the sample holds about this many cells (a table
#: of 10,000 columns: 20 rows, where 1,000 held ten million cells, 3 GB and minutes) ...
SAMPLE_CELLS = 100_000
#: ... but never fewer than this many rows.
MIN_SAMPLE_ROWS = 20
#: Dates tried against each candidate ``strptime`` format.
FORMAT_SAMPLES = 200


# --------------------------------------------------------------------------- names


def normalise_header(name: object) -> str:
    """"Auftraggeber/Empfänger" -> "auftraggeber empfanger"; "JournalDate" -> "journal date"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = re.sub(r"[\W_]+", " ", text).split()  # letters of any script: "交易金额(收入)" -> "交易金额 收入"
    dropped = False
    while len(tokens) > 1 and tokens[-1] in _CURRENCY_TOKENS:  # "Bedrag (EUR)" -> "bedrag"
        tokens.pop()
        dropped = True
    if dropped and len(tokens) > 1 and tokens[-1] == "in":
        tokens.pop()
    return " ".join(tokens)


_CURRENCY_TOKENS = frozenset(["eur", "usd", "gbp", "chf", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln", "czk", "huf", "jpy"])


@dataclass(frozen=True, slots=True)
class _Role:
    #: Whole header names, best first.
    exact: tuple[str, ...]
    #: Words (or phrases) that make a header a weaker candidate.
    words: tuple[str, ...] = ()
    #: Words that rule a header out as a weak candidate.
    exclude: tuple[str, ...] = ()
    #: Whole header names used only when no exact or word candidate reads right.
    fallback: tuple[str, ...] = ()

    def score(self, header: str) -> int | None:
        """Lower is better; None: not a candidate."""
        if header in self.exact:
            return self.exact.index(header)
        padded = f" {header} "
        if any(f" {word} " in padded or (not word.isascii() and word in header) for word in self.exclude):
            return None if header not in self.fallback else 200 + self.fallback.index(header)
        for i, word in enumerate(self.words):
            if f" {word} " in padded or (not word.isascii() and word in header):
                return 100 + i
        if header in self.fallback:
            return 200 + self.fallback.index(header)
        return None


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


DATE = _Role(
    exact=_words(
        "booking date, buchungstag, buchungsdatum, date, transaction date, posting date, posted date,"
        " post date, date posted, date processed, processed date, journal date, journaldate,"
        " created, created date, date created, datum, boekingsdatum, boekdatum, transactiedatum,"
        " fecha, fecha operacion, fecha de operacion, fecha contable, date operation,"
        " date d operation, date de l operation, date comptable, date de comptabilisation,"
        " trans date, transaction date time, completed date, date completed, started date"
    ),
    words=_words("date, datum, fecha, buchungstag"),
    exclude=_words(
        "value, valuta, valeur, valor, wertstellung, rentedatum, valutadatum, time, birth, due,"
        " expiry, export"
    ),
    fallback=_words(
        "value date, valutadatum, valuta datum, valuta, rentedatum, wertstellung,"
        " wertstellungsdatum, fecha valor, date de valeur, date valeur"
    ),
)

AMOUNT = _Role(
    exact=_words(
        "amount, net amount, netamount, transaction amount, bedrag, betrag, importe, montant,"
        " umsatz, amount in account currency, total amount"
    ),
    words=_words("amount, bedrag, betrag, importe, montant"),
    exclude=_words(
        "refunded, refund, converted, original, oorspr, orig, transfer, fee, fees, tax, credit,"
        " debit, foreign, balance, saldo, instructed, exchange"
    ),
)

DEBIT = _Role(
    exact=_words(
        "debit amount, debit, debits, soll, af, withdrawal, withdrawals, withdrawal amount,"
        " paid out, money out, out, outflow, ausgang, ausgaben, uitgaven, cargo, cargos, debe,"
        " debito, montant debit, betrag soll, belastung"
    ),
    # other scripts: the meaning "money out" (paid out, transferred out, withdrawn)
    words=_words("debit, withdrawal, withdrawals, 支出, 借方, 转出, 出金, 引出, 출금, 지출, расход, списание, дебет"),
    exclude=_words("card, credit, indicator, date"),
)

CREDIT = _Role(
    exact=_words(
        "credit amount, credit, credits, haben, bij, deposit, deposits, deposit amount, paid in,"
        " money in, in, inflow, eingang, einnahmen, inkomsten, abono, abonos, haber, credito,"
        " montant credit, betrag haben, gutschrift"
    ),
    # other scripts: the meaning "money in" (income, deposited, transferred in)
    words=_words("credit, deposit, deposits, 收入, 存入, 贷方, 转入, 入金, 預入, 입금, 수입, приход, поступление, зачисление"),
    exclude=_words("card, debit, limit, indicator, date"),
)

BALANCE = _Role(
    exact=_words(
        "balance, running balance, saldo, saldo na trn, saldo na transactie, saldo na mutatie,"
        " kontostand, solde, saldo disponible, account balance, balance after, closing balance,"
        " neuer saldo, saldo nach buchung, available balance, ledger balance"
    ),
    words=_words("balance, saldo, kontostand, solde, 余额, 結餘, 残高, 잔액, остаток"),
    exclude=_words("opening, start, begin, vorher, previous, before, oud, anfangssaldo"),
)

PAYEE = _Role(
    exact=_words(
        "payee, payee name, name, merchant name, merchant, naam, naam tegenpartij, tegenpartij,"
        " naam begunstigde, auftraggeber empfanger, auftraggeber empfaenger, auftraggeber,"
        " empfanger, empfaenger, zahlungsempfanger, zahlungsempfaenger,"
        " beguenstigter zahlungspflichtiger, begunstigter zahlungspflichtiger, beguenstigter,"
        " begunstigter, name zahlungsbeteiligter, zahlungsbeteiligter, counterparty,"
        " counterparty name, counter party, beneficiary, beneficiary name, payer, payer name,"
        " recipient, beneficiaire, tiers, contrepartie, nom, beneficiario, ordenante,"
        " destinatario, customer description, customer name, customer"
    ),
    words=_words(
        "payee, merchant, naam, name, empfanger, empfaenger, auftraggeber, beguenstigter,"
        " begunstigter, counterparty, tegenpartij, beneficiary"
    ),
    exclude=_words(
        "account, iban, bban, bic, rekening, konto, kontonummer, card, file, product,"
        " uiteindelijke, initierende, bank, number, nummer, id, email, user"
    ),
)

#: Memo names that are a free-text description: the payee when no payee column exists.
_DESCRIPTIONS = _words(
    "description, transaction description, omschrijving, omschrijving 1, verwendungszweck,"
    " details, transaction details, narrative, mededelingen, mitteilung, libelle,"
    " libelle operation, concepto, descripcion, detalle, particulars"
)

MEMO = _Role(
    exact=("memo",) + _DESCRIPTIONS + _words(
        "buchungstext, reference, referentie, referencia, comments, comment, notes, note,"
        " remarks, remark, purpose"
    ),
    words=_words("memo, description, omschrijving, verwendungszweck, details, libelle, concepto, descripcion"),
    exclude=_words("id, account, iban, number, nummer, date"),
)

_CURRENCY_COLUMNS = _words("currency, waehrung, wahrung, munt, devise, moneda, currency code")

#: Debit/credit markers. Strong ones are trusted in any column; single letters and
#: "in"/"out" only in a column whose header names them.
CREDIT_MARKS = frozenset({"cr", "credit", "bij", "haben", "abono", "haber", "credito", "c", "h", "in", "+"})
DEBIT_MARKS = frozenset({"dr", "debit", "af", "soll", "cargo", "debe", "debito", "d", "s", "out", "-"})
_STRONG_MARKS = frozenset({"cr", "dr", "credit", "debit", "bij", "af", "haben", "soll"})
_MARK_HEADERS = _words(
    "af bij, bij af, cr dr, dr cr, debit credit, credit debit, soll haben, s h, d c, c d, dc, cd,"
    " indicator, credit debit indicator, debit credit indicator, sign, vorzeichen"
)


# --------------------------------------------------------------------------- values


#: Cells that stand for "nothing here": the empty side of a debit/credit pair ("-").
_PLACEHOLDERS = frozenset({"-", "--", "\u2014", "\u2013"})


def is_empty(value: CellValue) -> bool:
    """Blank, or a dash standing for an empty cell."""
    return value is None or (isinstance(value, str) and (not value.strip() or value.strip() in _PLACEHOLDERS))


def read_date(value: CellValue, dayfirst: bool | None, layout: str | None = None) -> datetime.date:
    """``to_date``; ``layout`` (the column's ``date_format``) is tried first, as it is faster
    and reads the column's dates as ``to_date`` does."""
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a date")
    if layout is not None and "%y" not in layout:  # two-digit years: to_date's century rule
        found = _in_layout(value.strip(), layout)
        if found is not None:
            return found
    return to_date(value, dayfirst=dayfirst)


@functools.lru_cache(maxsize=4096)
def _in_layout(text: str, layout: str) -> datetime.date | None:
    """``text`` read with ``layout``, None when it does not fit; remembered, as each
    day's date recurs on many rows."""
    try:
        return datetime.datetime.strptime(text, layout).date()
    except ValueError:
        return None


_MARK_SUFFIX = re.compile(r"\s*\b(cr|dr)\.?\s*$", re.IGNORECASE)


def read_number(value: CellValue) -> float:
    """``to_number``, also reading a "CR"/"DR" suffix ("12.50 DR" is -12.5)."""
    if isinstance(value, str) and (m := _MARK_SUFFIX.search(value)):
        number = abs(to_number(value[: m.start()]))
        return -number if m[1].lower() == "dr" else number
    return to_number(value)


def _fraction(values: list[CellValue], read: Any) -> float:
    filled = [v for v in values if not is_empty(v)]
    if not filled:
        return 0.0
    ok = 0
    for value in filled:
        try:
            read(value)
            ok += 1
        except (ValueError, TypeError):
            pass
    return ok / len(filled)


def _reads_as_dates(values: list[CellValue]) -> bool:
    return _fraction(values, lambda v: read_date(v, None)) > MOST


def _reads_as_numbers(values: list[CellValue], allow_empty: bool = False) -> bool:
    if allow_empty and all(is_empty(v) for v in values):
        return True
    return _fraction(values, read_number) > MOST


def _has_text(values: list[CellValue]) -> bool:
    return any(not is_empty(v) for v in values)


# --------------------------------------------------------------------------- the mapping


@dataclass(slots=True)
class Mapping:
    """Column names (as in ``Record.cells``) for each field, and how to read them."""

    date: str | None = None
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    balance: str | None = None
    payee: str | None = None
    memo: str | None = None
    #: A column of debit/credit markers that signs ``amount``.
    indicator: str | None = None
    #: With ``indicator``: the sign of rows without a marker (-1: only credits are marked).
    unmarked_sign: int = 1
    dayfirst: bool | None = None
    #: The date column's layout as a ``strptime`` format ("%d.%m.%Y"), when one fits.
    date_format: str | None = None
    #: True when the payee is read from the description column (no payee column).
    payee_from_description: bool = False
    #: How a single amount column counts (``signs``): "as_written", or
    #: "charges_positive" (a card statement's: read negated).
    sign_convention: str = AS_WRITTEN

    @property
    def confident(self) -> bool:
        return self.date is not None and (self.amount is not None or self.debit is not None)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["confident"] = self.confident
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def sample_rows(width: int) -> int:
    """Rows sampled from a table of ``width`` columns (see ``SAMPLE_CELLS``)."""
    return max(MIN_SAMPLE_ROWS, min(SAMPLE_ROWS, SAMPLE_CELLS // max(width, 1)))


def infer_mapping(columns: dict[str, list[CellValue]], context: str = "") -> Mapping:
    """The mapping of one table, from its columns (name -> values, in row order);
    ``context``: the table's preamble, a cue for its sign convention."""
    columns = {name: values[:SAMPLE_ROWS] for name, values in columns.items()}
    headers = {name: normalise_header(name) for name in columns}
    used: set[str] = set()
    mapping = Mapping()

    mapping.date = _pick(DATE, columns, headers, used, _reads_as_dates)
    if mapping.date is None:  # no header says "date": a column that reads as dates
        mapping.date = next(
            (n for n, v in columns.items() if n not in used and _fraction(v, lambda x: read_date(x, None)) >= 0.8),
            None,
        )
    if mapping.date:
        used.add(mapping.date)

    _pick_amount(mapping, columns, headers, used)
    _general_fallback(mapping, columns, used)
    mapping.balance = mapping.balance or _pick(BALANCE, columns, headers, used, _reads_as_numbers)
    used.update(c for c in (mapping.amount, mapping.debit, mapping.credit, mapping.balance) if c)

    _pick_text(mapping, columns, headers, used)

    if mapping.date:
        dates = columns[mapping.date]
        mapping.dayfirst = _dayfirst(dates, columns, headers, mapping)
        mapping.date_format = date_format(dates, mapping.dayfirst)
    if mapping.amount and not mapping.debit:
        _pick_indicator(mapping, columns, headers, used)
    if mapping.amount and not mapping.debit and not mapping.indicator:
        mapping.sign_convention = _sign_convention(mapping, columns, context)
    return mapping


def _sign_convention(mapping: Mapping, columns: dict[str, list[CellValue]], context: str) -> str:
    """See ``signs``: from the amounts, the balance column, the header and ``context``."""
    amounts = [_number_or_none(v) for v in columns[str(mapping.amount)]]
    balances = [_number_or_none(v) for v in columns[mapping.balance]] if mapping.balance else None
    return sign_convention(amounts, balances, " ".join([context, *map(str, columns)]))


def _number_or_none(value: CellValue) -> float | None:
    if is_empty(value):
        return None
    try:
        return read_number(value)
    except (TypeError, ValueError):
        return None


def _general_fallback(mapping: Mapping, columns: dict[str, list[CellValue]], used: set[str]) -> None:
    """Where the header rules found no date or no amount, the core's general mapping of
    the table onto ``Transaction`` (header likeness in many languages and cell kinds)
    names the column, if it reads as dates or numbers."""
    if mapping.date and (mapping.amount or mapping.debit):
        return
    free = {name: values for name, values in columns.items() if name not in used}
    general = map_columns(targets_of(Transaction), free).fields
    if mapping.date is None and general["date"].columns:
        found = general["date"].columns[0]
        if _reads_as_dates(columns[found]):
            mapping.date = found
            used.add(found)
    if mapping.amount is None and mapping.debit is None and general["amount"].columns:
        found = general["amount"].columns[0]
        if found not in used and _reads_as_numbers(columns[found]):
            mapping.amount = found
            used.add(found)


def _candidates(role: _Role, headers: dict[str, str], used: set[str]) -> list[str]:
    scored = [(s, i, name) for i, (name, h) in enumerate(headers.items()) if name not in used and (s := role.score(h)) is not None]
    return [name for _, _, name in sorted(scored)]


def _pick(role: _Role, columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str], check: Any) -> str | None:
    for name in _candidates(role, headers, used):
        if check(columns[name]):
            return name
    return None


def _pick_amount(mapping: Mapping, columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str]) -> None:
    mapping.amount = _pick(AMOUNT, columns, headers, used, _reads_as_numbers)
    if mapping.amount:
        used.add(mapping.amount)
        return
    debit = _pick_side(DEBIT, columns, headers, used)
    taken = (used | {debit}) if debit else used
    credit = _pick_side(CREDIT, columns, headers, taken)
    if debit and credit and (_has_text(columns[debit]) or _has_text(columns[credit])):
        mapping.debit, mapping.credit = debit, credit
        used.update((debit, credit))
        return
    # No header names an amount: the values decide (see ``roles``).
    found = find_money(columns, used, signed_elsewhere=_indicator(columns, headers, used) is not None)
    if found is not None:
        mapping.amount, mapping.debit, mapping.credit, mapping.balance = found.amount, found.debit, found.credit, found.balance
        used.update(c for c in (found.amount, found.debit, found.credit, found.balance) if c)


def _pick_side(role: _Role, columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str]) -> str | None:
    """The debit (or credit) column: one with numbers first, an empty one only when no
    column of that role has any (an export of credits only). An export in two currencies
    names two pairs alike; the one filled in is the amount ("-" on every row is not)."""
    found = _pick(role, columns, headers, used, lambda v: _has_text(v) and _reads_as_numbers(v))
    return found or _pick(role, columns, headers, used, lambda v: _reads_as_numbers(v, allow_empty=True))


def _pick_text(mapping: Mapping, columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str]) -> None:
    mapping.payee = _pick(PAYEE, columns, headers, used, _has_text)
    if mapping.payee is None:
        described = [n for n in _candidates(MEMO, headers, used) if _is_description(headers[n]) and _has_text(columns[n])]
        if described:
            mapping.payee, mapping.payee_from_description = described[0], True
    if mapping.payee:
        used.add(mapping.payee)
    mapping.memo = _pick(MEMO, columns, headers, used, _has_text)
    if mapping.memo:
        used.add(mapping.memo)


def _is_description(header: str) -> bool:
    padded = f" {header} "
    return header in _DESCRIPTIONS or any(f" {w} " in padded for w in ("description", "omschrijving", "verwendungszweck", "details"))


def _pick_indicator(mapping: Mapping, columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str]) -> None:
    found = _indicator(columns, headers, used)
    if found is not None:
        mapping.indicator, mapping.unmarked_sign = found
        used.add(found[0])


def _indicator(columns: dict[str, list[CellValue]], headers: dict[str, str], used: set[str]) -> tuple[str, int] | None:
    """A column of debit/credit markers, and the sign of its unmarked rows."""
    for name, values in columns.items():
        if name in used:
            continue
        filled = [v for v in values if not is_empty(v)]
        worded = len(set(map(str, filled))) <= _MARK_WORDS
        marks = {cell_mark(v, worded) for v in filled}
        if not marks or None in marks:
            continue
        if not (marks <= _STRONG_MARKS or headers[name] in _MARK_HEADERS):
            continue
        credits, debits = marks & CREDIT_MARKS, marks & DEBIT_MARKS
        return name, -1 if credits and not debits else 1
    return None


#: A marker column written in two languages ("借 Dr", "贷 Cr") has this many distinct
#: cells at most, and each this many words at most, one of them a strong marker.
_MARK_WORDS = 3


def cell_mark(value: CellValue, worded: bool = True) -> str | None:
    """The debit/credit marker a cell holds: the whole cell ("CR", "Af", "S"), or, in a
    short cell of a few words (``worded``: the column has few distinct cells), its one
    strong marker ("借 Dr" is "dr")."""
    if is_empty(value):
        return None
    text = str(value).strip().casefold().rstrip(".")
    if text in CREDIT_MARKS or text in DEBIT_MARKS:
        return text
    words = re.findall(r"\w+", text)
    strong = {w for w in words if w in _STRONG_MARKS}
    return strong.pop() if worded and len(words) <= _MARK_WORDS and len(strong) == 1 else None


def _dayfirst(
    dates: list[CellValue], columns: dict[str, list[CellValue]], headers: dict[str, str], mapping: Mapping
) -> bool | None:
    """The date column's day/month order: its own values where one has a part > 12; else
    another date column's (a value date written the same way); else the rows' order
    (``dayfirst_by_order``); else month-first for a USD export; else undecided."""
    decided = infer_dayfirst(dates)
    if decided is None:
        decided = _other_columns_dayfirst(columns, mapping.date)
    if decided is None:
        decided = dayfirst_by_order(dates)
    if decided is not None:
        return decided
    return False if _currencies(columns, headers, mapping) == {"USD"} else None


def _other_columns_dayfirst(columns: dict[str, list[CellValue]], date: str | None) -> bool | None:
    """The order one of the table's other date columns decides (they agree), None if none does."""
    votes = {
        found
        for name, values in columns.items()
        if name != date and _fraction(values, lambda v: read_date(v, None)) >= 0.8
        and (found := infer_dayfirst(values)) is not None
    }
    return votes.pop() if len(votes) == 1 else None


def _currencies(columns: dict[str, list[CellValue]], headers: dict[str, str], mapping: Mapping) -> set[str]:
    """Currencies the export names: a currency column, or symbols in the amounts."""
    found: set[str] = set()
    sources = [n for n, h in headers.items() if h in _CURRENCY_COLUMNS]
    sources += [c for c in (mapping.amount, mapping.debit, mapping.credit) if c]
    for name in sources:
        for value in columns[name]:
            if isinstance(value, str) and not is_empty(value):
                try:
                    found.add(to_currency(value))
                except ValueError:
                    continue
    return found


_DATE_ORDERS = (
    ("%Y", "%m", "%d"), ("%d", "%m", "%Y"), ("%m", "%d", "%Y"), ("%d", "%m", "%y"), ("%m", "%d", "%y"),
    ("%d", "%b", "%Y"), ("%d", "%b", "%y"), ("%d", "%B", "%Y"), ("%b", "%d", "%Y"), ("%Y", "%b", "%d"),
)
_DATE_SEPARATORS = ("-", ".", "/", " ")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", "T%H:%M", " %I:%M %p", " %I:%M:%S %p")


def _date_formats() -> Iterable[str]:
    yield from ("%Y%m%d", "%Y%m%d%H%M%S", "%Y%m%d%H%M")
    for order in _DATE_ORDERS:
        for sep in _DATE_SEPARATORS:
            base = sep.join(order)
            for suffix in _TIME_SUFFIXES:
                yield base + suffix


def date_format(values: Sequence[CellValue], dayfirst: bool | None) -> str | None:
    """The ``strptime`` format that reads every date of the column as ``to_date`` does."""
    samples: list[tuple[str, datetime.date]] = []
    for value in values[:FORMAT_SAMPLES]:
        if isinstance(value, str) and not is_empty(value):
            try:
                samples.append((value.strip(), read_date(value, dayfirst)))
            except ValueError:
                continue
    if not samples:
        return None
    for fmt in _date_formats():
        try:
            if all(datetime.datetime.strptime(text, fmt).date() == date for text, date in samples):
                return fmt
        except ValueError:
            continue
    return None
