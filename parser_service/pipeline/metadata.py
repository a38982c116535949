"""Document-level metadata: type, language, title, dates and parties.

Asked of the model under a grammar like every record, in one call. The language is a
two-letter code (read in code where it is clear, ``detect_language``); dates and parties
are spans copied from the document (extractive decoding, see ``candidates``); dates are
normalised to ISO in code.

**Type.** The choices are the document types of the installed plugins that accept the
document's format, and "other". A plugin's type is given only when it fits: its *fit* is
the mean of the model's probability of that type among the choices (each choice's
answer scored in the same batch as the metadata answer, from the model's own log
probabilities) and the plugin's evidence (``plugin_evidence``: the share of the fields
it keys its records on that the document offers: labelled spans of the right kind, or
values its ``prefill`` reads). The type of the best fit is given when its fit reaches
``TYPE_THRESHOLD``; otherwise "other". Neither signal alone tells a CV from an invoice
on this model: the model gives Dutch invoices less than a CV, and the evidence of a
Polish invoice whose labels no plugin lists is a CV's.

**Title**, read in code: the first line of the first page's head (``TITLE_LINES``), or
part of one, that reads as a heading (``heading_like``): short, mostly letters, no amount,
address, label or contact; never a table's header or cell (a spreadsheet's title can
only be a line of its preamble). **Parties**: who issued the document and who it is addressed to, each a
name-like line (``name_like``) copied from it; a spreadsheet's cells are no parties.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pydantic.fields import FieldInfo

from parser_service.backends.base import Backend, Generation, GenerationRequest
from parser_service.document import Document, Page
from parser_service.domains.domain import Domain, SpanRule, span_rule
from parser_service.pipeline.generation_schema import TOKEN_SLACK, is_list_field, max_json_chars
from parser_service.text import spans
from parser_service.text.language import detect_language
from parser_service.text.normalize import clean_text, to_date

OTHER = "other"
METADATA_PROMPT_TOKENS = 512
#: Characters of the document's head the metadata reads (the language's words, the prompt
#: cut to ``METADATA_PROMPT_TOKENS``, its dates and names): the whole text of every labelled
#: document (4,523 at most), and more than 513 tokens of the embedded model's tokenizer can
#: cover (its longest entry is 81 characters: 41,553), so the prompt is the one the whole
#: text gives; a 40 MB text or a CSV of a million rows is never joined whole.
METADATA_TEXT_CHARS = 64 << 10
#: ISO 639-1 codes accepted for ``language``; the model's pick must be one of them.
LANGUAGES = ["en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da", "no", "fi", "cs", "sk", "hu", "ro", "bg", "el", "ru", "uk", "tr", "ar", "he", "hi", "zh", "ja", "ko", "id", "ms", "th", "vi", "ca", "hr", "sl", "sr", "lt", "lv", "et"]
#: The fit (see the module's docstring) a plugin's type needs; below it, "other". Chosen on
#: the development part of ``tests/data/metadata_labels.json`` (``parser-service bench
#: --sections metadata`` prints each document's fit and the range of thresholds that
#: types that part best); the middle of that range.
TYPE_THRESHOLD = 0.46
#: Lines of the first page a title is looked for in, and its length at most.
TITLE_LINES = 12
TITLE_CHARS = 60
PARTY_CHARS = 48
#: Records of a plugin's splitter, and characters of each, that its evidence is read from.
EVIDENCE_RECORDS = 10
EVIDENCE_CHARS = 20_000

SYSTEM = "You classify documents and list their key facts. Answer with JSON only."
PROMPT = (
    "Document types:\n{types}\n\n"
    "Give the document's type, its language (two-letter ISO 639-1 code), "
    "the dates written in it (copied as written), who issued it and who it is addressed to "
    "(a company or a person, as named in it).\n\n"
    "Document:\n{text}"
)


def candidate_types(document: Document, domains: Sequence[Domain]) -> list[Domain]:
    return [d for d in domains if d.accepts(document.media_type)]


# -- title and parties: the spans offered ----------------------------------------------

_WIDE_GAP = re.compile(r"\s+[-–—−|·•]\s+|\t|\s{3,}")
#: A line this long is no row of a page's layout (a whole text on one line): not split.
LAYOUT_LINE_CHARS = 120
#: A number and a comma on one line: a street, or a postcode and a town.
_NUMBER_AND_COMMA = re.compile(r"\d[^,]*,|,[^\d]*\d")
#: A house number or postcode opening or closing the line ("35 rue de la République",
#: "Weena 664", "D-63571 Gelnhausen"), or a postcode before a town ("09-411 Płock").
_HOUSE_NUMBER = r"(?:[A-Z]{1,2}-)?\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)*"
_STREET = re.compile(rf"^{_HOUSE_NUMBER}\s+\S|(?<![#°º])\s+{_HOUSE_NUMBER}$")
_POSTCODE_TOWN = re.compile(r"(?<![\w/#°º.-])(?:\d{4,5}|\d{2}-\d{3})\s+[A-Z]")
_NUMBER_SIGN = re.compile(r"(?i:n[°º]|no\.?|nr\.?|#)\s*$")
#: A label and its value ("Guest Name: Sanjay", "TEL: 07-8263254"), or a label alone.
_LABELLED = re.compile(r":(\s|$)")
_CONTACT = re.compile(r"@|https?:|www\.", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’.&-]*")


def _shares(text: str) -> tuple[int, int, int]:
    """(characters, letters, digits) of ``text``, spaces left out."""
    chars = [c for c in text if not c.isspace()]
    return len(chars), sum(c.isalpha() for c in chars), sum(c.isdigit() for c in chars)


def _without_dates(line: str) -> str:
    for date in spans.dates(line, TITLE_CHARS):
        line = line.replace(date, " ")
    return " ".join(line.split())


def address_like(line: str) -> bool:
    """A number and a comma, a house number or postcode at either end, or a postcode
    before a town; dates left out first, and a number after a number sign ("Facture
    n° 2022089083") is an identifier, not a house number."""
    line = _without_dates(line)
    street = _STREET.search(line)
    if street and street.start() > 0 and _NUMBER_SIGN.search(line[: street.start()]):
        street = None
    return bool(_NUMBER_AND_COMMA.search(line) or street or _POSTCODE_TOWN.search(line))


def heading_like(line: str) -> bool:
    """Whether ``line`` could be a document's title: at most ``TITLE_CHARS`` characters,
    dates aside at least half of them letters and under half digits, no amount, no address
    (``address_like``), no label ("Date: ..."), no e-mail or web address, and not a line
    that runs on (ending in a comma or semicolon)."""
    line = line.strip()
    chars, letters, digits = _shares(_without_dates(line))
    return (
        2 <= len(line) <= TITLE_CHARS
        and letters * 2 >= chars
        and digits * 2 < chars
        and not line.endswith((",", ";"))
        and not _LABELLED.search(line)
        and not _CONTACT.search(line)
        and not address_like(line)
        and not spans.amounts(line, TITLE_CHARS)
    )


def name_like(span: str) -> bool:
    """Whether ``span`` could name a company or a person: at most ``PARTY_CHARS``
    characters and eight words, mostly letters (digits under a fifth), written as a name
    (half its words or more capitalised, or at most four words, the first capitalised: not a
    sentence), no label, amount, date, address, e-mail or web address, not a line that runs
    on (ending in a comma)."""
    span = span.strip()
    chars, letters, digits = _shares(span)
    words = _WORD.findall(span)
    capitals = sum(word[0].isupper() for word in words)
    return (
        2 <= len(span) <= PARTY_CHARS
        and 0 < len(words) <= 8
        and (capitals * 2 >= len(words) or (len(words) <= 4 and words[0][0].isupper()))
        and letters * 10 >= chars * 7
        and digits * 5 < chars
        and ":" not in span
        and not span.endswith((",", ";", "-", "–"))
        and not _CONTACT.search(span)
        and not address_like(span)
        and not spans.amounts(span, PARTY_CHARS)
        and not spans.dates(span, PARTY_CHARS)
    )


def _first_page(document: Document) -> Page | None:
    for page in islice(document.pages, 3):
        if page.blocks or any(table.preamble for table in page.tables):
            return page
    return None


def _cells(page: Page) -> set[str]:
    """Every header and cell text of the page's tables (a PDF's ruled tables)."""
    cells: set[str] = set()
    for table in page.tables:
        cells.update(str(h).strip() for h in table.header)
        for row in islice(table.rows, 200):
            cells.update(str(v).strip() for v in row.values if v is not None)
    return cells


def head_lines(document: Document, limit: int = TITLE_LINES) -> list[str]:
    """The first ``limit`` lines of the first page with text: its lines, or, for a sheet or
    CSV, its tables' preamble (the lines above the header); never a header or a cell."""
    page = _first_page(document)
    if page is None:
        return []
    if page.blocks:
        return [block.text for block in page.blocks[:limit]]
    return [line for table in page.tables for line in table.preamble][:limit]


def title_candidates(document: Document) -> list[str]:
    """Heading-like lines of the document's head, in order, a line that joins several
    parts ("FACTUUR.   Coolblue B.V.") by its parts, except a table's header or cell."""
    page = _first_page(document)
    if page is None:
        return []
    cells = _cells(page)
    lines = head_lines(document)
    if not page.blocks:  # a preamble line of several cells is a label and its value, no heading
        lines = [line for line in lines if len(_PREAMBLE_CELLS.split(line)) == 1]
    found: list[str] = []
    for line in lines:
        parts = [p.strip() for p in _WIDE_GAP.split(line) if p.strip()] if len(line) <= LAYOUT_LINE_CHARS else []
        found += parts if len(parts) > 1 else [line.strip()]
    return _unique(s for s in found if heading_like(s) and s not in cells)


def infer_title(document: Document) -> str | None:
    """The first heading-like line of the document's head (``title_candidates``); None
    when there is none. Read in code: the position of a heading says more than this model
    does (on the labelled documents' development part, the model's pick among the same
    lines was right less often than the first of them)."""
    return next(iter(title_candidates(document)), None)


def party_candidates(document: Document, text: str) -> list[str]:
    """Name-like spans of ``text`` (whole lines, parts of lines, values after a label,
    names run over two lines: ``spans.lines``); for a document of tables alone
    (CSV, spreadsheet), of its preambles only, each line's cells apart ("Kontoinhaber;Anna
    Schmidt"): its cells name no issuer or recipient."""
    if not any(page.blocks for page in islice(document.pages, 3)):
        preamble = (line for page in islice(document.pages, 3) for t in page.tables for line in t.preamble)
        text = "\n".join(cell for line in preamble for cell in _PREAMBLE_CELLS.split(line))
    return [s for s in spans.lines(text, PARTY_CHARS) if name_like(s)][: spans.MAX_CANDIDATES]


#: A company's legal form ("GmbH", "S.A.", "B.V.", "Pvt. Ltd.", "SDN. BHD."): the line names a company.
LEGAL_FORM = re.compile(
    r"(?i:\b(?:gmbh|mbh|ltd|limited|llc|llp|inc|corp|corporation|plc|pvt|pte|pty|sdn|bhd|sarl|sasu|eurl|bvba"
    r"|gbr|spółka|sp\. ?z ?o\.o)\b)"
    r"|(?i:\b(?:s\.a\.r\.l|s\.a\.s|s\.a|s\.l|s\.l\.u|s\.r\.l|s\.p\.a|b\.v|n\.v|e\.k|a\.g|e\.v|e\.g)\.)"
    r"|\b(?:AG|KG|KGaA|OHG|BV|NV|SAS|SARL|SA|SRL|SpA|Oy|AB|A/S|ApS|UG|eG)\b(?![-/]\w)"
)


def infer_issuer(document: Document, names: Sequence[str]) -> str | None:
    """Who issued the document, read in code: the first of ``names`` (``party_candidates``)
    that names a legal form ("GmbH", "Pvt. Ltd.": the shortest such name within it, where a
    line joins several parts), else the first written in the document's head (a letterhead,
    a CV's name); None when neither has any. On the labelled documents' development part
    this model's pick among the same names was a job title, a cashier or a bank code more
    often than not."""
    company = next((name for name in names if LEGAL_FORM.search(name)), None)
    if company is not None:
        return min((n for n in names if n in company and LEGAL_FORM.search(n)), key=len)
    head = _head_text(document)
    return next((name for name in names if spans.occurs(name, head)), None)


def recipient_candidates(document: Document, names: Sequence[str], issuer: str | None) -> list[str]:
    """The names the recipient is chosen among (by the model, or none): those written in the
    document's head or naming a legal form, except the issuer and any part of it."""
    head = _head_text(document)
    return [
        name for name in names
        if (spans.occurs(name, head) or LEGAL_FORM.search(name))
        and not (issuer and (name in issuer or issuer in name))
    ]  # fmt: skip


def _head_text(document: Document) -> str:
    """The document's head (``head_lines``), the lines of a page's layout only (a text that
    is one long line has no head)."""
    return "\n".join(line for line in head_lines(document) if len(line) <= LAYOUT_LINE_CHARS)


#: Where a CSV preamble line's cells meet: it is kept as written, delimiters and all.
_PREAMBLE_CELLS = re.compile(r"\s*[;|\t]\s*|(?<=\S),(?=\S)")


# -- the request -------------------------------------------------------------------------


def metadata_schema(
    types: list[str], text: str, ask_language: bool = True, names: list[str] | None = None,
    issuer: str | None = None, recipients: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Type and language from fixed lists; dates and the recipient copied from ``text``
    (``names``: the spans offered, by default every short line; ``recipients``: those
    offered as the recipient, by default ``names`` but the ``issuer``), after the issuer."""
    if names is None:
        names = spans.lines(text, PARTY_CHARS)[: spans.MAX_CANDIDATES]
    props: dict[str, Any] = {"document_type": {"enum": [*types, OTHER]}}
    if ask_language:
        props["language"] = {"enum": LANGUAGES}
    props["dates"] = _list_of(spans.dates(text, 24), 3)
    props["issuer"] = {"enum": [issuer]} if issuer else {"type": "null"}
    others = [name for name in names if name != issuer] if recipients is None else recipients
    props["recipient"] = {"anyOf": [{"enum": others}, {"type": "null"}]} if others else {"type": "null"}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _list_of(options: list[str], most: int) -> dict[str, Any]:
    if not options:
        return {"type": "array", "maxItems": 0}
    return {"type": "array", "items": {"enum": options}, "maxItems": most}


def metadata_request(
    document: Document,
    domains: Sequence[Domain],
    backend: Backend,
    ask_language: bool = True,
    text: str | None = None,
) -> GenerationRequest:
    """``text``: the document's head (``METADATA_TEXT_CHARS``) when the caller already has it."""
    domain_candidates = candidate_types(document, domains)
    types = "\n".join(f"- {d.document_type}: {d.description}" for d in domain_candidates)
    types += f"\n- {OTHER}: anything else"
    text = backend.truncate(document.head(METADATA_TEXT_CHARS) if text is None else text, METADATA_PROMPT_TOKENS)
    types_ = [d.document_type for d in domain_candidates]
    names = party_candidates(document, text)
    issuer = infer_issuer(document, names)
    schema = metadata_schema(types_, text, ask_language, names, issuer, recipient_candidates(document, names, issuer))
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPT.format(types=types, text=text)},
    ]
    return GenerationRequest(messages, schema, max_json_chars(schema) + 8)


# -- the type ------------------------------------------------------------------------------

_TYPE_KEY = "document_type"


def choice_requests(request: GenerationRequest, choices: Sequence[str]) -> list[GenerationRequest]:
    """One request per type choice, the same prompt, its answer that choice alone: each
    answer's log probabilities score the choice (the prompt is read once for all)."""
    out = []
    for choice in choices:
        schema = {"type": "object", "properties": {_TYPE_KEY: {"enum": [choice]}}, "required": [_TYPE_KEY],
                  "additionalProperties": False}  # fmt: skip
        out.append(GenerationRequest(request.messages, schema, max_json_chars(schema) + TOKEN_SLACK, request.adapter))
    return out


def choice_probabilities(answers: Sequence[Generation], choices: Sequence[str]) -> dict[str, float] | None:
    """The model's probability of each choice among ``choices``: the log probabilities of
    the tokens that write the value, summed, and normalised over the choices. None when an
    answer has no usable log probabilities."""
    scores = []
    for answer, choice in zip(answers, choices):
        start = answer.text.find(f'"{choice}"') + 1
        if start <= 0 or not answer.logprobs:
            return None
        values = [t.logprob for t in answer.logprobs if start <= t.offset < start + len(choice)]
        if not values or any(math.isnan(v) for v in values):
            return None
        scores.append(sum(values))
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    return {choice: w / sum(weights) for choice, w in zip(choices, weights)}


def plugin_evidence(domain: Domain, document: Document) -> float | None:
    """How much of what ``domain`` extracts the document offers, 0 to 1, over its splitter's
    first ``EVIDENCE_RECORDS`` records: the share of the fields it keys records on
    (``key_fields``; else its scalar fields) that its ``prefill`` reads, or, where it has no
    prefill, that are ``extractive`` spans of a kind other than lines found in the record
    (after one of the field's labels, where it names labels). None: the plugin declares
    nothing to look for. A plugin that cannot split the document does not fit it (0)."""
    fields = domain.schema.model_fields
    names = list(domain.key_fields) or [n for n, info in fields.items() if not is_list_field(info)]
    if domain.prefill is None:
        names = [n for n in names if _span_kind(fields[n]) not in (None, "line", spans.ANY_SPAN)]
    if not names:
        return None
    try:
        records = list(islice(domain.splitter(document), EVIDENCE_RECORDS))
    except Exception:  # noqa: BLE001 - whatever the plugin's splitter raises, the document does not fit it
        return 0.0
    shares = []
    for record in records:
        if domain.prefill is not None:
            read = domain.prefill(record)
            offered = [read.get(n) is not None for n in names]
        else:
            text = record.text[:EVIDENCE_CHARS]
            offered = [_offers(span_rule(fields[n]), text) for n in names]
        shares.append(sum(offered) / len(names))
    return sum(shares) / len(shares) if shares else 0.0


def _span_kind(info: FieldInfo) -> str | None:
    rule = span_rule(info)
    return rule.kind if rule is not None else None


def _offers(rule: SpanRule | None, text: str) -> bool:
    """Whether ``text`` holds a span of the field's kind, after one of its labels if it names any."""
    assert rule is not None
    found = spans.FINDERS[rule.kind](text, rule.max_chars)
    if rule.near:
        found = spans.labelled(text, found, rule.near)
    return bool(found)


@dataclass(frozen=True, slots=True)
class TypeScore:
    """One installed plugin's type for a document: the model's probability of it among
    the choices (None: the backend gives no log probabilities), the plugin's evidence
    (None: it declares none), and the fit: their mean, or the one there is. With neither,
    the model's own pick (``picked``) decides."""

    document_type: str
    probability: float | None
    evidence: float | None
    picked: bool = False

    @property
    def fit(self) -> float:
        known = [x for x in (self.probability, self.evidence) if x is not None]
        return sum(known) / len(known) if known else float(self.picked)

    def to_dict(self) -> dict[str, Any]:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"document_type": self.document_type, "probability": rounded(self.probability),
                "evidence": rounded(self.evidence), "fit": round(self.fit, 4)}  # fmt: skip


def decide_type(scores: Iterable[TypeScore], threshold: float = TYPE_THRESHOLD) -> str:
    """The type of the best fit, when it reaches ``threshold``; else "other"."""
    best = max(scores, key=lambda s: s.fit, default=None)
    return best.document_type if best is not None and best.fit >= threshold else OTHER


# -- all of it --------------------------------------------------------------------------------


def infer_metadata(document: Document, domains: Sequence[Domain], backend: Backend) -> dict[str, Any]:
    """The language comes from code when it is clear (``detect_language``), else from the model."""
    return infer_metadata_scored(document, domains, backend)[0]


def infer_metadata_scored(
    document: Document, domains: Sequence[Domain], backend: Backend
) -> tuple[dict[str, Any], list[TypeScore]]:
    """The metadata, and the score of each installed plugin's type (one model call)."""
    text = document.head(METADATA_TEXT_CHARS)
    language = detect_language(text)
    request = metadata_request(document, domains, backend, language is None, text)
    fitting = candidate_types(document, domains)
    choices = [*(d.document_type for d in fitting), OTHER]
    scored = bool(fitting) and backend.supports_logprobs
    answer, *answers = backend.generate([request, *(choice_requests(request, choices) if scored else [])],
                                        logprobs=scored)  # fmt: skip
    if answer.truncated or not isinstance(answer.data, dict):
        return {"document_type": None, "language": language, "title": infer_title(document), "dates": [], "parties": [],
                "error": "the model's metadata answer was cut off"}, []  # fmt: skip
    probabilities = (choice_probabilities(answers, choices) if scored else None) or {}
    picked = answer.data.get(_TYPE_KEY)
    scores = [
        TypeScore(d.document_type, probabilities.get(d.document_type), plugin_evidence(d, document),
                  picked == d.document_type)
        for d in fitting
    ]  # fmt: skip
    data = {**answer.data, "language": language or answer.data.get("language"), _TYPE_KEY: decide_type(scores),
            "title": infer_title(document)}  # fmt: skip
    data["parties"] = [data.pop("issuer", None), data.pop("recipient", None)]
    return clean_metadata(data), scores


def clean_metadata(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_type": data.get("document_type"),
        "language": data.get("language"),
        "title": clean_text(data.get("title")),
        "dates": _iso_dates(data.get("dates") or []),
        "parties": _unique(p for p in (clean_text(x) for x in data.get("parties") or []) if p),
    }


def _iso_dates(values: list[Any]) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(to_date(value).isoformat())
        except ValueError:
            continue
    return _unique(out)


def _unique(values: Any) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen
