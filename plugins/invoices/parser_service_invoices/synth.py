"""Synthetic invoices: real PDFs (reportlab) with their ground truth, for the adapter.

Each invoice is drawn from the languages EN, DE, FR, NL, ES with the country's
date and number styles (sometimes another's), a currency written as a symbol or a
code before or after the amount, with or without line items, and the noise real
invoices carry: a letterhead with a big issuer name, a customer address (a second
company name the model must not take for the issuer), a sender line above it,
order and customer numbers beside the invoice number, a due date beside the
invoice date, bank details, VAT ids, payment terms, page headers and footers.
The layout varies: letterhead left, right or centred, meta data as "label: value"
lines or as a row of columns, items as a ruled or unruled table or stacked lines.

The truth is the text as drawn: the parsed text holds every surface string
(``tests/training/test_synth.py`` checks it with our PDF parser).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.plugin_api import (
    LANGUAGES,
    VARIANTS,
    Language,
    Party,
    SyntheticDoc,
    TruthRecord,
    chance,
    format_date,
    format_money,
    format_number,
    format_quantity,
    party,
    person,
    pick,
    reference,
)

# --------------------------------------------------------------------------- labels

_L = dict[str, tuple[str, ...]]

LABELS: dict[str, _L] = {
    "en": {
        "title": ("INVOICE", "Invoice", "Tax Invoice", "Sales Invoice"),
        "number": ("Invoice No.", "Invoice number", "Invoice #", "Invoice no:"),
        "date": ("Invoice date", "Date", "Date of issue", "Issue date"),
        "due": ("Due date", "Payment due", "Due"),
        "delivery": ("Delivery date", "Service date", "Order date"),
        "customer_no": ("Customer No.", "Customer ID", "Account no."),
        "order_no": ("Order No.", "PO number", "Your reference"),
        "bill_to": ("Bill to:", "Invoice to:", "Customer:", "Billed to"),
        "attn": ("Attn:", "FAO", "Contact:"),
        "pos": ("#", "Item", "No."),
        "desc": ("Description", "Item", "Service", "Details"),
        "qty": ("Qty", "Quantity", "Units"),
        "unit": ("Unit price", "Rate", "Price"),
        "line_total": ("Amount", "Total", "Line total"),
        "subtotal": ("Subtotal", "Net total", "Total excl. VAT", "Net amount"),
        "tax": ("VAT {rate}%", "Tax ({rate}%)", "VAT @ {rate}%"),
        "total": ("Total", "Total due", "Amount due", "Grand total", "Invoice total", "Balance due"),
        "terms": ("Payment terms: {days} days net.", "Please pay within {days} days of the invoice date.",
                  "Payment is due within {days} days."),
        "pay_by": ("Please pay by {due}.", "Payment due on {due}."),
        "bank": ("Bank details", "Payment details", "Please remit to"),
        "page": ("Page {p} of {n}", "Page {p}/{n}"),
        "thanks": ("Thank you for your business!", "Thank you for your order."),
        "no_items": ("For services rendered in {month} {year}:", "Charges for the period {month} {year}"),
        "reverse": ("Reverse charge: VAT to be accounted for by the recipient.",),
        "in_currency": ("All amounts in {code}.", "Amounts in {code}"),
        "vat_id": ("VAT No.", "VAT Reg. No.", "Tax ID"),
        "phone": ("Tel.", "Phone"),
        "units": ("h", "pcs"),
    },
    "de": {
        "title": ("Rechnung", "RECHNUNG", "Rechnung Nr."),
        "number": ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr.", "Beleg-Nr."),
        "date": ("Rechnungsdatum", "Datum", "Belegdatum"),
        "due": ("Fällig am", "Zahlbar bis", "Fälligkeitsdatum"),
        "delivery": ("Lieferdatum", "Leistungsdatum", "Bestelldatum"),
        "customer_no": ("Kundennummer", "Kunden-Nr.", "Ihre Kundennummer"),
        "order_no": ("Auftragsnummer", "Bestellnummer", "Ihre Bestellung"),
        "bill_to": ("Rechnungsempfänger:", "An:", "Kunde:"),
        "attn": ("z. Hd.", "Ansprechpartner:"),
        "pos": ("Pos.", "Nr."),
        "desc": ("Bezeichnung", "Beschreibung", "Artikel", "Leistung"),
        "qty": ("Menge", "Anz."),
        "unit": ("Einzelpreis", "E-Preis", "Preis"),
        "line_total": ("Gesamtpreis", "Betrag", "Gesamt"),
        "subtotal": ("Nettobetrag", "Zwischensumme", "Summe netto", "Gesamt netto"),
        "tax": ("zzgl. {rate}% MwSt.", "USt. {rate} %", "MwSt. {rate}%"),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Endbetrag", "Gesamt brutto", "Zu zahlen"),
        "terms": ("Zahlbar innerhalb von {days} Tagen ohne Abzug.", "Zahlungsziel: {days} Tage netto."),
        "pay_by": ("Bitte überweisen Sie den Betrag bis zum {due}.", "Zahlbar bis {due} ohne Abzug."),
        "bank": ("Bankverbindung", "Bankverbindung:"),
        "page": ("Seite {p} von {n}", "Seite {p}/{n}"),
        "thanks": ("Vielen Dank für Ihren Auftrag!", "Wir danken für Ihr Vertrauen."),
        "no_items": ("Für unsere Leistungen im {month} {year} berechnen wir:", "Leistungszeitraum {month} {year}"),
        "reverse": ("Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge).",),
        "in_currency": ("Alle Beträge in {code}.", "Beträge in {code}"),
        "vat_id": ("USt-IdNr.", "USt-ID", "Steuernummer"),
        "phone": ("Tel.", "Telefon"),
        "units": ("Std.", "Stk."),
    },
    "fr": {
        "title": ("FACTURE", "Facture"),
        "number": ("Facture n°", "N° de facture", "Numéro de facture", "Facture No"),
        "date": ("Date de facture", "Date", "Date d'émission", "Date de facturation"),
        "due": ("Date d'échéance", "Échéance", "À payer avant le"),
        "delivery": ("Date de livraison", "Date de commande"),
        "customer_no": ("N° client", "Code client", "Réf. client"),
        "order_no": ("N° de commande", "Bon de commande", "Votre référence"),
        "bill_to": ("Facturé à :", "Client :", "Adresse de facturation"),
        "attn": ("À l'attention de", "Contact :"),
        "pos": ("N°", "Réf."),
        "desc": ("Désignation", "Description", "Article"),
        "qty": ("Qté", "Quantité"),
        "unit": ("Prix unitaire", "P.U. HT", "Prix HT"),
        "line_total": ("Montant HT", "Total HT", "Montant"),
        "subtotal": ("Total HT", "Montant HT", "Sous-total"),
        "tax": ("TVA {rate} %", "TVA ({rate}%)"),
        "total": ("Total TTC", "Montant TTC", "Net à payer", "Total à payer"),
        "terms": ("Paiement à {days} jours.", "Conditions de paiement : {days} jours net."),
        "pay_by": ("Merci de régler avant le {due}.", "Date limite de paiement : {due}"),
        "bank": ("Coordonnées bancaires", "RIB"),
        "page": ("Page {p}/{n}", "Page {p} sur {n}"),
        "thanks": ("Merci de votre confiance.", "Nous vous remercions de votre commande."),
        "no_items": ("Prestations du mois de {month} {year} :", "Période : {month} {year}"),
        "reverse": ("Autoliquidation : TVA due par le preneur.",),
        "in_currency": ("Montants exprimés en {code}.", "Devise : {code}"),
        "vat_id": ("N° TVA", "TVA intracom.", "SIRET"),
        "phone": ("Tél.", "Téléphone"),
        "units": ("h", "u."),
    },
    "nl": {
        "title": ("FACTUUR", "Factuur"),
        "number": ("Factuurnummer", "Factuurnr.", "Factuur nr."),
        "date": ("Factuurdatum", "Datum"),
        "due": ("Vervaldatum", "Te betalen voor", "Uiterste betaaldatum"),
        "delivery": ("Leverdatum", "Orderdatum"),
        "customer_no": ("Klantnummer", "Debiteurnummer", "Klantnr."),
        "order_no": ("Ordernummer", "Bestelnummer", "Uw referentie"),
        "bill_to": ("Factuuradres:", "Aan:", "Klant:"),
        "attn": ("T.a.v.", "Contactpersoon:"),
        "pos": ("Nr.", "#"),
        "desc": ("Omschrijving", "Artikel", "Product"),
        "qty": ("Aantal", "Aant."),
        "unit": ("Prijs", "Stukprijs", "Tarief"),
        "line_total": ("Bedrag", "Totaal"),
        "subtotal": ("Subtotaal", "Totaal excl. btw", "Bedrag excl. BTW"),
        "tax": ("BTW {rate}%", "btw {rate}%"),
        "total": ("Totaal", "Totaal incl. btw", "Te betalen", "Totaalbedrag"),
        "terms": ("Gelieve binnen {days} dagen te betalen.", "Betalingstermijn: {days} dagen."),
        "pay_by": ("Graag voor {due} overmaken.", "Te voldoen voor {due}."),
        "bank": ("Bankgegevens", "Betaalgegevens"),
        "page": ("Pagina {p} van {n}", "Blad {p}/{n}"),
        "thanks": ("Bedankt voor uw bestelling!", "Hartelijk dank voor uw opdracht."),
        "no_items": ("Werkzaamheden in {month} {year}:", "Periode {month} {year}"),
        "reverse": ("BTW verlegd.",),
        "in_currency": ("Alle bedragen in {code}.", "Valuta: {code}"),
        "vat_id": ("BTW-nr.", "Btw-id", "KvK"),
        "phone": ("Tel.", "Telefoon"),
        "units": ("uur", "st."),
    },
    "es": {
        "title": ("FACTURA", "Factura"),
        "number": ("Número de factura", "Factura n.º", "Nº Factura", "Factura número"),
        "date": ("Fecha de factura", "Fecha", "Fecha de emisión"),
        "due": ("Fecha de vencimiento", "Vencimiento"),
        "delivery": ("Fecha de entrega", "Fecha de pedido"),
        "customer_no": ("Nº cliente", "Código de cliente"),
        "order_no": ("Nº de pedido", "Pedido", "Su referencia"),
        "bill_to": ("Facturar a:", "Cliente:", "Datos del cliente"),
        "attn": ("A la atención de", "Contacto:"),
        "pos": ("Nº", "Ref."),
        "desc": ("Descripción", "Concepto", "Artículo"),
        "qty": ("Cant.", "Cantidad", "Uds."),
        "unit": ("Precio unitario", "Precio", "P. unit."),
        "line_total": ("Importe", "Total"),
        "subtotal": ("Base imponible", "Subtotal", "Importe neto"),
        "tax": ("IVA {rate}%", "IVA ({rate} %)"),
        "total": ("Total", "Total factura", "Importe total", "Total a pagar"),
        "terms": ("Pago a {days} días.", "Forma de pago: transferencia a {days} días."),
        "pay_by": ("Fecha límite de pago: {due}.", "Rogamos abonen el importe antes del {due}."),
        "bank": ("Datos bancarios", "Cuenta bancaria"),
        "page": ("Página {p} de {n}", "Pág. {p}/{n}"),
        "thanks": ("Gracias por su confianza.", "Gracias por su pedido."),
        "no_items": ("Servicios prestados en {month} de {year}:", "Periodo: {month} {year}"),
        "reverse": ("Inversión del sujeto pasivo.",),
        "in_currency": ("Importes en {code}.", "Moneda: {code}"),
        "vat_id": ("NIF", "CIF", "NIF-IVA"),
        "phone": ("Tel.", "Teléfono"),
        "units": ("h", "ud."),
    },
}

_TAX_RATES = {"GB": (20.0,), "US": (0.0, 6.25, 7.0, 8.875), "DE": (19.0, 7.0), "FR": (20.0, 10.0, 5.5),
              "NL": (21.0, 9.0), "ES": (21.0, 10.0)}
_NUMBER_SHAPES = ("RE-{year}-nnnn", "INV-nnnnn", "{year}nnnn", "nnnnnn", "F{year}-nnn", "FA-{year}-nnnn",
                  "nnnn/{year}", "INV/{year}/nnnn", "A-nnnnn", "nnnnnnnnn")
_CUSTOMER_SHAPES = ("KD-nnnnn", "Cnnnnn", "nnnnnn", "CL-nnnn", "Knnnnn")
_ORDER_SHAPES = ("PO-nnnnnn", "nnnnnnnn", "ORD-nnnnn", "AB-{year}-nnnn", "Bnnnnnn")
_CURRENCIES = {"GB": "GBP", "US": "USD"}

# --------------------------------------------------------------------------- content


@dataclass
class _Line:
    name: str
    qty: float
    unit: float
    subtotal: float


@dataclass
class _Invoice:
    lang: Language
    labels: _L
    issuer: Party
    customer: Party
    contact: str | None
    number: str
    date: datetime.date
    due: datetime.date
    delivery: datetime.date | None
    customer_no: str
    order_no: str | None
    currency: str
    number_style: str
    date_style: str
    placement: str
    lines: list[_Line]
    tax_rate: float
    untaxed: float
    tax: float
    total: float
    days: int
    picks: dict[str, str] = field(default_factory=dict)

    def label(self, rng: random.Random, key: str, **values: Any) -> str:
        """One wording of ``key``, the same wherever the invoice repeats it."""
        if key not in self.picks:
            self.picks[key] = pick(rng, self.labels[key])
        return self.picks[key].format(**values)

    def money(self, value: float) -> str:
        return format_money(value, self.currency, self.number_style, self.placement).text

    def number_text(self, value: float) -> str:
        return format_number(value, self.number_style)

    def day(self, date: datetime.date) -> str:
        return format_date(date, self.date_style, self.lang)


def _language(rng: random.Random, index: int, start: int) -> Language:
    code = ("en", "de", "fr", "nl", "es")[(start + index) % 5]
    variants = [v for v in VARIANTS if v.code == code]
    return pick(rng, variants) if len(variants) > 1 else LANGUAGES[code]


def _styles(rng: random.Random, lang: Language) -> tuple[str, str]:
    """(number style, date style): mostly the country's own, sometimes another's."""
    number = lang.number_styles[0] if chance(rng, 0.75) else pick(rng, ("en", "de", "fr", "plain_dot", "plain_comma"))
    date = lang.date_styles[0] if chance(rng, 0.5) else pick(rng, lang.date_styles)
    return number, date


def _items(rng: random.Random, lang: Language) -> list[_Line]:
    count = pick(rng, (0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 5, 6))
    names = rng.sample(list(lang.goods) + list(lang.services), count)
    out = []
    for name in names:
        qty = float(pick(rng, (1, 1, 1, 2, 3, 4, 5, 8, 10, 12, 0.5, 1.5, 2.5, 7.25)))
        unit = round(rng.uniform(2, 400) if chance(rng, 0.8) else rng.uniform(400, 4000), 2)
        out.append(_Line(name, qty, unit, round(qty * unit, 2)))
    return out


def _draw_invoice(rng: random.Random, lang: Language) -> _Invoice:
    date = datetime.date(2017, 1, 1) + datetime.timedelta(days=rng.randrange(8 * 365))
    days = pick(rng, (7, 10, 14, 14, 30, 30, 45, 60))
    lines = _items(rng, lang)
    untaxed = round(sum(line.subtotal for line in lines), 2) if lines else round(rng.uniform(40, 9000), 2)
    rate = 0.0 if chance(rng, 0.1) else pick(rng, _TAX_RATES[lang.country])
    tax = round(untaxed * rate / 100, 2)
    number_style, date_style = _styles(rng, lang)
    customer_lang = lang if chance(rng, 0.8) else pick(rng, VARIANTS)
    local = _CURRENCIES.get(lang.country, "EUR")
    return _Invoice(
        lang=lang, labels=LABELS[lang.code], issuer=party(rng, lang), customer=party(rng, customer_lang),
        contact=person(rng, customer_lang) if chance(rng, 0.5) else None,
        number=reference(rng, _NUMBER_SHAPES, date.year), date=date,
        due=date + datetime.timedelta(days=days),
        delivery=date - datetime.timedelta(days=rng.randrange(1, 20)) if chance(rng, 0.4) else None,
        customer_no=reference(rng, _CUSTOMER_SHAPES, date.year),
        order_no=reference(rng, _ORDER_SHAPES, date.year) if chance(rng, 0.6) else None,
        currency=local if chance(rng, 0.85) else pick(rng, ("EUR", "USD", "GBP", "CHF")),
        number_style=number_style, date_style=date_style,
        placement=pick(rng, ("symbol_before", "symbol_after", "symbol_after", "code_before", "code_after", "none")),
        lines=lines, tax_rate=rate, untaxed=untaxed, tax=tax, total=round(untaxed + tax, 2), days=days,
    )


def _truth(inv: _Invoice) -> TruthRecord:
    mark = format_money(inv.total, inv.currency, inv.number_style, inv.placement).currency or inv.currency
    fields = {
        "issuer": inv.issuer.name, "invoice_number": inv.number, "date": inv.date.isoformat(),
        "amount": inv.total, "amount_untaxed": inv.untaxed, "currency": inv.currency,
        "amount_tax": inv.tax if inv.tax_rate else None,
        "lines": [{"name": li.name, "qty": li.qty, "price_unit": li.unit, "price_subtotal": li.subtotal}
                  for li in inv.lines],
    }
    surface = {
        "issuer": inv.issuer.name, "invoice_number": inv.number, "date": inv.day(inv.date),
        "amount": inv.number_text(inv.total), "amount_untaxed": inv.number_text(inv.untaxed), "currency": mark,
        "amount_tax": inv.number_text(inv.tax) if inv.tax_rate else None,
        "lines": [{"name": li.name, "qty": format_quantity(li.qty, inv.number_style),
                   "price_unit": inv.number_text(li.unit), "price_subtotal": inv.number_text(li.subtotal)}
                  for li in inv.lines],
    }
    return TruthRecord(fields, surface)


# --------------------------------------------------------------------------- drawing


class _Page:
    """A reportlab canvas addressed from the top of the page, remembering what it drew."""

    def __init__(self, path: Path, size: tuple[float, float], fonts: tuple[str, str]):
        from reportlab.pdfgen import canvas

        self.canvas = canvas.Canvas(str(path), pagesize=size, invariant=1)
        self.width, self.height = size
        self.regular, self.bold = fonts

    def text(self, x: float, top: float, text: str, size: float = 9, *, bold: bool = False, align: str = "left") -> None:
        self.canvas.setFont(self.bold if bold else self.regular, size)
        y = self.height - top
        if align == "right":
            self.canvas.drawRightString(x, y, text)
        elif align == "center":
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def fits(self, text: str, size: float, width: float) -> bool:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(text, self.regular, size) <= width

    def rule(self, x0: float, top: float, x1: float) -> None:
        self.canvas.setLineWidth(0.5)
        self.canvas.line(x0, self.height - top, x1, self.height - top)

    def grid(self, xs: list[float], tops: list[float]) -> None:
        self.canvas.setLineWidth(0.5)
        for top in tops:
            self.rule(xs[0], top, xs[-1])
        for x in xs:
            self.canvas.line(x, self.height - tops[0], x, self.height - tops[-1])

    def save(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


@dataclass
class _Layout:
    header: str  # letter_left | letter_right | centered | title_beside
    meta: str  # lines | columns
    items: str  # ruled | plain | stacked
    sender_line: bool
    footer: str  # columns | centered | none
    page_header: bool
    margin: float = 50.0


def _draw_layout(rng: random.Random) -> _Layout:
    return _Layout(
        header=pick(rng, ("letter_left", "letter_left", "letter_right", "centered", "title_beside")),
        meta=pick(rng, ("lines", "lines", "lines", "columns")),
        items=pick(rng, ("ruled", "plain", "plain", "stacked")),
        sender_line=chance(rng, 0.5),
        footer=pick(rng, ("columns", "centered", "none")),
        page_header=chance(rng, 0.25),
        margin=pick(rng, (40.0, 50.0, 60.0)),
    )


def _letterhead(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random) -> float:
    """The issuer's name, big, and its address; returns where the next part may start."""
    size = pick(rng, (16, 18, 20, 24))
    left, right, middle = lay.margin, page.width - lay.margin, page.width / 2
    address = [*inv.issuer.lines, f"{inv.label(rng, 'phone')} {inv.issuer.phone}", inv.issuer.email]
    top = 60.0 if not lay.page_header else 75.0
    if lay.header == "centered":
        page.text(middle, top, inv.issuer.name, size, bold=True, align="center")
        page.text(middle, top + 16, " · ".join(address[:3]), 8, align="center")
        return top + 40
    x, align = (right, "right") if lay.header == "letter_right" else (left, "left")
    page.text(x, top, inv.issuer.name, size, bold=True, align=align)
    if lay.header == "title_beside":  # the title shares the name's line: "Acme Ltd INVOICE"
        page.text(right, top, inv.label(rng, "title"), 14, bold=True, align="right")
    for i, line in enumerate(address):
        page.text(x, top + 16 + 11 * i, line, 8, align=align)
    return top + 20 + 11 * len(address)


def _customer_block(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    x = lay.margin
    if lay.sender_line:
        page.text(x, top, inv.issuer.one_line, 6.5)
        top += 14
    elif chance(rng, 0.5):
        page.text(x, top, inv.label(rng, "bill_to"), 8, bold=True)
        top += 12
    lines = [inv.customer.name]
    if inv.contact:
        lines.append(f"{inv.label(rng, 'attn')} {inv.contact}")
    lines += list(inv.customer.lines)
    if inv.customer.country != inv.issuer.country:
        lines.append(_country_name(inv.customer.country))
    for i, line in enumerate(lines):
        page.text(x, top + 12 * i, line, 9.5)
    return top + 12 * len(lines)


def _country_name(country: str) -> str:
    return next(v.country_name for v in VARIANTS if v.country == country)


def _meta_pairs(inv: _Invoice, rng: random.Random) -> list[tuple[str, str]]:
    pairs = [(inv.label(rng, "number"), inv.number), (inv.label(rng, "date"), inv.day(inv.date))]
    extra = [(inv.label(rng, "customer_no"), inv.customer_no), (inv.label(rng, "due"), inv.day(inv.due))]
    if inv.order_no:
        extra.append((inv.label(rng, "order_no"), inv.order_no))
    if inv.delivery:
        extra.append((inv.label(rng, "delivery"), inv.day(inv.delivery)))
    rng.shuffle(extra)
    out = pairs + extra
    if chance(rng, 0.4):
        rng.shuffle(out)
    return out


def _meta_block(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    """Invoice number, date and their distractors: beside the address, or as columns below."""
    pairs = _meta_pairs(inv, rng)
    if lay.meta == "columns":
        width = (page.width - 2 * lay.margin) / len(pairs)
        for i, (label, value) in enumerate(pairs):
            page.text(lay.margin + i * width, top, label, 7.5, bold=True)
            page.text(lay.margin + i * width, top + 12, value, 9)
        return top + 30
    colon = pick(rng, (":", "", ":"))
    x = page.width / 2 + 40
    offset = pick(rng, (0.0, 5.0))
    for i, (label, value) in enumerate(pairs):
        label = label if label.endswith(":") or not colon else label + colon
        if chance(rng, 0.5):
            page.text(x, top + offset + 12 * i, f"{label} {value}", 9)
        else:
            page.text(x, top + offset + 12 * i, label, 9)
            page.text(page.width - lay.margin, top + offset + 12 * i, value, 9, align="right")
    return top + offset + 12 * len(pairs)


def _columns(page: _Page, lay: _Layout, with_pos: bool) -> dict[str, float]:
    right = page.width - lay.margin
    cols = {"pos": lay.margin, "desc": lay.margin + (28 if with_pos else 0), "qty": right - 190,
            "unit": right - 90, "total": right}
    return cols


def _items_table(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    if not inv.lines:
        month = inv.lang.months[inv.date.month - 1]
        page.text(lay.margin, top, inv.label(rng, "no_items", month=month, year=inv.date.year), 9.5)
        return top + 24
    if lay.items == "stacked":
        return _stacked_items(page, inv, lay, rng, top)
    with_pos = chance(rng, 0.5)
    cols = _columns(page, lay, with_pos)
    hours, pieces = inv.labels["units"][0], inv.labels["units"][1]
    units = {"": ""} if chance(rng, 0.5) else {"goods": pieces, "services": hours}
    heads = [("desc", inv.label(rng, "desc"), "left"), ("qty", inv.label(rng, "qty"), "right"),
             ("unit", inv.label(rng, "unit"), "right"), ("total", inv.label(rng, "line_total"), "right")]
    if with_pos:
        heads.insert(0, ("pos", inv.label(rng, "pos"), "left"))
    for key, text, align in heads:
        page.text(cols[key], top, text, 8.5, bold=True, align=align)
    tops = [top - 10, top + 5]
    row = top + 18
    for n, line in enumerate(inv.lines, start=1):
        if with_pos:
            page.text(cols["pos"], row, str(n), 9)
        page.text(cols["desc"], row, line.name, 9)
        qty = format_quantity(line.qty, inv.number_style)
        unit_word = units.get("services" if line.name in inv.lang.services else "goods", "")
        page.text(cols["qty"], row, f"{qty} {unit_word}".strip(), 9, align="right")
        page.text(cols["unit"], row, _amount_cell(inv, rng, line.unit), 9, align="right")
        page.text(cols["total"], row, _amount_cell(inv, rng, line.subtotal), 9, align="right")
        tops.append(row + 5)
        row += 16
    if lay.items == "ruled":
        xs = [lay.margin - 4, cols["qty"] - 60, cols["qty"] + 4, cols["unit"] + 4, cols["total"] + 4]
        page.grid(xs, tops)
    return row + 6


def _amount_cell(inv: _Invoice, rng: random.Random, value: float) -> str:
    """Amounts in the items table: with the currency mark or bare, as the invoice chose once."""
    if inv.picks.setdefault("cell_money", pick(rng, ("bare", "money"))) == "money":
        return inv.money(value)
    return inv.number_text(value)


def _stacked_items(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    """Receipt style: the item's name on its own line, "2 x 15,00 = 30,00" below it."""
    times = pick(rng, (" x ", " × ", " @ "))
    for line in inv.lines:
        page.text(lay.margin, top, line.name, 9.5)
        qty = format_quantity(line.qty, inv.number_style)
        page.text(lay.margin + 20, top + 12, f"{qty}{times}{inv.number_text(line.unit)}", 9)
        page.text(page.width - lay.margin, top + 12, inv.money(line.subtotal), 9, align="right")
        top += 30
    return top + 4


def _totals(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    right, x = page.width - lay.margin, page.width / 2 + 30
    rows: list[tuple[str, str, bool]] = []
    if inv.tax_rate or chance(rng, 0.5):
        rows.append((inv.label(rng, "subtotal"), inv.money(inv.untaxed), False))
    if inv.tax_rate:
        rate = format_number(inv.tax_rate, inv.number_style, 0 if inv.tax_rate.is_integer() else 1)
        rows.append((inv.label(rng, "tax", rate=rate), inv.money(inv.tax), False))
    rows.append((inv.label(rng, "total"), inv.money(inv.total), True))
    for i, (label, value, strong) in enumerate(rows):
        page.text(x, top + 14 * i, label, 9.5, bold=strong)
        page.text(right, top + 14 * i, value, 9.5, bold=strong, align="right")
    top += 14 * len(rows) + 10
    if inv.placement == "none":
        page.text(lay.margin, top, inv.label(rng, "in_currency", code=inv.currency), 8.5)
        top += 14
    return top


def _terms(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random, top: float) -> float:
    lines = [inv.label(rng, "terms", days=inv.days)]
    if chance(rng, 0.5):
        lines.append(inv.label(rng, "pay_by", due=inv.day(inv.due)))
    if not inv.tax_rate and chance(rng, 0.5):
        lines.append(inv.label(rng, "reverse"))
    if chance(rng, 0.6):
        bank = inv.issuer
        lines.append(f"{inv.label(rng, 'bank')}: {bank.bank} · IBAN {bank.iban} · BIC {bank.bic}")
    if chance(rng, 0.5):
        lines.append(inv.label(rng, "thanks"))
    for i, line in enumerate(lines):
        page.text(lay.margin, top + 12 * i, line, 8.5)
    return top + 12 * len(lines)


def _footer(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random) -> None:
    who = inv.issuer
    page_label = inv.label(rng, "page", p=1, n=1)
    bottom = page.height - 40
    vat = f"{inv.label(rng, 'vat_id')} {who.vat_id}"
    if lay.footer == "columns":
        third = (page.width - 2 * lay.margin) / 3
        cols = [[who.name, *who.lines[:2]], [f"{inv.label(rng, 'phone')} {who.phone}", who.email, who.website],
                [who.bank, f"IBAN {who.iban}", vat]]
        for c, texts in enumerate(cols):
            for r, text in enumerate(texts):
                page.text(lay.margin + c * third, bottom - 30 + 9 * r, text, 6.5)
    elif lay.footer == "centered":
        page.text(page.width / 2, bottom - 12, f"{who.name} · {' · '.join(who.lines[:2])} · {vat}", 6.5, align="center")
        page.text(page.width / 2, bottom - 3, f"IBAN {who.iban} · BIC {who.bic} · {who.email}", 6.5, align="center")
    page.text(page.width - lay.margin, bottom + 10, page_label, 7, align="right")


def _page_header(page: _Page, inv: _Invoice, lay: _Layout, rng: random.Random) -> None:
    text = f"{inv.issuer.name} - {inv.label(rng, 'title')} {inv.number}"
    page.text(lay.margin, 30, text, 7)


def render(inv: _Invoice, lay: _Layout, rng: random.Random, path: Path) -> None:
    from reportlab.lib.pagesizes import A4, LETTER

    size = LETTER if inv.lang.country == "US" else A4
    fonts = pick(rng, (("Helvetica", "Helvetica-Bold"), ("Helvetica", "Helvetica-Bold"), ("Times-Roman", "Times-Bold")))
    page = _Page(path, size, fonts)
    if lay.page_header:
        _page_header(page, inv, lay, rng)
    top = _letterhead(page, inv, lay, rng) + 20
    address_top = top
    end_customer = _customer_block(page, inv, lay, rng, top)
    if lay.header != "title_beside":
        page.text(lay.margin, end_customer + 26, inv.label(rng, "title"), pick(rng, (13, 15, 18)), bold=True)
        end_customer += 26
    meta_top = end_customer + 18 if lay.meta == "columns" else address_top
    end_meta = _meta_block(page, inv, lay, rng, meta_top)
    top = max(end_customer, end_meta) + 30
    top = _items_table(page, inv, lay, rng, top) + 10
    top = _totals(page, inv, lay, rng, top) + 14
    _terms(page, inv, lay, rng, top)
    _footer(page, inv, lay, rng)
    page.save()


# --------------------------------------------------------------------------- the hook


def synthesize(rng: random.Random, folder: Path, count: int) -> list[SyntheticDoc]:
    """Render ``count`` invoices into ``folder``; the languages take turns, so any five
    consecutive invoices cover EN, DE, FR, NL and ES."""
    folder.mkdir(parents=True, exist_ok=True)
    start = rng.randrange(5)
    docs = []
    for index in range(count):
        lang = _language(rng, index, start)
        inv = _draw_invoice(rng, lang)
        lay = _draw_layout(rng)
        path = folder / f"invoice-{index:05d}.pdf"
        render(inv, lay, rng, path)
        meta = {"language": lang.code, "country": lang.country, "number_style": inv.number_style,
                "date_style": inv.date_style, "currency": inv.currency, "placement": inv.placement,
                "layout": f"{lay.header}/{lay.meta}/{lay.items}/{lay.footer}", "lines": len(inv.lines)}
        docs.append(SyntheticDoc(path, [_truth(inv)], meta))
    return docs
