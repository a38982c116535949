"""Synthetic bank exports: real CSV and XLSX files with their ground truth, for the adapter.

An export lists a month or two of one account's transactions (card payments,
direct debits, salary, transfers, cash withdrawals, fees, refunds) in EN, DE, FR,
NL or ES, and varies what real exports vary: a preamble of account lines above the
header or none, a balance column or none, one signed amount or separate debit and
credit columns (or an unsigned amount with a debit/credit marker column), payee
and memo columns or one description column, value dates, currency and reference
columns, a pending row without a booking date, a closing-balance footer. CSVs use
``,`` ``;`` tab or ``|``, minimal or full quoting, UTF-8 (with or without BOM) or
windows-1252, ``\\n`` or ``\\r\\n``; XLSX cells hold real dates and numbers or text.

One truth record per transaction row, with its spreadsheet row number. Surfaces are
the text the parser gives for each cell (an XLSX number 12.5 reads "12.5"); the
amount's surface is signed the way the prompt asks: a debit column's "45,00" is
"-45,00".
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from parser_service.plugin_api import (
    LANGUAGES,
    VARIANTS,
    Language,
    SyntheticDoc,
    TruthRecord,
    chance,
    company,
    format_date,
    format_number,
    freeze_zip,
    person,
    pick,
    reference,
    write_text_file,
)

# --------------------------------------------------------------------------- vocabulary

_H = dict[str, tuple[Any, ...]]

HEADERS: dict[str, _H] = {
    "en": {
        "date": ("Date", "Transaction Date", "Posting Date", "Booking Date", "Posted Date"),
        "value_date": ("Value Date",),
        "payee": ("Payee", "Counterparty", "Name", "Merchant"),
        "memo": ("Memo", "Details", "Notes", "Reference"),
        "description": ("Description", "Transaction Description", "Narrative"),
        "amount": ("Amount", "Amount ({code})", "Transaction Amount"),
        "pair": (("Debit", "Credit"), ("Paid out", "Paid in"), ("Money Out", "Money In"), ("Withdrawals", "Deposits")),
        "balance": ("Balance", "Running Balance"),
        "currency": ("Currency",),
        "indicator": (("CR/DR", "DR", "CR"), ("Debit/Credit", "Debit", "Credit")),
        "extra": ("Transaction ID", "Category", "Type"),
    },
    "de": {
        "date": ("Buchungstag", "Buchungsdatum", "Datum"),
        "value_date": ("Valuta", "Wertstellung", "Valutadatum"),
        "payee": ("Auftraggeber/Empfänger", "Empfänger", "Beguenstigter/Zahlungspflichtiger", "Name"),
        "memo": ("Verwendungszweck", "Buchungstext"),
        "description": ("Verwendungszweck", "Buchungstext"),
        "amount": ("Betrag", "Betrag ({code})", "Umsatz"),
        "pair": (("Soll", "Haben"), ("Belastung", "Gutschrift"), ("Ausgang", "Eingang")),
        "balance": ("Saldo", "Kontostand"),
        "currency": ("Währung",),
        "indicator": (("Soll/Haben", "S", "H"), ("S/H", "S", "H")),
        "extra": ("Kundenreferenz", "Kategorie", "Umsatzart"),
    },
    "fr": {
        "date": ("Date", "Date opération", "Date de l'opération", "Date comptable"),
        "value_date": ("Date de valeur", "Date valeur"),
        "payee": ("Bénéficiaire", "Tiers", "Contrepartie"),
        "memo": ("Libellé", "Détail", "Commentaire"),
        "description": ("Libellé", "Libellé opération", "Détail"),
        "amount": ("Montant", "Montant ({code})"),
        "pair": (("Débit", "Crédit"), ("Montant débit", "Montant crédit")),
        "balance": ("Solde",),
        "currency": ("Devise",),
        "indicator": (("Débit/Crédit", "D", "C"),),
        "extra": ("N° d'opération", "Catégorie", "Type"),
    },
    "nl": {
        "date": ("Datum", "Boekingsdatum", "Transactiedatum"),
        "value_date": ("Rentedatum", "Valutadatum"),
        "payee": ("Naam tegenpartij", "Tegenpartij", "Naam"),
        "memo": ("Mededelingen", "Omschrijving"),
        "description": ("Omschrijving", "Naam / Omschrijving"),
        "amount": ("Bedrag", "Bedrag ({code})"),
        "pair": (("Af", "Bij"),),
        "balance": ("Saldo na mutatie", "Saldo"),
        "currency": ("Munt",),
        "indicator": (("Af Bij", "Af", "Bij"),),
        "extra": ("Transactiereferentie", "Code", "Mutatiesoort"),
    },
    "es": {
        "date": ("Fecha", "Fecha operación", "Fecha contable"),
        "value_date": ("Fecha valor",),
        "payee": ("Beneficiario", "Ordenante"),
        "memo": ("Concepto", "Observaciones", "Descripción"),
        "description": ("Concepto", "Descripción", "Detalle"),
        "amount": ("Importe", "Importe ({code})"),
        "pair": (("Cargo", "Abono"), ("Debe", "Haber")),
        "balance": ("Saldo", "Saldo disponible"),
        "currency": ("Moneda", "Divisa"),
        "indicator": (),
        "extra": ("Nº operación", "Categoría", "Tipo"),
    },
}

PENDING = {"en": ("Pending",), "de": ("Vorgemerkt", "ausstehend"), "fr": ("En cours",),
           "nl": ("In behandeling",), "es": ("Pendiente",)}

PREAMBLE = {
    "en": ("Account Name", "Account Number", "IBAN", "Statement period", "Opening balance", "{from} to {to}"),
    "de": ("Kontoinhaber", "Kontonummer", "IBAN", "Zeitraum", "Anfangssaldo", "{from} - {to}"),
    "fr": ("Titulaire", "Numéro de compte", "IBAN", "Période", "Solde initial", "du {from} au {to}"),
    "nl": ("Rekeninghouder", "Rekeningnummer", "IBAN", "Periode", "Beginsaldo", "{from} t/m {to}"),
    "es": ("Titular", "Número de cuenta", "IBAN", "Periodo", "Saldo inicial", "{from} - {to}"),
}
CLOSING = {"en": "Closing balance", "de": "Endsaldo", "fr": "Solde final", "nl": "Eindsaldo", "es": "Saldo final"}
SHEETS = {"en": "Transactions", "de": "Umsätze", "fr": "Opérations", "nl": "Transacties", "es": "Movimientos"}

MEMOS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"card": ("Card payment {date}", "CARD {card} {date}", "Contactless payment"),
           "debit": ("Direct debit {ref}", "DD {ref}", "Monthly payment {month}"),
           "salary": ("Salary {month} {year}", "Wages {month}"), "rent": ("Rent {month} {year}", "Standing order rent"),
           "transfer_in": ("Transfer from {name}", "Payment {ref}"), "transfer_out": ("Invoice {ref}", "Transfer {ref}"),
           "atm": ("Cash withdrawal {time}", "ATM {date}"), "fee": ("Account fee", "Monthly account charge"),
           "refund": ("Refund order {ref}", "Refund {ref}")},
    "de": {"card": ("Kartenzahlung {date}", "Debitkarte {card} {date}", "Kontaktlos bezahlt"),
           "debit": ("SEPA-Lastschrift Mandat {ref}", "Lastschrift {ref}", "Beitrag {month} {year}"),
           "salary": ("Gehalt {month} {year}", "Lohn/Gehalt {month}"), "rent": ("Miete {month} {year}", "Dauerauftrag Miete"),
           "transfer_in": ("Überweisung von {name}", "Gutschrift {ref}"),
           "transfer_out": ("Rechnung {ref}", "Überweisung {ref}"),
           "atm": ("Bargeldauszahlung {time}", "Geldautomat {date}"), "fee": ("Kontoführungsgebühr", "Entgelt Kontoführung"),
           "refund": ("Erstattung Bestellung {ref}", "Rückzahlung {ref}")},
    "fr": {"card": ("Paiement par carte {date}", "CB {card} {date}", "Paiement sans contact"),
           "debit": ("Prélèvement SEPA {ref}", "Prélèvement {ref}", "Échéance {month} {year}"),
           "salary": ("Salaire {month} {year}", "Virement salaire {month}"), "rent": ("Loyer {month} {year}", "Virement permanent loyer"),
           "transfer_in": ("Virement de {name}", "Virement reçu {ref}"), "transfer_out": ("Facture {ref}", "Virement {ref}"),
           "atm": ("Retrait DAB {time}", "Retrait {date}"), "fee": ("Frais de tenue de compte", "Cotisation carte"),
           "refund": ("Remboursement commande {ref}", "Avoir {ref}")},
    "nl": {"card": ("Betaalautomaat {time} pasnr. {card}", "Betaling {date}", "Contactloos betaald"),
           "debit": ("Incasso {ref}", "Europese incasso {ref}", "Termijn {month} {year}"),
           "salary": ("Salaris {month} {year}", "Loon {month}"), "rent": ("Huur {month} {year}", "Periodieke overboeking huur"),
           "transfer_in": ("Overboeking van {name}", "Betaling {ref}"), "transfer_out": ("Factuur {ref}", "Overboeking {ref}"),
           "atm": ("Geldautomaat {time}", "Opname {date}"), "fee": ("Kosten betaalrekening", "Kosten pakket"),
           "refund": ("Terugbetaling {ref}", "Retour {ref}")},
    "es": {"card": ("Pago con tarjeta {date}", "Compra tarjeta {card}", "Pago contactless"),
           "debit": ("Recibo domiciliado {ref}", "Adeudo SEPA {ref}", "Cuota {month} {year}"),
           "salary": ("Nómina {month} {year}", "Abono nómina {month}"), "rent": ("Alquiler {month} {year}", "Transferencia periódica alquiler"),
           "transfer_in": ("Transferencia de {name}", "Bizum {ref}"), "transfer_out": ("Factura {ref}", "Transferencia {ref}"),
           "atm": ("Retirada de efectivo {time}", "Reintegro cajero {date}"), "fee": ("Comisión mantenimiento", "Comisión tarjeta"),
           "refund": ("Devolución pedido {ref}", "Abono devolución {ref}")},
}

MERCHANTS = {
    "GB": ("Tesco Stores", "Sainsbury's", "Pret A Manger", "TfL Travel", "Boots UK"),
    "US": ("Walmart", "Starbucks", "Target", "Shell Oil", "Whole Foods Market"),
    "DE": ("REWE Markt", "EDEKA Center", "dm-drogerie markt", "Aral Tankstelle", "Deutsche Bahn"),
    "FR": ("Carrefour Market", "Monoprix", "SNCF", "TotalEnergies", "Fnac"),
    "NL": ("Albert Heijn", "Jumbo Supermarkten", "NS Reizigers", "HEMA", "Bol.com"),
    "ES": ("Mercadona", "El Corte Inglés", "Repsol", "Renfe Viajeros", "Dia Supermercados"),
}
_GLOBAL = ("Amazon EU S.a r.l.", "Netflix International B.V.", "Spotify AB", "Uber BV", "IKEA", "Apple Services")
_KINDS = ("card", "card", "card", "card", "debit", "debit", "transfer_out", "transfer_in", "atm", "fee", "refund")
_RANGES = {"card": (-150, -2), "debit": (-300, -10), "salary": (1800, 5200), "rent": (-1800, -400),
           "transfer_in": (10, 800), "transfer_out": (-900, -15), "atm": (-400, -20), "fee": (-15, -2),
           "refund": (5, 120)}
_CURRENCY = {"GB": "GBP", "US": "USD"}


# --------------------------------------------------------------------------- content


@dataclass
class _Txn:
    date: datetime.date
    value_date: datetime.date
    amount: float
    payee: str
    memo: str
    balance: float = 0.0
    pending: bool = False
    ref: str = ""


@dataclass
class _Export:
    lang: Language
    currency: str
    holder: str
    iban: str
    txns: list[_Txn]
    opening: float
    fmt: str  # csv | xlsx
    amount_mode: str  # signed | pair | indicator
    text_mode: str  # split | description
    columns: list[str]
    headers: dict[str, str]
    marks: tuple[str, str] = ("", "")
    date_style: str = "iso"
    number_style: str = "en"
    preamble: bool = False
    footer: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def _memo(rng: random.Random, lang: Language, kind: str, date: datetime.date) -> str:
    template = pick(rng, MEMOS[lang.code][kind])
    return template.format(
        date=format_date(date, "dmy_dot" if lang.code == "de" else "dmy_slash", lang)[:5],
        ref=reference(rng, ("nnnnnnnn", "RE-{year}-nnnn", "Annnnnnnn", "INV-nnnnn"), date.year),
        card=reference(rng, ("nnnn",), date.year), time=f"{rng.randrange(7, 22):02d}:{rng.randrange(60):02d}",
        month=lang.months[date.month - 1], year=date.year, name=person(rng, lang),
    )


def _payee(rng: random.Random, lang: Language, kind: str, employer: str, landlord: str) -> str:
    if kind in ("card", "refund"):
        return pick(rng, MERCHANTS[lang.country] + _GLOBAL)
    if kind == "salary":
        return employer
    if kind == "rent":
        return landlord
    if kind in ("transfer_in", "transfer_out"):
        return person(rng, lang) if chance(rng, 0.6) else company(rng, lang)
    if kind == "debit":
        return company(rng, lang)
    return pick(rng, ("Sparkasse", "ING", "BNP Paribas", "Santander", "Barclays", "Rabobank"))


def _transactions(rng: random.Random, lang: Language, count: int) -> tuple[list[_Txn], float]:
    day = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(9 * 365))
    employer, landlord = company(rng, lang), person(rng, lang)
    opening = round(rng.uniform(-500, 8000), 2)
    balance, txns = opening, []
    for i in range(count):
        kind = "salary" if i == count // 3 else "rent" if i == count // 2 else pick(rng, _KINDS)
        low, high = _RANGES[kind]
        amount = round(rng.uniform(low, high), 2) if kind != "atm" else float(10 * round(rng.uniform(low, high) / 10))
        day += datetime.timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))
        balance = round(balance + amount, 2)
        memo = _memo(rng, lang, kind, day)
        value = day + datetime.timedelta(days=rng.choice((0, 0, 1, 2)))
        txns.append(_Txn(day, value, amount, _payee(rng, lang, kind, employer, landlord), memo, balance))
    return txns, opening


def _columns(rng: random.Random, lang: Language, exp: _Export) -> None:
    names = HEADERS[lang.code]
    cols = ["date"] + (["value_date"] if chance(rng, 0.3) else [])
    cols += ["payee", "memo"] if exp.text_mode == "split" else ["description"]
    if chance(rng, 0.3):
        cols.append("extra")
    cols += {"signed": ["amount"], "pair": ["debit", "credit"], "indicator": ["amount", "indicator"]}[exp.amount_mode]
    if chance(rng, 0.25):
        cols.append("currency")
    if chance(rng, 0.55) or len(cols) < 4:
        cols.append("balance")
    if chance(rng, 0.3):  # some banks put the text columns last
        text = [c for c in cols if c in ("payee", "memo", "description", "extra")]
        cols = [c for c in cols if c not in text] + text
    exp.columns = cols
    headers = {role: str(pick(rng, names[role])).format(code=exp.currency) for role in cols
               if role in names and role not in ("pair", "indicator")}
    if exp.amount_mode == "pair":
        headers["debit"], headers["credit"] = pick(rng, names["pair"])
    if exp.amount_mode == "indicator":
        header, debit_mark, credit_mark = pick(rng, names["indicator"])
        headers["indicator"], exp.marks = header, (debit_mark, credit_mark)
    exp.headers = headers


def _draw_export(rng: random.Random, lang: Language) -> _Export:
    count = rng.randint(6, 30)
    txns, opening = _transactions(rng, lang, count)
    if chance(rng, 0.15):
        txns[-1].pending = True
    amount_mode = pick(rng, ("signed", "signed", "pair", "pair", "indicator") if HEADERS[lang.code]["indicator"]
                       else ("signed", "signed", "pair"))
    country = lang.country if lang.country != "US" else "GB"
    exp = _Export(
        lang=lang, currency=_CURRENCY.get(lang.country, "EUR"), holder=person(rng, lang),
        iban=reference(rng, (country + "nn nnnn nnnn nnnn nnnn nn",), 2000), txns=txns, opening=opening,
        fmt=pick(rng, ("csv", "csv", "xlsx")), amount_mode=amount_mode,
        text_mode="split" if chance(rng, 0.7) else "description", columns=[], headers={},
        date_style=pick(rng, _bank_date_styles(lang)), number_style=pick(rng, _bank_number_styles(lang)),
        preamble=chance(rng, 0.5), footer=chance(rng, 0.2),
    )
    _columns(rng, lang, exp)
    if chance(rng, 0.4):
        exp.txns.reverse()  # newest first
    return exp


def _bank_date_styles(lang: Language) -> tuple[str, ...]:
    extra = {"de": ("dmy_dot_short",), "en": ("iso",), "nl": ("compact", "iso"), "fr": (), "es": ()}
    return lang.date_styles[:1] * 3 + lang.date_styles[1:2] + ("iso",) + extra[lang.code]


def _bank_number_styles(lang: Language) -> tuple[str, ...]:
    return lang.number_styles[:1] * 2 + lang.number_styles[1:] + (("plain_dot",) if lang.code == "en" else ("plain_comma",))


# --------------------------------------------------------------------------- cells


@dataclass
class _Cell:
    """What a cell holds (for XLSX, maybe a number or a date) and the text the parser gives for it."""

    value: Any
    text: str | None


def _num_cell(exp: _Export, value: float, xlsx_number: bool) -> _Cell:
    if xlsx_number:
        number: Any = int(value) if float(value).is_integer() else value
        return _Cell(number, str(number))
    text = format_number(value, exp.number_style)
    return _Cell(text, text)


def _date_cell(exp: _Export, date: datetime.date, xlsx_date: bool) -> _Cell:
    if xlsx_date:
        return _Cell(datetime.datetime(date.year, date.month, date.day), date.isoformat())
    text = format_date(date, exp.date_style, exp.lang)
    return _Cell(text, text)


def _row(exp: _Export, txn: _Txn, rng: random.Random) -> tuple[dict[str, _Cell], dict[str, Any]]:
    """The cells of one transaction row, and the surface of each field."""
    numbers, dates = exp.options.get("xlsx_numbers", False), exp.options.get("xlsx_dates", False)
    cells: dict[str, _Cell] = {}
    if txn.pending:
        word = pick(rng, PENDING[exp.lang.code])
        cells["date"] = _Cell(word, word)
    else:
        cells["date"] = _date_cell(exp, txn.date, dates)
    cells["value_date"] = _date_cell(exp, txn.value_date, dates)
    described = ""
    if exp.text_mode == "description":  # short enough to be a payee, as csv2ofx reads these columns
        described = f"{txn.payee} {txn.memo}" if len(txn.payee) + len(txn.memo) < 48 else txn.payee
    cells.update(payee=_Cell(txn.payee, txn.payee), memo=_Cell(txn.memo, txn.memo),
                 description=_Cell(described, described), currency=_Cell(exp.currency, exp.currency),
                 extra=_Cell(txn.ref, txn.ref), balance=_num_cell(exp, txn.balance, numbers))
    amount = _amount_cells(exp, txn, cells, numbers)
    surface = {
        "date": None if txn.pending else cells["date"].text,
        "amount": amount,
        "payee": txn.payee if exp.text_mode == "split" else described,
        "memo": txn.memo if exp.text_mode == "split" else None,
        "balance": cells["balance"].text if "balance" in exp.columns else None,
    }
    return cells, surface


def _amount_cells(exp: _Export, txn: _Txn, cells: dict[str, _Cell], numbers: bool) -> str | None:
    """Fill the amount column(s); return the amount's surface, signed as the prompt asks."""
    if exp.amount_mode == "signed":
        cells["amount"] = _num_cell(exp, txn.amount, numbers)
        return cells["amount"].text
    magnitude = _num_cell(exp, abs(txn.amount), numbers)
    signed = magnitude.text if txn.amount >= 0 else f"-{magnitude.text}"
    if exp.amount_mode == "indicator":
        cells["amount"] = magnitude
        mark = exp.marks[0] if txn.amount < 0 else exp.marks[1]
        cells["indicator"] = _Cell(mark, mark)
        return signed
    empty = _Cell(None, None)
    debit_cell = magnitude
    if txn.amount < 0 and exp.options.get("negative_debits"):
        debit_cell = _num_cell(exp, txn.amount, numbers)
    cells["debit"], cells["credit"] = (debit_cell, empty) if txn.amount < 0 else (empty, magnitude)
    return signed


def _truth(exp: _Export, txn: _Txn, surface: dict[str, Any], row: int) -> TruthRecord:
    fields = {
        "date": None if txn.pending else txn.date.isoformat(),
        "amount": txn.amount,
        "payee": surface["payee"],
        "memo": surface["memo"],
        "balance": txn.balance if "balance" in exp.columns else None,
    }
    return TruthRecord(fields, surface, row)


# --------------------------------------------------------------------------- files


def _preamble_lines(exp: _Export) -> list[list[str]]:
    words = PREAMBLE[exp.lang.code]
    dates = sorted(t.date for t in exp.txns)
    period = words[5].format(**{"from": format_date(dates[0], exp.date_style, exp.lang),
                                "to": format_date(dates[-1], exp.date_style, exp.lang)})
    opening = format_number(exp.opening, exp.number_style)
    return [[words[0], exp.holder], [words[2], exp.iban], [words[3], period], [words[4], f"{opening} {exp.currency}"]]


def _table(exp: _Export, rng: random.Random) -> tuple[list[str], list[tuple[list[_Cell], dict[str, Any], _Txn]]]:
    header = [exp.headers[c] for c in exp.columns]
    rows = []
    for txn in exp.txns:
        txn.ref = reference(rng, ("nnnnnnnnnn", "TRX-nnnnnn", "Annnnnnnnn"), txn.date.year)
        cells, surface = _row(exp, txn, rng)
        rows.append(([cells[c] for c in exp.columns], surface, txn))
    return header, rows


def _write_csv(exp: _Export, rng: random.Random, path: Path) -> list[TruthRecord]:
    delimiter = pick(rng, (";", ";", ",", ",", "\t", "|"))
    # a third of the exports quote every cell: one draw from three, so a seed makes the same exports as before
    quoting: Literal[0, 1] = csv.QUOTE_ALL if pick(rng, (False, False, True)) else csv.QUOTE_MINIMAL
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    line = 0
    if exp.preamble:
        for values in _preamble_lines(exp):
            writer.writerow(values if chance(rng, 0.7) else [f"{values[0]}: {values[1]}"])
            line += 1
        writer.writerow([])
        line += 1
    header, rows = _table(exp, rng)
    writer.writerow(header)
    line += 1
    truths = []
    for cells, surface, txn in rows:
        writer.writerow(["" if c.value is None else c.value for c in cells])
        line += 1
        truths.append(_truth(exp, txn, surface, line))
    if exp.footer:
        writer.writerow([CLOSING[exp.lang.code]] + [""] * (len(header) - 2) + [_closing(exp)])
    encoding = pick(rng, ("utf-8", "utf-8", "utf-8-sig", "cp1252"))
    exp.options.update(delimiter=delimiter, encoding=encoding)
    write_text_file(path, buffer.getvalue(), encoding, pick(rng, ("\n", "\r\n")))
    return truths


def _closing(exp: _Export) -> str:
    closing = exp.txns[0].balance if exp.txns[0].date > exp.txns[-1].date else exp.txns[-1].balance
    return format_number(closing, exp.number_style)


def _write_xlsx(exp: _Export, rng: random.Random, path: Path) -> list[TruthRecord]:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = SHEETS[exp.lang.code]
    header, rows = _table(exp, rng)
    row = 1
    if exp.preamble:
        for values in _preamble_lines(exp):
            sheet.cell(row, 1, f"{values[0]}: {values[1]}")
            row += 1
        row += 1
    for col, name in enumerate(header, start=1):
        sheet.cell(row, col, name)
    truths = []
    for cells, surface, txn in rows:
        row += 1
        for col, cell in enumerate(cells, start=1):
            target = sheet.cell(row, col, cell.value)
            if isinstance(cell.value, datetime.datetime):
                target.number_format = "DD.MM.YYYY" if exp.lang.code != "en" else "YYYY-MM-DD"
            elif isinstance(cell.value, float | int):
                target.number_format = "#,##0.00"
        truths.append(_truth(exp, txn, surface, row))
    book.save(path)
    freeze_zip(path)
    return truths


# --------------------------------------------------------------------------- the hook


def _language(rng: random.Random, index: int, start: int) -> Language:
    code = ("en", "de", "fr", "nl", "es")[(start + index) % 5]
    variants = [v for v in VARIANTS if v.code == code]
    return pick(rng, variants) if len(variants) > 1 else LANGUAGES[code]


def synthesize(rng: random.Random, folder: Path, count: int) -> list[SyntheticDoc]:
    """Render ``count`` exports into ``folder``; the languages take turns (any five
    consecutive exports cover EN, DE, FR, NL and ES)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = rng.randrange(5)
    docs = []
    for index in range(count):
        lang = _language(rng, index, start)
        exp = _draw_export(rng, lang)
        exp.options.update(xlsx_numbers=exp.fmt == "xlsx" and chance(rng, 0.7),
                           xlsx_dates=exp.fmt == "xlsx" and chance(rng, 0.7), negative_debits=chance(rng, 0.3))
        path = folder / f"bank-{index:05d}.{exp.fmt}"
        truths = _write_xlsx(exp, rng, path) if exp.fmt == "xlsx" else _write_csv(exp, rng, path)
        meta = {"language": lang.code, "country": lang.country, "format": exp.fmt, "amount_mode": exp.amount_mode,
                "text_mode": exp.text_mode, "columns": exp.columns, "number_style": exp.number_style,
                "date_style": exp.date_style, "preamble": exp.preamble, "footer": exp.footer,
                **{k: v for k, v in exp.options.items() if k in ("delimiter", "encoding")}}
        docs.append(SyntheticDoc(path, truths, meta))
    return docs
