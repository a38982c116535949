"""Language of a text from its most common words, for the languages plugins target.

Cheap and reliable on real documents where a 135M model is not: the metadata step
uses it when one language clearly wins and asks the model only otherwise.
"""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(["the", "and", "of", "to", "for", "in", "is", "on", "with", "this", "that", "from", "your", "you", "are", "by", "at", "be", "total", "date", "invoice", "amount", "payment", "account", "customer", "price", "description"]),
    "de": frozenset(["der", "die", "das", "und", "mit", "für", "von", "den", "dem", "des", "ist", "nicht", "sie", "ein", "eine", "zu", "auf", "rechnung", "betrag", "datum", "summe", "gesamt", "kunde", "netto", "auftraggeber", "buchungstag"]),
    "fr": frozenset(["le", "la", "les", "et", "des", "du", "de", "pour", "en", "au", "aux", "est", "une", "un", "sur", "par", "avec", "vous", "facture", "montant", "tva", "prix", "client", "échéance"]),
    "nl": frozenset(["de", "het", "een", "en", "van", "voor", "met", "op", "is", "niet", "te", "naar", "bij", "uw", "zijn", "factuur", "bedrag", "datum", "totaal", "btw", "klant", "prijs", "omschrijving", "naam", "rekening"]),
    "es": frozenset(["el", "la", "los", "las", "y", "de", "del", "para", "en", "con", "por", "una", "un", "es", "que", "su", "factura", "importe", "fecha", "iva", "precio", "cliente"]),
    "it": frozenset(["il", "lo", "la", "gli", "le", "e", "di", "del", "della", "per", "con", "che", "una", "un", "è", "su", "fattura", "importo", "data"]),
    "pt": frozenset(["o", "a", "os", "as", "e", "de", "do", "da", "dos", "das", "para", "com", "em", "um", "uma", "que", "por", "fatura", "valor", "data"]),
    "pl": frozenset(["i", "w", "z", "na", "do", "się", "nie", "jest", "od", "dla", "oraz", "po", "faktura", "nr", "data", "kwota", "razem", "cena", "wartość", "netto", "brutto", "nabywca", "sprzedawca"]),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 4
MARGIN = 1.5


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when no language clearly wins."""
    words = Counter(w.lower() for w in _WORD.findall(text))
    scores = {lang: sum(words[w] for w in stop) for lang, stop in STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= MIN_HITS and top >= MARGIN * second:
        return best
    return None
