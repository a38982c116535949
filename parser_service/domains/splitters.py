"""The splitters a declarative domain names (``splitter = "pages"``): how a document
becomes records, for a domain that writes no Python."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from parser_service.document import Document
from parser_service.domains.domain import Splitter
from parser_service.records import Record, table_rows, whole_document


def pages(document: Document) -> Iterator[Record]:
    """One record per page (sheet) with text: a document of many independent one-page forms."""
    index = 0
    for page in document.pages:
        (record,) = whole_document(dataclasses.replace(document, pages=[page]))
        if record.text.strip():
            record.index = index
            index += 1
            yield record


def rows(document: Document) -> Iterator[Record]:
    """One record per non-empty line of text: a list printed one entry a line."""
    index = 0
    for page in pages(document):
        offset = 0
        for line in page.text.split("\n"):
            where = page.provenance_at(offset)
            if line.strip():
                provenance = [where] if where is not None else page.provenance
                yield Record(index, line, provenance, spans=[(0, len(line), where)] if where is not None else [])
                index += 1
            offset += len(line) + 1


#: What ``splitter`` may name in a ``domain.toml``.
SPLITTERS: dict[str, Splitter] = {
    "whole": whole_document,
    "pages": pages,
    "rows": rows,
    "table_rows": table_rows,
}
