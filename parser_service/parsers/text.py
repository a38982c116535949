"""Plain-text parser: one page, one block per non-empty line.

A line longer than ``MAX_TEXT_LINE_CHARS`` becomes several blocks, cut at a space where
there is one in its second half (each with the line's number): what reads a document
line by line (a label's value on its line, the row below it) then never reads one
line of megabytes once per match (a 40 MB text of one line took hours).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from parser_service.document import Block, Page, Provenance
from parser_service.parsers import limits
from parser_service.parsers.base import Parser
from parser_service.parsers.encoding import decode_text, looks_like_text, split_lines


class TextParser(Parser):
    name = "text"
    media_type = "text/plain"
    priority = 90

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_like_text(head)

    def parse(self, path: Path, filename: str) -> list[Page]:
        lines = split_lines(decode_text(path.read_bytes(), filename))
        blocks = [
            Block(piece.rstrip(), Provenance(line_start=number, line_end=number))
            for number, line in enumerate(lines, start=1)
            for piece in _pieces(line)
            if piece.strip()
        ]
        return [Page(number=1, blocks=blocks)]


def _pieces(line: str) -> Iterator[str]:
    """``line``, or for a line longer than ``MAX_TEXT_LINE_CHARS`` its pieces of at most
    that many characters, each ending after a space where its second half has one."""
    limit = limits.MAX_TEXT_LINE_CHARS
    start = 0
    while len(line) - start > limit:
        cut = line.rfind(" ", start + limit // 2, start + limit)
        cut = start + limit if cut < 0 else cut + 1
        yield line[start:cut]
        start = cut
    yield line[start:] if start else line
