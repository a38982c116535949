"""Plain-text parser: one page, one block per non-empty line."""

from __future__ import annotations

from pathlib import Path

from parser_service.document import Block, Page, Provenance
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
            Block(line.rstrip(), Provenance(line_start=number, line_end=number))
            for number, line in enumerate(lines, start=1)
            if line.strip()
        ]
        return [Page(number=1, blocks=blocks)]
