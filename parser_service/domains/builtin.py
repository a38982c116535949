"""The built-in plugin: registers the format parsers through the public hooks."""

from __future__ import annotations

from collections.abc import Callable

from parser_service.domains.hookspecs import hookimpl
from parser_service.parsers import builtin_parsers


@hookimpl
def register_parsers(register: Callable[..., None]) -> None:
    for parser in builtin_parsers():
        register(parser)
