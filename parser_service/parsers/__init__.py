"""The built-in format parsers: PDF, XLSX, CSV and plain text.

Importing this package is cheap: pdfplumber and openpyxl load only when a file
of their format is parsed.
"""

from __future__ import annotations

from parser_service.parsers.base import Parser
from parser_service.parsers.csv_parser import CsvParser
from parser_service.parsers.pdf import PdfParser
from parser_service.parsers.text import TextParser
from parser_service.parsers.xlsx import XlsxParser

BUILTIN_PARSERS: list[type[Parser]] = [PdfParser, XlsxParser, CsvParser, TextParser]


def builtin_parsers() -> list[Parser]:
    """One instance of each built-in parser, in sniffing order."""
    return [parser_class() for parser_class in BUILTIN_PARSERS]


__all__ = [
    "BUILTIN_PARSERS",
    "CsvParser",
    "Parser",
    "PdfParser",
    "TextParser",
    "XlsxParser",
    "builtin_parsers",
]
