"""Normalise values a model copies out of documents: dates, amounts, currencies, text.

The model is asked to copy values as written ("13.11.2017", "1.234,56 €"); this
module turns them into typed values. Pure Python: stdlib and pydantic only.

Decisions a caller must know:

* Dates: compact dates are year-month-day ("20240131"), also with a time after
  them ("20091224120000", "200912241200"). Numeric dates with the year last
  ("05/03/2021", "05.03.2021", "05-03-2021") are read day-first unless
  ``dayfirst=False`` is given. A part above 12 always decides the order,
  whatever ``dayfirst`` says, because only one reading is possible. To read a US-style column consistently, call
  :func:`infer_dayfirst` on the whole column and pass the result on. Where no value
  decides (every date has day and month <= 12), :func:`dayfirst_by_order` decides from
  the rows' order: the reading under which the column is sorted (a statement lists its
  transactions ascending or descending) and its consecutive dates lie closest together.
  Year-first dates ("2017-11-13", "2017/11/13") are always year-month-day.
  Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999.
* Numbers: a single '.' or ',' followed by exactly three digits (and preceded
  by one to three digits, not a lone "0") is a thousands separator:
  "1.234" and "1,234" are both 1234.0, while "0,500" is 0.5 and "1234.567"
  is 1234.567. Spaces and apostrophes are always thousands separators.
  Indian grouping ("1,00,000") is accepted.
* Currencies: "$" alone is USD and "¥" alone is JPY; "kr" is refused as
  ambiguous (SEK, NOK, DKK, ISK).
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, ValidationInfo

__all__ = [
    "IBAN",
    "ISO_CURRENCIES",
    "URI",
    "Amount",
    "CountryCode",
    "CurrencyCode",
    "Email",
    "ISODate",
    "ISODateTime",
    "Phone",
    "clean_text",
    "dayfirst_by_order",
    "infer_dayfirst",
    "to_country",
    "to_currency",
    "to_date",
    "to_datetime",
    "to_email",
    "to_iban",
    "to_number",
    "to_phone",
    "to_uri",
]

# --------------------------------------------------------------------------- dates

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "januar", "janvier", "januari", "enero", "jaenner", "janner"),
    2: ("february", "februar", "fevrier", "februari", "febrero"),
    3: ("march", "maerz", "marz", "mars", "maart", "marzo", "mrz", "mrt"),
    4: ("april", "avril", "abril"),
    5: ("may", "mai", "mei", "mayo"),
    6: ("june", "juni", "juin", "junio"),
    7: ("july", "juli", "juillet", "julio"),
    8: ("august", "aout", "augustus", "agosto"),
    9: ("september", "septembre", "septiembre", "setiembre"),
    10: ("october", "oktober", "octobre", "octubre"),
    11: ("november", "novembre", "noviembre"),
    12: ("december", "dezember", "decembre", "diciembre"),
}
_MONTH_BY_NAME: dict[str, int] = {n: m for m, names in _MONTH_NAMES.items() for n in names}


def _months_by_prefix() -> dict[str, set[int]]:
    """Every start of three letters or more of a month's name -> the months it may begin
    (looked up once per word: a column of 10,000 words was 40% of a table's mapping)."""
    out: dict[str, set[int]] = {}
    for name, month in _MONTH_BY_NAME.items():
        for end in range(3, len(name) + 1):
            out.setdefault(name[:end], set()).add(month)
    return out


_MONTHS_BY_PREFIX = _months_by_prefix()

_DATE_FILLERS = frozenset({"de", "del", "of", "the", "le", "den", "der", "am", "el", "op"})
_WEEKDAYS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]
)

_TIME_SUFFIX = re.compile(
    r"(?:[T\s]+|,\s*)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?"
    r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_YMD = re.compile(r"^(\d{4})([./-])(\d{1,2})\2(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$")
#: 20240131, and a timestamp written the same way (202401311230, 20240131123000); 47110818
#: is a number. The time must be one too (hour below 24, minutes and seconds below 60).
_COMPACT = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:([01]\d|2[0-3])([0-5]\d)([0-5]\d)?)?$")
_DAY_TOKEN = re.compile(r"^(\d{1,4})(?:st|nd|rd|th|er|re|e|o|a)?$")


def _fold(text: str) -> str:
    """Lower-case and drop accents: "März" -> "marz"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _year(token: str) -> int:
    if len(token) == 2:
        value = int(token)
        return 2000 + value if value <= 69 else 1900 + value
    if len(token) == 4:
        return int(token)
    raise ValueError(f"bad year {token!r}")


def _make_date(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)  # raises ValueError on impossible dates


def _order(a: int, b: int, dayfirst: bool | None) -> bool:
    """True when (a, b) is (day, month)."""
    if a > 12 >= b:
        return True
    if b > 12 >= a:
        return False
    return True if dayfirst is None else dayfirst


def _numeric_date(text: str, dayfirst: bool | None) -> datetime.date | None:
    if m := _YMD.match(text):
        return _make_date(int(m[1]), int(m[3]), int(m[4]))
    if m := _COMPACT.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(text):
        a, b = int(m[1]), int(m[3])
        day, month = (a, b) if _order(a, b, dayfirst) else (b, a)
        return _make_date(_year(m[4]), month, day)
    return None


def _month_from_word(word: str) -> int | None:
    if word in _MONTH_BY_NAME:
        return _MONTH_BY_NAME[word]
    found = _MONTHS_BY_PREFIX.get(word, ())  # a start shorter than three letters is none
    return next(iter(found)) if len(found) == 1 else None


def _text_date(text: str) -> datetime.date | None:
    tokens = re.sub(r"[,./\-]", " ", _fold(text)).split()
    numbers: list[str] = []
    month: int | None = None
    for token in tokens:
        if m := _DAY_TOKEN.match(token):
            numbers.append(m[1])
        elif token in _DATE_FILLERS or token in _WEEKDAYS:
            continue
        elif month is None and (found := _month_from_word(token)) is not None:
            month = found
        else:
            return None
    if month is None or len(numbers) != 2:
        return None
    first, second = numbers
    if len(first) == 4:
        first, second = second, first
    return _make_date(_year(second), month, int(first))


def _clean_date_text(value: str) -> str:
    text = " ".join(value.replace("\u00a0", " ").split())
    text = _TIME_SUFFIX.sub("", text)
    if re.fullmatch(r"[\d./\-\s]+", text):
        text = re.sub(r"\s*([./-])\s*", r"\1", text).rstrip(".")
    return text


def to_date(value: object, *, dayfirst: bool | None = None) -> datetime.date:
    """Read a date written in any common layout; see the module notes on order."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a date")
    return _date_from_text(value, dayfirst)


@functools.lru_cache(maxsize=4096)
def _date_from_text(value: str, dayfirst: bool | None) -> datetime.date:
    """``to_date`` of a string, remembered: a bank export repeats each day's date on
    many rows (a date is immutable, so sharing one is safe; a failure is not kept)."""
    text = _clean_date_text(value)
    try:
        result = _numeric_date(text, dayfirst) or _text_date(text)
    except ValueError as exc:
        raise ValueError(f"cannot read {value!r} as a date: {exc}") from None
    if result is None:
        raise ValueError(f"cannot read {value!r} as a date")
    return result


def infer_dayfirst(samples: Iterable[object]) -> bool | None:
    """Day/month order of a column: True/False when some sample has a part > 12.

    Returns None when nothing decides, or when samples contradict each other
    (a mixed column); :func:`to_date` then falls back to its per-value rules.
    """
    votes: set[bool] = set()
    for sample in samples:
        if not isinstance(sample, str):
            continue
        m = _DMY.match(_clean_date_text(sample))
        if m is None:
            continue
        a, b = int(m[1]), int(m[3])
        if a > 12 >= b:
            votes.add(True)
        elif b > 12 >= a:
            votes.add(False)
    return votes.pop() if len(votes) == 1 else None


def dayfirst_by_order(samples: Sequence[object]) -> bool | None:
    """Day/month order of a column no value decides (every date has day and month <= 12),
    from the order of its rows, ``samples`` in row order.

    A statement lists its transactions in date order, ascending or descending, and its
    consecutive dates lie days apart, not months. Each reading (day-first, month-first)
    is scored by whether the column is then sorted either way, then by the sum of the
    steps between consecutive dates; the reading better on the first count, or equal on
    it and smaller on the second, decides. None when the readings tie (one date, or
    every date with day == month) or a sample is not a numeric day/month/year date.
    """
    texts = [_clean_date_text(s) for s in samples if isinstance(s, str) and s.strip()]
    if len(texts) < 2 or not all(_DMY.match(t) for t in texts):
        return None
    try:
        scores = {first: _order_score([_date_from_text(t, first) for t in texts]) for first in (True, False)}
    except ValueError:
        return None
    if scores[True] == scores[False]:
        return None
    return scores[True] > scores[False]


def _order_score(dates: Sequence[datetime.date]) -> tuple[bool, int]:
    """(sorted ascending or descending, minus the sum of the steps in days): higher is likelier."""
    steps = [(b - a).days for a, b in zip(dates, dates[1:])]
    ordered = all(s >= 0 for s in steps) or all(s <= 0 for s in steps)
    return ordered, -sum(abs(s) for s in steps)


# --------------------------------------------------------------------------- numbers

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2009\u202f\u200a\u2008\u3000"), " ")
_MINUS = dict.fromkeys(map(ord, "\u2212\u2012\u2013\u2014\ufe63\uff0d"), "-")
_CORE = re.compile(r"\d(?:[\d.,'\u2019 ]*\d)?")
#: "-1234.5", "12.50", "7": read by ``float`` at once (the common case of a machine export).
_PLAIN_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d{1,2})?")


def _check_groups(groups: list[str], sep: str, text: object) -> None:
    """Thousands groups: 1-3 digits, then threes (with ',' Indian twos, then a three)."""
    head, rest = groups[0], groups[1:]
    ok = 1 <= len(head) <= 3 and bool(rest) and len(rest[-1]) == 3
    middle = {len(g) for g in rest[:-1]}
    indian = sep == "," and middle == {2}
    if not ok or (middle - {3} and not indian):
        raise ValueError(f"cannot read {text!r} as a number: bad digit grouping")


def _split_decimal(core: str, text: object) -> tuple[str, str]:
    """Split the digits into (integer part with separators, fraction digits)."""
    fixed_seps = {c for c in core if c in "'\u2019 "}
    marks = [c for c in core if c in ".,"]
    if not marks:
        return core, ""
    last = marks[-1]
    if len(set(marks)) == 2:
        if marks.count(last) != 1:
            raise ValueError(f"cannot read {text!r} as a number")
        head, frac = core.rsplit(last, 1)
        return head, frac
    if len(marks) > 1:
        return core, ""
    head, frac = core.split(last)
    digits_before = re.sub(r"\D", "", head)
    if not fixed_seps and len(frac) == 3 and 1 <= len(head) <= 3 and head != "0":
        return core, ""
    if not digits_before:
        raise ValueError(f"cannot read {text!r} as a number")
    return head, frac


def _parse_core(core: str, text: object) -> float:
    head, frac = _split_decimal(core, text)
    if not frac.isdigit() and frac:
        raise ValueError(f"cannot read {text!r} as a number")
    groups = re.split(r"[.,'\u2019 ]", head)
    if len(groups) > 1:
        seps = {c for c in head if not c.isdigit()}
        if len(seps) > 1:
            raise ValueError(f"cannot read {text!r} as a number: mixed separators")
        _check_groups(groups, seps.pop(), text)
    return float(f"{''.join(groups)}.{frac or '0'}")


def _affix_sign(prefix: str, suffix: str, text: object) -> bool:
    """True when the text around the number says it is negative."""
    for part in (prefix, suffix):
        leftover = re.sub(r"[\s.:()+\-]", "", part)
        if any(c.isdigit() or not (c.isalpha() or unicodedata.category(c) == "Sc") for c in leftover):
            raise ValueError(f"cannot read {text!r} as a number")
    negatives = prefix.count("-") + suffix.count("-")
    parens = "(" in prefix and ")" in suffix
    if negatives + parens > 1 or ("(" in prefix) != (")" in suffix):
        raise ValueError(f"cannot read {text!r} as a number")
    return bool(negatives or parens)


def to_number(value: object) -> float:
    """Read an amount such as "1.234,56", "(12.50)", "£1,183.23" or "12.50-"."""
    if isinstance(value, bool):
        raise ValueError(f"cannot read {value!r} as a number")
    if isinstance(value, int | float | Decimal):
        result = float(value)
        if not math.isfinite(result):
            raise ValueError(f"cannot read {value!r} as a number")
        return result
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a number")
    if _PLAIN_NUMBER.fullmatch(value):
        return float(value) or 0.0  # no -0.0
    text = value.translate(_SPACES).translate(_MINUS).strip()
    match = _CORE.search(text)
    if match is None:
        raise ValueError(f"cannot read {value!r} as a number")
    core, prefix, suffix = match[0], text[: match.start()], text[match.end() :]
    if re.search(r"(?:^|[^\w.])[.,]$", prefix) or prefix in {".", ","}:
        core, prefix = "0" + prefix[-1] + core, prefix[:-1]
    negative = _affix_sign(prefix, suffix, value)
    result = round(_parse_core(core, value), 10)
    return -result if negative and result else result


# --------------------------------------------------------------------------- currencies

ISO_CURRENCIES: frozenset[str] = frozenset(
    ["EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "INR", "PKR", "LKR", "BDT", "NPR", "IDR", "MYR", "THB", "PHP", "KRW", "TWD", "VND", "SEK", "NOK", "DKK", "ISK", "PLN", "CZK", "HUF", "RON", "BGN", "RSD", "RUB", "UAH", "TRY", "ILS", "AED", "SAR", "QAR", "KWD", "EGP", "MAD", "ZAR", "NGN", "KES", "MXN", "BRL", "ARS", "CLP", "COP", "PEN"]
)

_CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR", "$": "USD", "us$": "USD", "£": "GBP", "¥": "JPY", "￥": "JPY", "円": "JPY",
    "元": "CNY", "rmb": "CNY", "₹": "INR", "rs": "INR", "₨": "INR", "zł": "PLN",
    "ca$": "CAD", "c$": "CAD", "can$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD",
    "hk$": "HKD", "s$": "SGD", "r$": "BRL", "mx$": "MXN", "₩": "KRW", "₽": "RUB",
    "₺": "TRY", "₪": "ILS", "₫": "VND", "฿": "THB", "₱": "PHP", "₦": "NGN", "₴": "UAH",
    "kč": "CZK", "ft": "HUF", "fr": "CHF", "sfr": "CHF", "chf": "CHF", "lei": "RON",
}

_CURRENCY_NAMES: dict[str, tuple[str, ...]] = {
    "EUR": ("euro", "euros", "eur"),
    "USD": ("dollar", "dollars", "us dollar", "us dollars", "u.s. dollar", "u.s. dollars",
            "dollar americain", "dollars americains", "dolar", "dolares",
            "dolar estadounidense", "amerikanischer dollar", "amerikaanse dollar"),
    "GBP": ("pound", "pounds", "pound sterling", "pounds sterling", "sterling",
            "british pound", "british pounds", "livre sterling", "livres sterling",
            "pfund", "pfund sterling", "britisches pfund", "britse pond", "libra esterlina"),
    "JPY": ("yen", "japanese yen", "yen japonais", "japanischer yen"),
    "CNY": ("yuan", "renminbi", "chinese yuan"),
    "INR": ("rupee", "rupees", "indian rupee", "indian rupees", "roupie", "roupies",
            "rupia", "rupias", "indische rupie"),
    "PLN": ("złoty", "zloty", "zlotys", "złote", "zlote", "złotych", "zlotych"),
    "CHF": ("swiss franc", "swiss francs", "schweizer franken", "franken", "franc suisse",
            "francs suisses", "zwitserse frank", "franco suizo"),
    "CAD": ("canadian dollar", "canadian dollars", "dollar canadien", "dollars canadiens",
            "kanadischer dollar", "canadese dollar", "dolar canadiense"),
    "AUD": ("australian dollar", "australian dollars", "dollar australien",
            "australischer dollar"),
    "NZD": ("new zealand dollar", "new zealand dollars"),
    "SEK": ("swedish krona", "swedish kronor", "schwedische krone", "couronne suedoise"),
    "NOK": ("norwegian krone", "norwegian kroner", "norwegische krone"),
    "DKK": ("danish krone", "danish kroner", "daenische krone", "danische krone"),
    "CZK": ("czech koruna", "koruna", "korun"),
    "HUF": ("forint", "forints", "hungarian forint"),
    "RUB": ("rouble", "roubles", "ruble", "rubles", "russian ruble"),
    "ZAR": ("rand", "south african rand"),
    "BRL": ("real", "reais", "brazilian real"),
    "MXN": ("mexican peso", "mexican pesos", "peso mexicano", "pesos mexicanos"),
    "TRY": ("turkish lira", "lira", "turk lirasi"),
}
_CURRENCY_BY_NAME: dict[str, str] = {
    **{_fold(n): code for code, names in _CURRENCY_NAMES.items() for n in names},
    **_CURRENCY_SYMBOLS,
}
_AMBIGUOUS_CURRENCY: dict[str, str] = {
    "kr": "SEK, NOK, DKK or ISK", "kr.": "SEK, NOK, DKK or ISK", "krone": "NOK or DKK",
    "kroner": "NOK or DKK", "krona": "SEK or ISK", "franc": "CHF, XOF, ...",
    "francs": "CHF, XOF, ...", "peso": "MXN, ARS, ...", "pesos": "MXN, ARS, ...",
}


def _currency_words(text: str) -> str:
    """Drop the amount and signs, keep the currency words: "671,15 €" -> "€"."""
    text = text.translate(_SPACES).translate(_MINUS)
    text = re.sub(r"\d[\d.,'\u2019 ]*", " ", text)
    text = re.sub(r"[()+]", " ", text).replace("-", " ")
    return " ".join(text.split()).strip(" .:").casefold()


def _lookup_currency(words: str, value: object) -> str | None:
    if words in _AMBIGUOUS_CURRENCY:
        raise ValueError(f"ambiguous currency {value!r}: could be {_AMBIGUOUS_CURRENCY[words]}")
    folded = words if words in _CURRENCY_BY_NAME else _fold(words)
    if (code := _CURRENCY_BY_NAME.get(folded)) is not None:
        return code
    if re.fullmatch(r"[a-z]{3}", words):
        if words.upper() in ISO_CURRENCIES:
            return words.upper()
        raise ValueError(f"unknown currency code {value!r}")
    return None


def to_currency(value: object) -> str:
    """ISO 4217 code from a code, symbol, name, or an amount with a symbol."""
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a currency")
    words = _currency_words(value)
    if not words:
        raise ValueError(f"cannot read {value!r} as a currency")
    if (code := _lookup_currency(words, value)) is not None:
        return code
    codes = {_lookup_currency(w.strip("."), value) for w in words.split()}
    if len(codes) == 1 and None not in codes:
        return codes.pop()  # type: ignore[return-value]
    raise ValueError(f"cannot read {value!r} as a currency")


# --------------------------------------------------------------------------- text

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def clean_text(value: object) -> str | None:
    """Collapse whitespace and strip; empty (or None) gives None."""
    if value is None:
        return None
    text = " ".join(str(value).translate(_INVISIBLE).split())
    return text or None


# --------------------------------------------------------------------------- formats

_DATETIME = re.compile(r"(.+?)(?:[T\s]+|,\s*)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*([ap]\.?m\.?)?\s*(Z|[+-]\d{2}:?\d{2})?$",
                       re.IGNORECASE)  # fmt: skip
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*|www\.[^\s/?#]+\.[A-Za-z]{2,}[^\s]*")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def to_datetime(value: object, *, dayfirst: bool | None = None) -> datetime.datetime:
    """A date with a time of day, in any layout ``to_date`` reads ("13.11.2017 14:05",
    "2017-11-13T14:05:00Z", "Nov 13, 2017 2:05 pm"); a zone, when written, is kept.
    A date with no time is refused: a date-time is not a day."""
    if isinstance(value, datetime.datetime):
        return value
    match = _DATETIME.fullmatch(" ".join(value.split())) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"cannot read {value!r} as a date with a time")
    day, hour, minute, second, half, zone = match.groups()
    hour = _hour(int(hour), half)
    stamp = datetime.datetime.combine(to_date(day, dayfirst=dayfirst), datetime.time(hour, int(minute), int(second or 0)))
    return stamp.replace(tzinfo=_zone(zone)) if zone else stamp


def _hour(hour: int, half: str | None) -> int:
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(f"{hour} is no hour of a 12-hour clock")
    return hour % 12 + (12 if half.lower().startswith("p") else 0)


def _zone(zone: str) -> datetime.tzinfo:
    if zone.upper() == "Z":
        return datetime.UTC
    digits = zone[1:].replace(":", "")
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return datetime.timezone(-offset if zone[0] == "-" else offset)


def to_email(value: object) -> str:
    """An e-mail address, lower-cased, without "mailto:" or angle brackets."""
    text = str(value).strip().strip("<>").removeprefix("mailto:").strip() if isinstance(value, str) else ""
    if not _EMAIL.fullmatch(text):
        raise ValueError(f"cannot read {value!r} as an e-mail address")
    return text.casefold()


def to_uri(value: object) -> str:
    """An absolute URI; "www.example.org" gets "https://". Scheme and host lower-cased."""
    text = value.strip().rstrip(".,;)") if isinstance(value, str) else ""
    if not _URI.fullmatch(text):
        raise ValueError(f"cannot read {value!r} as a URI")
    if text.lower().startswith("www."):
        text = "https://" + text
    scheme, _, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def to_iban(value: object) -> str:
    """An IBAN without spaces, upper-cased, its ISO 13616 check digits verified (mod 97)."""
    text = "".join(value.split()).replace("-", "").upper() if isinstance(value, str) else ""
    text = text.removeprefix("IBAN:").removeprefix("IBAN")
    if not _IBAN.fullmatch(text):
        raise ValueError(f"cannot read {value!r} as an IBAN")
    moved = text[4:] + text[:4]
    if int("".join(str(int(c, 36)) for c in moved)) % 97 != 1:
        raise ValueError(f"{value!r}: the IBAN's check digits do not match")
    return text


def to_phone(value: object) -> str:
    """A phone number as digits, "+" and the country code first where written ("00"
    counts as "+"), the trunk "(0)" after it dropped: "+49 (0)30 1234-56" -> "+4930123456".
    7 to 15 digits (E.164); a number written without its country code stays national."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or re.search(r"[^\d\s()+./-]", text):
        raise ValueError(f"cannot read {value!r} as a phone number")
    international = text.startswith(("+", "00"))
    text = re.sub(r"^(\+|00)", "", text)
    if international:
        text = text.replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        raise ValueError(f"{value!r}: a phone number has 7 to 15 digits")
    return ("+" if international else "") + digits


def to_country(value: object) -> str:
    """ISO 3166-1 alpha-2 from a code (alpha-2 or alpha-3) or a name in English, German,
    French, Dutch or Spanish (``parser_service.text.countries``)."""
    from parser_service.text.countries import by_name

    folded = _fold(" ".join(value.split()).strip(" .,")) if isinstance(value, str) else ""
    code = by_name().get(folded)
    if code is None:
        raise ValueError(f"cannot read {value!r} as a country")
    return code


# --------------------------------------------------------------------------- pydantic


def _date_before(value: object, info: ValidationInfo) -> object:
    """``to_date``, in the day/month order the validation context gives ("dayfirst"),
    where the caller inferred one for the whole document (``infer_dayfirst``)."""
    dayfirst = info.context.get("dayfirst") if isinstance(info.context, dict) else None
    return value if value is None else to_date(value, dayfirst=dayfirst)


def _number_before(value: object) -> object:
    return value if value is None else to_number(value)


def _currency_before(value: object) -> object:
    return value if value is None else to_currency(value)


ISODate = Annotated[datetime.date, BeforeValidator(_date_before)]
"""A date read with :func:`to_date` (day-first unless the validation context's
"dayfirst" says otherwise); dumps as "YYYY-MM-DD"."""

Amount = Annotated[float, BeforeValidator(_number_before)]
"""A float read with :func:`to_number`."""

CurrencyCode = Annotated[str, BeforeValidator(_currency_before)]
"""An ISO 4217 code read with :func:`to_currency`."""


def _datetime_before(value: object, info: ValidationInfo) -> object:
    dayfirst = info.context.get("dayfirst") if isinstance(info.context, dict) else None
    return value if value is None else to_datetime(value, dayfirst=dayfirst)


def _reading(convert: Callable[[object], object]) -> BeforeValidator:
    """A pydantic step that reads a value with ``convert`` (None stays None)."""
    return BeforeValidator(lambda value: value if value is None else convert(value))


ISODateTime = Annotated[datetime.datetime, BeforeValidator(_datetime_before)]
"""A date and time read with :func:`to_date`'s layouts; dumps as ISO 8601."""

Email = Annotated[str, _reading(to_email)]
"""An e-mail address, lower-cased (:func:`to_email`)."""

URI = Annotated[str, _reading(to_uri)]
"""An absolute URI (:func:`to_uri`)."""

IBAN = Annotated[str, _reading(to_iban)]
"""An IBAN, spaces removed, check digits verified (:func:`to_iban`)."""

Phone = Annotated[str, _reading(to_phone)]
"""A phone number as "+" and digits, or national digits (:func:`to_phone`)."""

CountryCode = Annotated[str, _reading(to_country)]
"""An ISO 3166-1 alpha-2 code (:func:`to_country`)."""
