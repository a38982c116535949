"""Candidate spans of a record's text, by kind, for extractive decoding.

A field marked ``extractive("date")`` (or ``amount``, ``currency``, ``code``,
``line``) is decoded as an enum of the spans of that kind found in the record's
text, so its value is always copied from the document and never invented. Each
finder returns distinct spans in order of appearance, each one that the matching
normaliser reads (a date candidate parses as a date, and so on).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from parser_service.text.countries import alpha2_codes, by_name
from parser_service.text.normalize import (
    ISO_CURRENCIES,
    to_currency,
    to_date,
    to_datetime,
    to_email,
    to_iban,
    to_number,
    to_phone,
    to_uri,
)

MAX_CANDIDATES = 48
#: Lines found before a field's labels and patterns narrow them to ``MAX_CANDIDATES``:
#: an issuer written in the footer of a long page is still among them.
MAX_LINES = 160

_MONTH = r"[A-Za-zÀ-ÿ]{3,10}\.?"
_DATE_PATTERNS = [
    re.compile(r"\b\d{4}[./-]\d{1,2}[./-]\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b"),
    re.compile(rf"\b\d{{1,2}}\.?[ \t]?(?:de[ \t])?{_MONTH}[ \t]?(?:de[ \t])?\d{{4}}\b"),
    re.compile(rf"\b\d{{1,2}}-{_MONTH}-\d{{2,4}}\b"),
    re.compile(rf"\b{_MONTH}[ \t]\d{{1,2}}[ \t]?,?[ \t]\d{{4}}\b"),
]
_AMOUNT = re.compile(
    r"(?<![\w.,])[-−(]?(?:\d{1,3}(?:[ .,'\u00a0]\d{3})+|\d+)(?:[.,]\d{1,2})?\)?-?(?![\w]|[.,]\d)"
)
_CODE = re.compile(r"(?<![\w/-])[A-Za-z0-9][A-Za-z0-9/_.-]{1,22}[A-Za-z0-9](?![\w/-])")
_CURRENCY = re.compile(r"(?<![A-Za-z])(?:[A-Z]{3}|€|\$|£|¥|₹|Rs\.?|zł|CHF)(?![A-Za-z])")


def _distinct(spans: Iterable[str], accept: Callable[[str], bool], limit: int) -> list[str]:
    out: list[str] = []
    for span in spans:
        span = span.strip()
        if span and span not in out and accept(span):
            out.append(span)
            if len(out) >= limit:
                break
    return out


def _reads(convert: Callable[[str], object]) -> Callable[[str], bool]:
    def accept(span: str) -> bool:
        try:
            convert(span)
        except ValueError:
            return False
        return True

    return accept


def dates(text: str, max_chars: int) -> list[str]:
    found = sorted(
        ((m.start(), m.group()) for p in _DATE_PATTERNS for m in p.finditer(text)), key=lambda x: x[0]
    )
    return _distinct((s for _, s in found if len(s) <= max_chars), _reads(to_date), MAX_CANDIDATES)


def amounts(text: str, max_chars: int) -> list[str]:
    """Numbers with decimals, and whole numbers written next to a currency sign or code,
    except those inside a date (the year of "August 3, 2014 $4.11" is no amount) and
    percentages ("20,0 %"). A number grouped by a space ("1 278.61") may be two
    columns (a quantity, a price): its last group is offered too ("278.61")."""
    in_date = _InSpans(m.span() for p in _DATE_PATTERNS for m in p.finditer(text))
    spans = (
        span
        for m in _AMOUNT.finditer(text)
        if len(m.group()) <= max_chars
        and _money_like(text, m)
        and not _PERCENT.match(text, m.end())
        and not in_date(m.start())
        for span in _readings(m.group())
    )
    return _distinct(spans, _reads(to_number), MAX_CANDIDATES)


class _InSpans:
    """Whether a position lies in one of ``spans``, asked for positions in increasing
    order: one sweep over the spans sorted by start (each match checked against every
    date made a long text's amounts quadratic: hours for a 40 MB text)."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._next = 0
        self._end = -1  # the furthest end of the spans starting at or before the last position

    def __call__(self, position: int) -> bool:
        while self._next < len(self._spans) and self._spans[self._next][0] <= position:
            self._end = max(self._end, self._spans[self._next][1])
            self._next += 1
        return position < self._end


_PERCENT = re.compile(r"[ \t\u00a0]?%")
_SPACE_GROUPED = re.compile(r"^[-−(]?\d{1,3} ([1-9]\d{2}(?:[.,]\d{1,2})?\)?-?)$")


def _readings(span: str) -> list[str]:
    """``span``, and for "1 278.61" (one space-grouped thousand) also "278.61"."""
    split = _SPACE_GROUPED.match(span)
    return [span, split.group(1)] if split else [span]


def _money_like(text: str, match: re.Match[str]) -> bool:
    if re.search(r"[.,]\d{1,2}\)?-?$", match.group()):
        return True
    near = _CURRENCY.finditer(text, max(0, match.start() - 5), match.end() + 5)
    return any(len(m.group()) != 3 or m.group() in ISO_CURRENCIES for m in near)


def currencies(text: str, max_chars: int) -> list[str]:
    def known(span: str) -> bool:
        return (len(span) != 3 or span in ISO_CURRENCIES) and _reads(to_currency)(span)

    return _distinct((m.group() for m in _CURRENCY.finditer(text)), known, MAX_CANDIDATES)


#: "1/2" (a page of a page count) and "2015" (a year alone) are no identifiers.
_PAGE_OR_YEAR = re.compile(r"\d{1,3}/\d{1,3}|(?:19|20)\d{2}")
#: "400.00", "1.234,56": an amount, not an identifier.
_MONEY = re.compile(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}")


def codes(text: str, max_chars: int) -> list[str]:
    """Identifier-like tokens: at least one digit, not a date, not a plain small number,
    not a page number ("1/2"), a year alone or an amount ("400.00")."""

    def identifier(span: str) -> bool:
        return (
            len(span) <= max_chars
            and any(c.isdigit() for c in span)
            and not _reads(to_date)(span)
            and not re.fullmatch(r"\d{1,2}([.,]\d+)?", span)
            and not _PAGE_OR_YEAR.fullmatch(span)
            and not _MONEY.fullmatch(span)
        )

    return _distinct((m.group() for m in _CODE.finditer(text)), identifier, MAX_CANDIDATES)


#: Where a letterhead line joins its parts ("Au bon moulin SARL - 1242 chemin de l'olive - 84340").
_LINE_PARTS = re.compile(r"\s+[-–—−|·•]\s+|\t|\s{3,}")


def lines(text: str, max_chars: int) -> list[str]:
    """Whole short lines (names of companies and people usually stand alone), the parts
    of a line joined by " - ", " | " or a wide gap (a letterhead's name, address and
    phone on one line), the value after a short label ("Name: ..."), and a name broken
    over two lines (``continued``), in order of appearance."""
    def parts(line: str) -> list[str]:
        pieces = [p for p in _LINE_PARTS.split(line) if p.strip()]
        labelled = _LABELLED_LINE.match(line)
        return [line, *(pieces if len(pieces) > 1 else []), *([labelled.group(1)] if labelled else [])]

    rows = text.splitlines()
    spans = (
        part
        for before, line in zip(["", *rows], rows)
        for part in [*continued(before, line), *parts(line)]
    )
    return _distinct(spans, lambda s: len(s) <= max_chars and any(c.isalpha() for c in s), MAX_LINES)


#: A line that opens with a short label ("Name: Rohstoff AG Salzgitter"): its value is a part too.
_LABELLED_LINE = re.compile(r"[^\W\d][\w./-]*(?:[ \t]+[^\W\d][\w./-]*){0,2}[ \t]*:[ \t]*(\S.*\S)[ \t]*$")

#: The first line of a name that runs on: two to four words of letters, no label, no number.
_NAME_START = re.compile(r"[^\W\d_][\w&.'’-]*(?:[ \t][^\W\d_][\w&.'’-]*){1,3}")


def continued(before: str, line: str) -> list[str]:
    """``before`` and ``line`` as one span ("MVM Musterhafter" over "Versicherungsverein
    Musterstadt a.G."), when ``before`` could open a name and ``line`` is no new row of
    its own (no wide gap, no label); nothing otherwise. Whether it is a name is for the
    field's ``prefer`` to say."""
    if not _NAME_START.fullmatch(before.strip()) or _LINE_PARTS.search(line) or ":" in line:
        return []
    return [f"{before.strip()}\n{line.strip()}"] if line.strip() else []


_TIME = r"(?:[T \t]|,[ \t]?)\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:[ \t]?[AaPp]\.?[Mm]\.?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\d:])"
_DATETIME_PATTERNS = [re.compile(p.pattern.removesuffix(r"\b") + _TIME) for p in _DATE_PATTERNS]
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_URI = re.compile(r"(?<![\w@])(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^\s<>\"']+")
_IBAN_SPAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \t()/.-]{5,20}\d(?![\w])")
_WORDS = re.compile(r"(?<!\w)[^\W\d_][^\W\d_'-]*(?:[ \t-][^\W\d_][^\W\d_'-]*){0,4}(?!\w)")


def datetimes(text: str, max_chars: int) -> list[str]:
    """Dates followed by a time of day ("13.11.2017 14:05", "2017-11-13T14:05:00Z")."""
    found = sorted(((m.start(), m.group()) for p in _DATETIME_PATTERNS for m in p.finditer(text)), key=lambda x: x[0])
    return _distinct((s for _, s in found if len(s) <= max_chars), _reads(to_datetime), MAX_CANDIDATES)


def emails(text: str, max_chars: int) -> list[str]:
    return _distinct((m.group() for m in _EMAIL.finditer(text) if len(m.group()) <= max_chars), _reads(to_email),
                     MAX_CANDIDATES)  # fmt: skip


def uris(text: str, max_chars: int) -> list[str]:
    """Addresses with a scheme ("https://...") or starting "www.", without the sentence's
    closing punctuation."""
    spans = (m.group().rstrip(".,;:)]") for m in _URI.finditer(text))
    return _distinct((s for s in spans if len(s) <= max_chars), _reads(to_uri), MAX_CANDIDATES)


def ibans(text: str, max_chars: int) -> list[str]:
    """IBANs, written in groups of four or not, whose check digits hold."""
    return _distinct((m.group() for m in _IBAN_SPAN.finditer(text) if len(m.group()) <= max_chars), _reads(to_iban),
                     MAX_CANDIDATES)  # fmt: skip


def phones(text: str, max_chars: int) -> list[str]:
    """Runs of 7 to 15 digits with the separators phone numbers use, that are no date
    and no amount with decimals ("1.234,56")."""

    def phone(span: str) -> bool:
        in_date = any(p.search(span) for p in _DATE_PATTERNS)
        return not in_date and not _MONEY.fullmatch(span) and _reads(to_phone)(span)

    return _distinct((m.group() for m in _PHONE.finditer(text) if len(m.group()) <= max_chars), phone, MAX_CANDIDATES)


def countries(text: str, max_chars: int) -> list[str]:
    """Country names (EN, DE, FR, NL, ES; up to five words) and upper-case ISO codes."""
    names = by_name()
    spans = (
        words
        for m in _WORDS.finditer(text)
        for words in _word_runs(m.group())
        if len(words) <= max_chars and (folded(words) in names if not words.isupper() or len(words) > 3 else
                                        words in alpha2_codes() or (len(words) == 3 and words.lower() in names))
    )  # fmt: skip
    return _distinct(spans, lambda _: True, MAX_CANDIDATES)


def _word_runs(run: str) -> Iterator[str]:
    """Every run of consecutive words in ``run`` (the words a country name may be)."""
    words = re.split(r"([ \t-])", run)
    for start in range(0, len(words), 2):
        for end in range(start + 1, len(words) + 1, 2):
            yield "".join(words[start:end])


#: The kind of a field decoded as any substring of the text (a grammar, not candidates:
#: ``backends/span_grammar.py``), an address over several lines included; it has no finder.
ANY_SPAN = "any"

FINDERS: dict[str, Callable[[str, int], list[str]]] = {
    "date": dates,
    "amount": amounts,
    "currency": currencies,
    "code": codes,
    "line": lines,
    "datetime": datetimes,
    "email": emails,
    "uri": uris,
    "iban": ibans,
    "phone": phones,
    "country": countries,
}


def near(
    text: str, spans: list[str], keywords: Iterable[str], window: int = 48, right_after: bool = False, only: bool = False
) -> list[str]:
    """The ``spans`` written within ``window`` characters after one of ``keywords`` on the
    same line ("Invoice No: 42183017", "Grand Total Rs 1939") or at the start of the next
    line (a value under its label), in order of appearance; all ``spans`` when none is.
    ``right_after``: of those, the ones ``tightly_labelled`` alone, where there are any
    ("FACTURE N° : F20260023" over "N° BON DE VENTE : SALES REF 2547"). ``only``: none
    when no span follows a label (a tax amount nowhere labelled is no tax)."""
    keywords = list(keywords)
    found = (right_after and tightly_labelled(text, spans, keywords, window)) or labelled(text, spans, keywords, window)
    return found or ([] if only else spans)


#: What may stand between a label and the value it labels: spaces, punctuation, a
#: document type code and a number sign ("Handelsrechnung (380) Nr. 471113"), a currency.
_NUMBER_SIGN = r"(?i:nr|no|n°|nº)\.?"
_TIGHT_GAP = re.compile(
    r"[\s:#.=*()\-–]*(?:\(\d{1,3}\)\s*)?(?:" + _NUMBER_SIGN + r"[\s:#.]*)?"
    r"(?:(?:[A-Z]{3}|€|\$|£|¥|₹|Rs\.?|zł|CHF)[\s:.]*)?"
)


def tightly_labelled(
    text: str, spans: list[str], keywords: Iterable[str], window: int = 48, in_words: bool = False
) -> list[str]:
    """The ``spans`` written right after one of ``keywords`` on its line: the label starts
    a word ("total" is not in "Subtotal"; ``in_words``: or ends one, as "rechnung" ends
    "Handelsrechnung") and only spaces, punctuation, a number sign or a currency sign stand
    between it and the span, which ends a word. In order of appearance."""
    lowered = folded(text)
    found: list[tuple[int, str]] = []
    for keyword in label_forms(keywords):
        for hit in re.finditer(("" if in_words else r"(?<!\w)") + re.escape(keyword), lowered):
            line = text[hit.end() : hit.end() + window].split("\n", 1)[0]
            for span in spans:
                at = line.find(span)
                after = line[at + len(span) : at + len(span) + 1]
                coded = line[:at].endswith("(") and after == ")"  # "(380)": the document's type code
                if at >= 0 and _TIGHT_GAP.fullmatch(line[:at]) and not after.isalnum() and not coded:
                    found.append((hit.end() + at, span))
    return list(dict.fromkeys(span for _, span in sorted(found)))


def labelled(text: str, spans: list[str], keywords: Iterable[str], window: int = 48) -> list[str]:
    """The ``spans`` written after one of ``keywords`` (as ``near`` finds them), in order
    of appearance; none when none is."""
    ordered = [span for _, span in sorted(_labelled(text, spans, keywords, window))]
    return list(dict.fromkeys(ordered))


def far_from(text: str, spans: list[str], keywords: Iterable[str], window: int = 48) -> list[str]:
    """The ``spans`` written somewhere not right after one of ``keywords`` (as ``near``
    finds them): a VAT number after "TVA", an IBAN after "IBAN" go, a date written
    after "Invoice date" and again after "Order date" stays; all ``spans`` when none
    would stay."""
    after: dict[str, set[int]] = {}
    for at, span in _labelled(text, spans, keywords, window):
        after.setdefault(span, set()).add(at)
    return [span for span in spans if len(after.get(span, ())) < text.count(span)] or spans


def _labelled(text: str, spans: list[str], keywords: Iterable[str], window: int) -> list[tuple[int, str]]:
    """(position, span) of each of ``spans`` written right after one of ``keywords``,
    found regardless of case and accents ("NET A PAYER" is "net à payer")."""
    lowered = folded(text)
    found: list[tuple[int, str]] = []
    for keyword in label_forms(keywords):
        for hit in re.finditer(re.escape(keyword), lowered):
            end = hit.end()
            found += [(end + at, span) for at, span in _after(text, hit.start(), end, spans, window)]
    return found


#: How German is written where a renderer or a typist has no umlauts ("Rechnungsempfaenger").
_TRANSLITERATED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def label_forms(labels: Iterable[str]) -> list[str]:
    """``labels`` as the folded text can hold them: folded, and a label with umlauts
    also as written without them ("fällig" is "fallig" folded, and "faellig")."""
    return list(dict.fromkeys(form for label in labels for form in _forms(label)))


@functools.lru_cache(maxsize=1024)
def _forms(label: str) -> tuple[str, ...]:
    # labels fold character by character here, apart from the texts' cache below
    plain = "".join(_fold_char(char) for char in label)
    ascii_ = "".join(_fold_char(char) for char in label.translate(_TRANSLITERATED))
    return (plain, ascii_) if ascii_ != plain else (plain,)


@functools.lru_cache(maxsize=16)
def folded(text: str) -> str:
    """``text`` lower-cased and without accents, character for character (the same
    length, so a position in it is one in ``text``)."""
    return "".join(_fold_char(char) for char in text)


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1].casefold()[:1]
    return base or char


def _after(text: str, start: int, end: int, spans: list[str], window: int) -> list[tuple[int, str]]:
    """Spans in the first ``window`` characters of the rest of the label's line; else,
    on the next line, the one span whose middle is as far along its line as the label's is
    (a row of labels over a row of values: "Klant Order Factuur datum" above
    "SCONL030 SCONL000 8-9-2022"), unless the span has a label of its own
    ("Beleg-Nr : RK21012345" is not under the "KUNDE" of "MUSTER-KUNDE GMBH"). Where
    more rows of figures alone follow (a totals table: a row per tax rate, then the
    sum), the span of the label's column in the last of them: the sum."""
    stop = text.find("\n", end)
    stop = len(text) if stop < 0 else stop
    same = text[end : min(end + window, stop)]
    same = same[: next_label.start()] if (next_label := _NEXT_LABEL.search(same)) else same
    hits = [(same.find(span), span) for span in spans if span in same]
    if hits or stop >= len(text):
        return hits
    line_start = text.rfind("\n", 0, start) + 1
    header = text[line_start:stop]
    along = ((start + end) / 2 - line_start) / max(1, stop - line_start)  # the label's middle
    last: list[tuple[int, str]] = []  # of a table's rows, its last: the sum under the rows per tax rate
    for row_start, row, figures in _rows_below(text, stop + 1):
        in_row = [(row.find(span), span) for span in spans if span in row]
        in_row = [(at, span) for at, span in in_row if not _OWN_LABEL.search(row[:at])]
        column = figures and _same_column(header, start - line_start, row, in_row)
        if column:
            last = [(row_start + column[0] - end, column[1])]
        elif in_row:
            at, span = min(in_row, key=lambda hit: abs((hit[0] + len(hit[1]) / 2) / len(row) - along))
            last = [(row_start + at - end, span)]
    return last


#: The end of a value's own label on its row ("Beleg-Nr : RK21012345", "Nr.   16117778"):
#: such a value is not the one under the label of the row above.
_OWN_LABEL = re.compile(r"(?:[:#]|(?<!\w)" + _NUMBER_SIGN + r")\s*$")


def _same_column(header: str, label_at: int, row: str, in_row: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The span of a row of figures in the label's column, counted in words from the
    nearer end of the header ("... Nettobetrag   MwSt-Betrag MwSt-%   Endbetrag" over
    "457,20   -11,21   3,00   448,99   70,00   EUR   518,99": the fourth from the right),
    where that word is one of ``in_row``; None otherwise. Printed columns line up by
    their edges; characters written in a proportional font do not."""
    labels = [m.start() for m in re.finditer(r"\S+", header)]
    index = sum(1 for at in labels if at <= label_at) - 1
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", row)]
    if index < 0 or not words:
        return None
    from_right = len(labels) - 1 - index
    pick = len(words) - 1 - from_right if from_right < index else index
    return words[pick] if 0 <= pick < len(words) and words[pick] in in_row else None


#: Another label after a value on the same line ("Kundennummer:. 22334455 Rechnungsnummer:.
#: 6069999998"): what follows it is that label's.
_NEXT_LABEL = re.compile(r"(?<=\d)[ \t]+[^\W\d][\w.-]*[ \t]?:")


#: A row of figures alone: amounts, rates, a currency code or sign ("457,20   -11,21   EUR   518,99").
_FIGURES_ROW = re.compile(r"[\s\d.,'%()+\-−€$£]*(?:[A-Z]{3}[\s\d.,'%()+\-−€$£]*)?\d[\s\d.,'%()+\-−€$£]*")
_TABLE_ROWS = 8


def _rows_below(text: str, at: int) -> Iterator[tuple[int, str, bool]]:
    """(start, line, whether it holds figures alone) of the line at ``at``; if it does,
    of each following line that does too."""
    for index in range(_TABLE_ROWS):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        row = text[at:end]
        figures = bool(_FIGURES_ROW.fullmatch(row))
        if index and not figures:
            return
        yield at, row, figures
        if not figures or end >= len(text):
            return
        at = end + 1


#: Lines under a heading that belong to its block, at most.
BLOCK_LINES = 6
_HEADING_CHARS = 40


def in_blocks(text: str, spans: list[str], headings: Iterable[str], stops: Iterable[str] = ()) -> list[str]:
    """The ``spans`` written in the block under one of ``headings``: a line that is the
    heading alone ("Verkäufer", "Käufer/Leistungsempfänger", "Bill to:"), then the lines
    after it up to the next heading line (of ``headings`` or ``stops``), at most
    ``BLOCK_LINES``; in order of appearance, none when no heading stands alone."""
    rows = text.split("\n")
    block = "\n".join(rows[i] for i in sorted(_block_rows(text, tuple(headings), tuple(stops))))
    return [span for span in spans if occurs(span, block)] if block else []


def outside_blocks(text: str, spans: list[str], headings: Iterable[str], stops: Iterable[str] = ()) -> list[str]:
    """The ``spans`` written somewhere outside the blocks under ``headings`` (see
    ``in_blocks``): the buyer's name under "Käufer" goes, the seller's stays; all
    ``spans`` when none would stay."""
    blocked = _block_rows(text, tuple(headings), tuple(stops))
    if not blocked:
        return spans
    outside = "\n".join(row for index, row in enumerate(text.split("\n")) if index not in blocked)
    return [span for span in spans if occurs(span, outside)] or spans


def occurs(span: str, text: str) -> bool:
    """Whether ``span`` is written in ``text`` whole, not as part of a longer word or
    code ("9314110911" is not in "9314110911/00/M/00/N")."""
    return re.search(r"(?<![\w/])" + re.escape(span) + r"(?![\w/])", text) is not None


@functools.lru_cache(maxsize=16)
def _block_rows(text: str, headings: tuple[str, ...], stops: tuple[str, ...]) -> frozenset[int]:
    """Indexes of the lines in the blocks under ``headings``; each record's schema asks
    twice (its issuer's ``under`` and ``not_under``), with the lists swapped."""
    starts = _heading_rows(text, headings)
    ends = sorted(starts | _heading_rows(text, stops))
    rows = text.count("\n") + 1
    out: set[int] = set()
    for start in starts:
        end = min([e for e in ends if e > start] + [start + 1 + BLOCK_LINES, rows])
        out.update(range(start + 1, end))
    return frozenset(out)


@functools.lru_cache(maxsize=32)
def _heading_rows(text: str, headings: tuple[str, ...]) -> frozenset[int]:
    """Indexes of the lines that are a heading alone: short, no figure, opening with one
    of ``headings`` ("• Abweichender Warenempfänger:"; "Käufer" does not open "Verkäufer")."""
    if not headings:
        return frozenset()
    pattern = re.compile(r"\W*(?:" + "|".join(re.escape(h) for h in label_forms(headings)) + r")")
    return frozenset(
        index
        for index, row in enumerate(folded(text).split("\n"))  # folded line for line, character for character
        if len(row.strip()) <= _HEADING_CHARS and not any(c.isdigit() for c in row) and pattern.match(row)
    )


def preferred(spans: list[str], pattern: str) -> list[str]:
    """The ``spans`` that ``pattern`` (a regular expression) finds something in; all
    ``spans`` when none does."""
    compiled = re.compile(pattern)
    return [span for span in spans if compiled.search(span)] or spans
