"""Document-level metadata: type, language, title, dates and parties.

Asked of the model under a grammar like every record: the document type is an
enum of the installed domains that accept the document's format (plus "other"),
the language a two-letter code; title, dates and parties are spans copied from the
document (extractive decoding, see ``candidates``). Dates are normalised to ISO in code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parser_service import candidates
from parser_service.backends.base import Backend, GenerationRequest
from parser_service.document import Document
from parser_service.domain import Domain
from parser_service.gen_schema import max_json_chars
from parser_service.language import detect_language
from parser_service.normalize import clean_text, to_date

OTHER = "other"
METADATA_PROMPT_TOKENS = 512
#: ISO 639-1 codes accepted for ``language``; the model's pick must be one of them.
LANGUAGES = ["en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da", "no", "fi", "cs", "sk", "hu", "ro", "bg", "el", "ru", "uk", "tr", "ar", "he", "hi", "zh", "ja", "ko", "id", "ms", "th", "vi", "ca", "hr", "sl", "sr", "lt", "lv", "et"]

SYSTEM = "You classify documents and list their key facts. Answer with JSON only."
PROMPT = (
    "Document types:\n{types}\n\n"
    "Give the document's type, its language (two-letter ISO 639-1 code), a short title, "
    "the dates written in it (copied as written) and the parties (companies or people) named in it.\n\n"
    "Document:\n{text}"
)


def candidate_types(document: Document, domains: Sequence[Domain]) -> list[Domain]:
    return [d for d in domains if d.accepts(document.media_type)]


def metadata_schema(types: list[str], text: str, ask_language: bool = True) -> dict[str, Any]:
    """Type and language from fixed lists; title, dates and parties copied from ``text``."""
    lines = candidates.lines(text, 60)[: candidates.MAX_CANDIDATES]
    props: dict[str, Any] = {"document_type": {"enum": [*types, OTHER]}}
    if ask_language:
        props["language"] = {"enum": LANGUAGES}
    props["title"] = {"anyOf": [{"enum": lines}, {"type": "null"}]} if lines else {"type": "null"}
    props["dates"] = _list_of(candidates.dates(text, 24), 3)
    props["parties"] = _list_of(candidates.lines(text, 48)[: candidates.MAX_CANDIDATES], 2)
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
    """``text``: the document's text when the caller already has it (it is built per call)."""
    domain_candidates = candidate_types(document, domains)
    types = "\n".join(f"- {d.document_type}: {d.description}" for d in domain_candidates)
    types += f"\n- {OTHER}: anything else"
    text = backend.truncate(document.text if text is None else text, METADATA_PROMPT_TOKENS)
    schema = metadata_schema([d.document_type for d in domain_candidates], text, ask_language)
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPT.format(types=types, text=text)},
    ]
    return GenerationRequest(messages, schema, max_json_chars(schema) + 8)


def infer_metadata(document: Document, domains: Sequence[Domain], backend: Backend) -> dict[str, Any]:
    """The language comes from code when it is clear (``detect_language``), else from the model."""
    text = document.text
    language = detect_language(text)
    (answer,) = backend.generate([metadata_request(document, domains, backend, language is None, text)])
    if answer.truncated or not isinstance(answer.data, dict):
        return {"document_type": None, "language": language, "title": None, "dates": [], "parties": [],
                "error": "the model's metadata answer was cut off"}
    return clean_metadata({"language": language, **answer.data})


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
