"""How dates, numbers and money are written, style by style.

Each style is one way real documents write a value ("1.234,56", "12. März 2024",
"1 234,56 EUR"); a generator picks styles and keeps the written string as the
field's surface. Every style here reads back with ``parser_service.text.normalize``
(a ``mdy_slash`` date only with ``dayfirst=False``, as US exports need).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from parser_service.synth.languages import Language

# --------------------------------------------------------------------------- numbers

#: style -> (thousands separator, decimal mark); "" means no grouping.
NUMBER_STYLES: dict[str, tuple[str, str]] = {
    "en": (",", "."),
    "de": (".", ","),
    "fr": (" ", ","),
    "ch": ("'", "."),
    "plain_dot": ("", "."),
    "plain_comma": ("", ","),
}


def decimal_mark(style: str) -> str:
    return NUMBER_STYLES[style][1]


def format_number(value: float, style: str, decimals: int = 2, *, negative: str = "prefix") -> str:
    """``value`` written in ``style``; ``negative``: "prefix" (-5,00), "suffix" (5,00-) or "parens" ((5,00))."""
    thousands, mark = NUMBER_STYLES[style]
    text = f"{abs(value):,.{decimals}f}"
    text = text.replace(",", "\0").replace(".", mark).replace("\0", thousands)
    if value >= 0 or round(abs(value), decimals) == 0:
        return text
    return {"prefix": f"-{text}", "suffix": f"{text}-", "parens": f"({text})"}[negative]


def format_quantity(value: float, style: str) -> str:
    """A quantity: whole numbers without decimals ("3"), others with two ("2,50")."""
    return format_number(value, style, 0 if float(value).is_integer() else 2)


# --------------------------------------------------------------------------- money

SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
#: Where the currency goes around an amount.
PLACEMENTS = ("symbol_before", "symbol_after", "code_before", "code_after", "none")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount as written: the whole text, the number alone, and the currency mark."""

    text: str
    number: str
    currency: str | None


def format_money(value: float, currency: str, style: str, placement: str) -> Money:
    number = format_number(value, style)
    symbol = SYMBOLS.get(currency, currency)
    if placement == "symbol_before":
        gap = " " if symbol.isalpha() or (symbol == "€" and style != "en") else ""
        return Money(f"{symbol}{gap}{number}", number, symbol)
    if placement == "symbol_after":
        return Money(f"{number} {symbol}", number, symbol)
    if placement == "code_before":
        return Money(f"{currency} {number}", number, currency)
    if placement == "code_after":
        return Money(f"{number} {currency}", number, currency)
    return Money(number, number, None)


# --------------------------------------------------------------------------- dates


def _long(date: datetime.date, lang: Language) -> str:
    month = lang.months[date.month - 1]
    if lang.code == "de":
        return f"{date.day}. {month} {date.year}"
    if lang.code == "es":
        return f"{date.day} de {month} de {date.year}"
    return f"{date.day} {month} {date.year}"


DATE_STYLES: dict[str, Callable[[datetime.date, Language], str]] = {
    "iso": lambda d, _: d.isoformat(),
    "dmy_dot": lambda d, _: d.strftime("%d.%m.%Y"),
    "dmy_dot_short": lambda d, _: d.strftime("%d.%m.%y"),
    "dmy_slash": lambda d, _: d.strftime("%d/%m/%Y"),
    "dmy_dash": lambda d, _: d.strftime("%d-%m-%Y"),
    "mdy_slash": lambda d, _: d.strftime("%m/%d/%Y"),
    "compact": lambda d, _: d.strftime("%Y%m%d"),
    "long": _long,
    "long_us": lambda d, lang: f"{lang.months[d.month - 1]} {d.day}, {d.year}",
    "short_month": lambda d, lang: f"{d.day:02d} {lang.months[d.month - 1][:3]} {d.year}",
}

#: Styles that put the month first: they read back only month-first.
MONTH_FIRST = frozenset({"mdy_slash"})


def format_date(date: datetime.date, style: str, lang: Language) -> str:
    return DATE_STYLES[style](date, lang)
