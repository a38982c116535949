"""The invoice schema, with invoice2data's field names."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from parser_service.plugin_api import Amount, CurrencyCode, ISODate, clean_text, extractive, product_of, sum_of

#: Labels after which the value is usually written, in the languages of our users.
NUMBER_LABELS = (
    "invoice number", "invoice no", "invoice #", "invoice", "bill no", "receipt no", "booking id",
    "credit note", "avoir", "gutschrift", "creditnota", "nota de crédito", "factura rectificativa",
    "facture n°", "n° de facture", "numéro de facture", "facture", "numéro", "rechnungsnummer", "rechnungs-nr",
    "rechnung nr", "beleg-nr", "belegnummer", "rechnung", "factuurnummer", "factuurnr", "factuur nr", "factuur",
    "número de factura", "factura n.º", "nº factura", "factura número", "factura", "nummer", "n°", "nr.", "no.",
)
#: Those of them that name the invoice's number outright, not any number ("Nummer", "Nr."):
#: the document's own name counts where its number follows it ("Handelsrechnung (380) Nr. 471113").
INVOICE_NUMBER_LABELS = (
    "invoice", "rechnung", "rechnungskorrektur", "gutschrift", "facture", "factuur", "factura", "credit note", "avoir",
    "invoice number", "invoice no", "invoice #", "rechnungsnummer", "rechnungs-nr", "rechnung nr", "belegnummer",
    "beleg-nr", "facture n°", "n° de facture", "numéro de facture", "factuurnummer", "factuurnr", "factuur nr",
    "número de factura", "factura n.º", "nº factura", "factura número",
)
#: Labels of numbers that are never the invoice number: tax and company registrations, bank accounts.
REGISTRATION_LABELS = (
    "vat", "tva", "btw", "ust", "mwst", "iva", "gst", "tax id", "tax no", "steuernummer", "steuer-nr", "siret",
    "siren", "rcs", "regist", "reg-nr", "reg.-nr", "kvk", "iban", "bic", "swift", "account", "konto", "compte", "cif", "nif", "gstin", "pan",
)
#: Labels of other documents' and parties' numbers: orders, customers, lines, the invoice a credit note corrects.
OTHER_NUMBER_LABELS = (
    "order", "commande", "bestell", "auftrag", "pedido", "customer", "client", "kunde", "klant", "cliente",
    "numéro de ligne", "facture liée", "related invoice", "original invoice", "ursprüngliche rechnung", "ursprung", "vorausgegangen",
    "reference", "référence", "referenz", "referentie", "dossier",
)
DATE_LABELS = (
    "invoice date", "date of issue", "date de facture", "date de facturation", "rechnungsdatum",
    "factuurdatum", "fecha de factura", "issued", "date", "datum", "fecha", "dated", "vom",
    "facture n°", "invoice no", "rechnung nr", "factuur nr", "factura n",
    # the header line of a letter-style invoice: "Beitragsrechnung   24. Januar 2014",
    # "Vertrag Nr: 00.123.456.7   18. April 2014"
    "rechnung", "nr:", "nr.",
)
#: Those of them that name the invoice's date outright, not any date.
INVOICE_DATE_LABELS = (
    "invoice date", "date of invoice", "date of issue", "issue date", "date de facture", "date de facturation",
    "date d'émission", "rechnungsdatum", "belegdatum", "ausstellungsdatum", "factuurdatum", "fecha de factura",
    "fecha factura", "fecha de emisión",
)
#: Labels of the other dates an invoice carries: due, delivery, order, payment, direct debit.
OTHER_DATE_LABELS = (
    "due", "payable", "pay by", "échéance", "date limite", "fällig", "zahlbar", "vervaldatum", "vencimiento",
    "delivery", "livraison", "liefer", "levering", "entrega", "order date", "commande", "bestell", "orderdatum",
    "pedido", "payment", "paiement", "prélèvement", "zahlung", "betaling", "pago", "period", "période",
    "zeitraum", "periode", "prestation", "leistung", "service",
    "vertrags-datum", "vertragsdatum", "contract date", "date du contrat", "date de contrat", "fecha del contrato",
    "auftrag", "lieferschein", "version", "stand",  # "Stylesheet-Version 2.7 vom 06.05.2026", "Stand 04.03.2014"
)
TOTAL_LABELS = (
    "grand total", "total amount", "amount due", "total due", "total ttc", "montant ttc", "eur ttc", "€ ttc",
    "net à payer", "gesamtbetrag", "rechnungsbetrag", "rechnungsbeitrag", "endbetrag", "zahlbetrag", "zu zahlen",
    "gesamt brutto", "brutto", "due payable", "to pay", "balance due", "invoice total", "total à payer",
    "te betalen", "totaalbedrag", "totaal incl", "importe total", "total a pagar", "total factura", "totaal",
    "total", "gesamt", "summe",
)
UNTAXED_LABELS = (
    "total ht", "montant ht", "net total", "subtotal", "sub total", "total excl", "nettobetrag", "netto",
    "hors taxe", "hors tva", "sans tva", "eur ht", "€ ht", "sous-total", "untaxed", "before tax", "excluding tax",
    "zwischensumme", "summe netto", "gesamt netto", "ohne ust", "ohne mwst", "ohne umsatzsteuer", "subtotaal",
    "excl. btw", "bedrag excl", "base imponible", "importe neto", "sin iva", "net amount", "excl",
)

TAX_LABELS = (
    "total tax", "tax amount", "vat amount", "total vat", "vat", "taxes", "tax", "gst", "mwst", "ust", "umsatzsteuer",
    "steuerbetrag", "tva", "montant tva", "btw", "iva", "cuota iva", "impuestos",
)
#: A company's legal form in its name ("Bei Spiel GmbH", "Coolblue B.V.", "Oravel Stays Pvt. Ltd.").
LEGAL_FORM = (
    r"(?i:\b(?:gmbh|ltd|limited|llc|llp|inc|corp|corporation|plc|pvt|sarl|sasu|bvba|eurl|gbr|spółka|sp\. ?z ?o\.o)\b"
    r"|\b(?:s\.a\.r\.l|s\.a\.s|s\.a|s\.l|s\.l\.u|s\.r\.l|s\.p\.a|s\.coop|b\.v|n\.v|e\.k)\.)"
    r"|\b(?:a\.G|e\.V|e\.G)\.|\b(?:KGaA|eG)\b"
    r"|\b(?:AG|KG|BV|NV|SAS|SARL|SA|SRL|SpA|Oy|AB|A/S|ApS|UG)\b(?![-/]\w)"  # not "Ihr Zeichen: AB-312"
)
#: Labels that open the customer's address, not the issuer's.
RECIPIENT_LABELS = (
    "attn", "bill to", "billed to", "ship to", "shipped to", "sold to", "deliver to", "delivered to", "customer",
    "client", "kunde", "rechnungsempfänger", "lieferadresse", "facturé à", "livré à", "adresse de livraison",
    "adresse de facturation", "factuuradres", "afleveradres", "cliente", "facturar a",
)
#: Labels of the issuer's own block: the line under "Rechnungsersteller" names it. Words
#: that also occur in running text ("Der Verkäufer bleibt Eigentümer") count with a colon.
ISSUER_LABELS = (
    "rechnungsersteller", "rechnungssteller", "rechnungsaussteller", "issued by", "sold by", "émetteur",
    "seller:", "vendor:", "supplier:", "verkäufer:", "fournisseur:", "fournisseur :", "vendeur:", "vendeur :",
    "leverancier:", "proveedor:", "emisor:",
    "name:",  # a party's block of an e-invoice rendering; the buyer's block is left out first (not_under)
)
#: Headings over the issuer's block of an e-invoice rendering or a two-party layout
#: ("Verkäufer" over "Name:   Lieferant GmbH & Co. KG"), and over the buyer's.
SELLER_HEADINGS = (
    "verkäufer", "seller", "supplier", "vendor", "lieferant", "rechnungsersteller", "rechnungssteller",
    "fournisseur", "vendeur", "émetteur", "leverancier", "proveedor", "emisor", "from",
)
BUYER_HEADINGS = (
    *RECIPIENT_LABELS, "käufer", "buyer", "acheteur", "koper", "comprador", "leistungsempfänger", "warenempfänger",
    "abweichender",  # "Abweichender Warenempfänger": another recipient
)
#: Issuer candidates: lines naming a legal form that open with neither a recipient label
#: nor the legal form itself.
ISSUER_LINE = (
    r"^(?!\s*(?i:" + "|".join(re.escape(label) for label in RECIPIENT_LABELS) + r")\b)"
    r"(?!\s*(?:" + LEGAL_FORM + "))"  # "SARL au capital de 10 000 €" names no one
    r"(?!\s*(?:[^\W\d][\w./-]*[ \t]+){0,2}[^\W\d][\w./-]*[ \t]*:)"  # "Name:   X GmbH": the part after it does
    # one line, or a name run over two lines with its legal form on the second
    r"(?:[^\n]*(?:" + LEGAL_FORM + r")[^\n]*\Z|(?:(?!" + LEGAL_FORM + r")[^\n])*\n[^\n]*(?:" + LEGAL_FORM + "))"
)


class InvoiceLine(BaseModel):
    name: str | None = Field(None, description="what the line is for", json_schema_extra=extractive("line", 120))
    qty: Amount | None = Field(None, description="quantity", json_schema_extra=extractive("amount", 10))
    price_unit: Amount | None = Field(None, description="unit price", json_schema_extra=extractive("amount", 16))
    price_subtotal: Amount | None = Field(
        None, description="line total", json_schema_extra=extractive("amount", 16)
    )

    _clean_name = field_validator("name", mode="before")(lambda v: clean_text(v))


class Invoice(BaseModel):
    issuer: str | None = Field(
        None,
        description="name of the company that issued the invoice",
        json_schema_extra=extractive(
            "line", 64, nullable=False, near=ISSUER_LABELS, not_near=RECIPIENT_LABELS, prefer=ISSUER_LINE,
            under=SELLER_HEADINGS, not_under=BUYER_HEADINGS,
        ),
    )
    invoice_number: str | None = Field(
        None, description="the invoice number, as written", json_schema_extra=extractive("code", 24, nullable=False, near=NUMBER_LABELS, not_near=REGISTRATION_LABELS + OTHER_NUMBER_LABELS, right_after=True, first_near=INVOICE_NUMBER_LABELS, not_under=BUYER_HEADINGS)
    )
    date: ISODate | None = Field(
        None, description="date the invoice was issued", json_schema_extra=extractive(
            "date", 24, nullable=False, near=DATE_LABELS, not_near=OTHER_DATE_LABELS, first_near=INVOICE_DATE_LABELS,
            first=True,
        ),
    )
    amount: Amount | None = Field(
        None, description="grand total including tax",
        json_schema_extra=extractive("amount", 16, nullable=False, near=TOTAL_LABELS),
    )
    amount_untaxed: Amount | None = Field(
        None, description="total before tax", json_schema_extra=extractive("amount", 16, near=UNTAXED_LABELS)
    )
    amount_tax: Amount | None = Field(
        None, description="total tax (VAT)", json_schema_extra=extractive("amount", 16, near=TAX_LABELS, only_near=True)
    )
    currency: CurrencyCode | None = Field(
        None, description="currency: code or symbol", json_schema_extra=extractive("currency", 8, nullable=False)
    )
    lines: list[InvoiceLine] = Field(
        default_factory=list, description="invoice lines",
        json_schema_extra=sum_of("price_subtotal", "amount_untaxed", "amount")
        | product_of("price_subtotal", "qty", "price_unit"),
    )  # fmt: skip

    _clean_issuer = field_validator("issuer", "invoice_number", mode="before")(lambda v: clean_text(v))
