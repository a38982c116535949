"""The parties, identifiers and codes real documents are full of.

People and companies with addresses, IBANs with valid check digits, VAT ids,
phone numbers, e-mail addresses and reference codes: the text around the values a
model must find, and the distractors it must not take for them (a customer's name
is not the issuer's; an order number is not the invoice number). Everything is
drawn from the ``random.Random`` passed in, so a seed gives the same documents.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from parser_service.synth.languages import Language

T = TypeVar("T")

#: IBAN layouts: country -> BBAN made of "n" (digit) and "a" (capital letter) places.
_BBAN = {
    "DE": "n" * 18, "FR": "n" * 23, "NL": "aaaa" + "n" * 10, "ES": "n" * 20, "GB": "aaaa" + "n" * 14,
    "BE": "n" * 12, "AT": "n" * 16, "CH": "n" * 17,
}
_BANKS = {
    "DE": ("Sparkasse", "Volksbank", "Commerzbank", "Deutsche Bank"),
    "FR": ("Crédit Agricole", "BNP Paribas", "Société Générale", "La Banque Postale"),
    "NL": ("ING Bank", "Rabobank", "ABN AMRO", "Triodos Bank"),
    "ES": ("Banco Santander", "BBVA", "CaixaBank", "Banco Sabadell"),
    "GB": ("Barclays", "Lloyds Bank", "HSBC UK", "NatWest"),
    "US": ("Chase", "Bank of America", "Wells Fargo", "Citibank"),
}
_VAT = {"DE": "DE" + "n" * 9, "FR": "FR" + "n" * 11, "NL": "NL" + "n" * 9 + "B01", "ES": "ESB" + "n" * 8,
        "GB": "GB" + "n" * 9, "US": "nn-nnnnnnn"}
_PHONE = {"DE": "+49 {a} {b}", "FR": "+33 {a} {b}", "NL": "+31 {a} {b}", "ES": "+34 {a} {b}",
          "GB": "+44 {a} {b}", "US": "({a}) {b}"}


def pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[rng.randrange(len(options))]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _fill(rng: random.Random, pattern: str) -> str:
    out = []
    for place in pattern:
        if place == "n":
            out.append(rng.choice(string.digits))
        elif place == "a":
            out.append(rng.choice(string.ascii_uppercase))
        else:
            out.append(place)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Party:
    """A company or person with a postal address and the identifiers on a letterhead."""

    name: str
    lines: tuple[str, ...]
    country: str
    vat_id: str
    iban: str
    bic: str
    bank: str
    phone: str
    email: str
    website: str

    @property
    def one_line(self) -> str:
        """"Name · Street 1 · 10115 City", as printed above a window envelope's address."""
        return " · ".join((self.name, *self.lines[:2]))


def person(rng: random.Random, lang: Language) -> str:
    return f"{pick(rng, lang.first_names)} {pick(rng, lang.last_names)}"


def company(rng: random.Random, lang: Language) -> str:
    form = pick(rng, lang.company_forms)
    shape = rng.randrange(4)
    if shape == 0:
        return f"{pick(rng, lang.company_words)} {pick(rng, lang.trades)} {form}"
    if shape == 1:
        return f"{pick(rng, lang.last_names)} {pick(rng, lang.trades)} {form}"
    if shape == 2:
        first, second = rng.sample(lang.last_names, 2)
        return f"{first} & {second} {form}"
    return f"{pick(rng, lang.company_words)} {form}"


def address(rng: random.Random, lang: Language) -> tuple[str, ...]:
    street = lang.street_order.format(street=pick(rng, lang.streets), no=rng.randint(1, 180))
    postcode, city = pick(rng, lang.cities)
    if lang.country == "US":
        return (street, f"{city}, {postcode}")
    if lang.country == "GB":
        return (street, city, postcode)
    return (street, f"{postcode} {city}")


def iban(rng: random.Random, country: str, *, grouped: bool = True) -> str:
    """An IBAN with valid check digits ("DE89 3704 0044 0532 0130 00")."""
    bban = _fill(rng, _BBAN.get(country, _BBAN["DE"]))
    country = country if country in _BBAN else "DE"
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    code = f"{country}{98 - int(digits) % 97:02d}{bban}"
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4)) if grouped else code


def bic(rng: random.Random, country: str) -> str:
    return _fill(rng, "aaaa") + (country if len(country) == 2 else "DE") + _fill(rng, pick(rng, ("aa", "aaaaa")))


def vat_id(rng: random.Random, country: str) -> str:
    return _fill(rng, _VAT.get(country, _VAT["DE"]))


def phone(rng: random.Random, country: str) -> str:
    pattern = _PHONE.get(country, _PHONE["DE"])
    return pattern.format(a=_fill(rng, "n" * rng.randint(2, 3)), b=_fill(rng, "nnn nnnn"))


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(c for c in plain if c.isascii() and (c.isalnum() or c == " "))
    words = kept.split()
    return "-".join(words[:2]) or "firma"


def party(rng: random.Random, lang: Language, name: str | None = None) -> Party:
    """A company (or the given ``name``) in ``lang``'s country, with bank and contact details."""
    name = name or company(rng, lang)
    domain = f"{_slug(name)}.{lang.country.lower() if lang.country not in ('US', 'GB') else 'com'}"
    country = lang.country
    return Party(
        name=name,
        lines=address(rng, lang),
        country=country,
        vat_id=vat_id(rng, country),
        iban=iban(rng, country if country != "US" else "GB"),
        bic=bic(rng, country),
        bank=pick(rng, _BANKS.get(country, _BANKS["DE"])),
        phone=phone(rng, country),
        email=f"{pick(rng, ('info', 'billing', 'accounts', 'kontakt', 'factures'))}@{domain}",
        website=f"www.{domain}",
    )


def reference(rng: random.Random, shapes: Sequence[str], year: int) -> str:
    """A code in one of ``shapes``: "n"/"a" places, "{year}" for the year ("RE-{year}-nnnn")."""
    return _fill(rng, pick(rng, shapes).replace("{year}", str(year)))
