"""How alike a column's header and a field's name or description are, across languages.

A header and a field name are cut into words ("JournalDate" -> journal, date;
"Name* (s.name)" -> name), compounds are split where both halves are known words
("productnaam" -> product, naam; "zipcode" -> zip, code), and each word is replaced by
its concept from ``GLOSSARY``, a small multilingual vocabulary of words common in
business tables (English, German, Dutch, French, Spanish, Italian). Two word lists are
then compared as sets: shared concepts, or words alike in their character trigrams
("adress" ~ "address"), over the words of both. The glossary holds meanings, not
fields: no schema's field names are written in it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: concept -> its words, in several languages. A word of four letters or more that
#: begins one of these ("eenh." -> "eenheid") is read as its abbreviation.
GLOSSARY: dict[str, str] = {
    "name": "name, naam, nom, nombre, nome, bezeichnung, benennung, namn, navn",
    "first": "first, given, forename, vorname, voornaam, prenom, nombre de pila",
    "last": "last, surname, family, nachname, familienname, achternaam, apellido, apellidos, cognome",
    "company": "company, organisation, organization, org, firma, unternehmen, bedrijf, societe, entreprise,"
    " empresa, azienda, business, corporation, firm",
    "email": "email, mail, courriel, correo, posta elettronica",
    "phone": "phone, telephone, tel, telefon, telefoon, telefono, mobile, mobil, cell, cellphone, gsm, handy, fon",
    "fax": "fax, telefax",
    "address": "address, adresse, adres, direccion, indirizzo, anschrift",
    "street": "street, strasse, str, straat, rue, calle, via, road",
    "zip": "zip, postcode, postleitzahl, plz, postcode, postnummer, cap, cp",
    "city": "city, town, ort, stadt, plaats, woonplaats, ville, ciudad, citta, localite, municipality",
    "state": "state, province, region, county, bundesland, provincie, provincia, departement",
    "country": "country, land, pays, pais, paese, nation",
    "price": "price, prijs, preis, prix, precio, prezzo, tarif, tariff",
    "cost": "cost, kosten, kost, cout, coste, costo",
    "amount": "amount, bedrag, betrag, montant, importe, importo, sum, summe, som, total",
    "unit": "unit, eenheid, einheit, unite, unidad, unita, uom, measure",
    "quantity": "quantity, qty, menge, anzahl, aantal, hoeveelheid, quantite, cantidad, quantita",
    "category": "category, categorie, kategorie, categoria, rubriek, rubrik",
    "group": "group, groep, gruppe, groupe, grupo, gruppo",
    "number": "number, nr, no, num, nummer, numero, nro",
    "article": "article, artikel, art, item, product, produkt, produit, producto, prodotto, ware, goods",
    "code": "code, sku, kennung, codigo, codice",
    "identifier": "id, identifier, ident, key",
    "reference": "reference, ref, referentie, referenz, referencia, riferimento",
    "description": "description, beschreibung, omschrijving, descripcion, descrizione, libelle, details, detail, memo",
    "date": "date, datum, fecha, data, jour",
    "time": "time, zeit, tijd, heure, hora, ora, timestamp",
    "currency": "currency, wahrung, waehrung, munt, valuta, devise, moneda",
    "tax": "tax, vat, btw, mwst, ust, tva, iva, steuer, belasting",
    "note": "note, notes, notitie, notiz, remark, comment, opmerking, bemerkung, anmerkung, commentaire",
    "website": "website, url, web, homepage, site, webseite, internet",
    "iban": "iban, bban",
    "account": "account, konto, rekening, compte, cuenta, conto",
    "customer": "customer, client, kunde, klant, cliente, klient",
    "payee": "payee, beneficiary, counterparty, recipient, begunstigde, tegenpartij, empfanger, empfaenger,"
    " begunstigter, beguenstigter, zahlungsempfanger, zahlungsbeteiligter, beneficiaire, beneficiario",
    "order": "order, bestellung, bestelling, commande, pedido, ordine",
    "supplier": "supplier, vendor, lieferant, leverancier, fournisseur, proveedor, fornitore",
    "sale": "sale, sales, selling, verkauf, verkoop, vente, venta, vendita",
    "purchase": "purchase, buying, einkauf, inkoop, achat, compra, acquisto",
    "status": "status, zustand, stato, estado",
    "balance": "balance, saldo, solde, kontostand",
    "weight": "weight, gewicht, poids, peso",
}
#: Word pairs that are one concept ("zip code", "e mail", "post code").
PHRASES: dict[tuple[str, ...], str] = {
    ("zip", "code"): "zip",
    ("postal", "code"): "zip",
    ("post", "code"): "zip",
    ("code", "postal"): "zip",
    ("codigo", "postal"): "zip",
    ("e", "mail"): "email",
    ("e", "mailadres"): "email",
    ("web", "site"): "website",
    ("mobile", "phone"): "phone",
}
#: Words that say nothing about a column's content.
STOP = frozenset({
    "the", "of", "a", "an", "per", "in", "at", "to", "for", "and", "or", "with", "by", "from", "de", "der", "die", "das",
    "den", "het", "een", "van", "le", "la", "les", "du", "des", "el", "los", "las", "en", "et", "y", "ou", "o",
})  # fmt: skip
#: Concepts that say little alone ("Customer Name" is no more a name than a customer):
#: they weigh ``GENERIC_WEIGHT`` of another word in a likeness.
GENERIC = frozenset({"name", "number", "code", "identifier", "reference"})
GENERIC_WEIGHT = 0.5
#: Two words whose trigram likeness reaches this are one word ("adress" ~ "address").
ALIKE = 0.75


def _words_of(concept_words: str) -> list[str]:
    return [w.strip() for w in concept_words.split(",") if w.strip()]


@functools.cache
def _concept_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for concept, words in GLOSSARY.items():
        for word in _words_of(words):
            for token in _fold(word).split():
                index.setdefault(token, concept)
    return index


def _fold(text: str) -> str:
    """Lower case, no accents, camelCase cut, every other character a space."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)", " ", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", plain)


def _split_compound(token: str) -> list[str]:
    """ "productnaam" -> product, naam where both halves are glossary words; else
    "ordernummer" -> ordernummer's known half and the rest, where the rest has four
    letters or more."""
    index = _concept_index()
    if token in index or len(token) < 6:
        return [token]
    cuts = range(3, len(token) - 2)
    for cut in cuts:
        if token[:cut] in index and token[cut:] in index:
            return [token[:cut], token[cut:]]
    for cut in cuts:
        left, right = token[:cut], token[cut:]
        if (left in index and len(right) >= 4) or (right in index and len(left) >= 4):
            return [left, right]
    return [token]


def _concept(token: str, abbreviated: bool = True) -> str:
    """The token's concept, or the token (stemmed: a plural's "s" dropped); with
    ``abbreviated``, also the concept of the one glossary word it begins (not for a
    compound's half: "tegen" of "tegenrekening" abbreviates nothing)."""
    index = _concept_index()
    if token in index:
        return index[token]
    stem = token[:-1] if len(token) > 3 and token.endswith("s") else token
    if stem in index:
        return index[stem]
    if abbreviated and len(token) >= 4:
        found = sorted({c for word, c in index.items() if word.startswith(token)})
        if len(found) == 1:
            return found[0]
    return stem


@functools.lru_cache(maxsize=8192)
def concepts(text: str) -> tuple[str, ...]:
    """The distinct concepts of a header or phrase, in order; words of one letter,
    digits and stop words left out."""
    pieces = [
        (part, len(parts) == 1) for token in _fold(text).split() for parts in [_split_compound(token)] for part in parts
    ]
    whole = {t for t, alone in pieces if alone}
    tokens = [t for t, _ in pieces if not t.isdigit() and t not in STOP]
    merged: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if pair in PHRASES:
            merged.append(PHRASES[pair])
            i += 2
            continue
        if len(tokens[i]) > 1:
            merged.append(_concept(tokens[i], tokens[i] in whole))
        i += 1
    return tuple(dict.fromkeys(merged))


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@functools.lru_cache(maxsize=65536)
def word_likeness(a: str, b: str) -> float:
    """Dice coefficient of the two words' character trigrams."""
    if a == b:
        return 1.0
    x, y = _trigrams(a), _trigrams(b)
    return 2 * len(x & y) / (len(x) + len(y))


def _weight(concept: str) -> float:
    return GENERIC_WEIGHT if concept in GENERIC else 1.0


def likeness(header: str, phrase: str) -> float:
    """Weighted share of the two texts' concepts that match (Dice over the concept sets,
    generic concepts weighing less)."""
    a, b = concepts(header), concepts(phrase)
    if not a or not b:
        return 0.0
    matched = sum(_weight(x) for x in b if any(word_likeness(x, y) >= ALIKE for y in a))
    return 2 * matched / (sum(map(_weight, a)) + sum(map(_weight, b)))
