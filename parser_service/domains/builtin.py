"""The built-in plugin: registers the format parsers, and the declarative domains shipped
in ``declared/`` (one folder each, a ``domain.toml`` and its files), through the public hooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from parser_service.domains.hookspecs import hookimpl
from parser_service.parsers import builtin_parsers


@hookimpl
def register_parsers(register: Callable[..., None]) -> None:
    for parser in builtin_parsers():
        register(parser)


#: The domains parser-service ships as data, loaded by default.
DECLARED = Path(__file__).parent / "declared"


@hookimpl
def register_domain_folders(register: Callable[..., None]) -> None:
    register(DECLARED)
