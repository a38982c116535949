"""The hooks a parser-service plugin can implement.

A plugin is a module (or object) with functions marked ``@hookimpl``, published
through the ``parser_service.plugins`` entry-point group. Each hook receives a
``register`` callback; the host checks what is registered and remembers which
plugin supplied it. Registering a name twice is an error.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT = "parser_service"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_parsers(register: Callable[..., None]) -> None:
    """Register file-format parsers: ``register(ParserSubclass())``."""


@hookspec
def register_domains(register: Callable[..., None]) -> None:
    """Register extraction domains: ``register(Domain(...))``.

    A domain brings the target schema, prompt, splitter, validators, an optional
    LoRA adapter folder and example documents for one kind of document.
    """


@hookspec
def register_domain_folders(register: Callable[..., None]) -> None:
    """Register declarative domains: ``register(folder)`` for a folder holding a
    ``domain.toml``, or one whose subfolders hold one each (``domains.declarative``).

    A plugin that ships its domains as data needs no other code; a folder that fails to
    load is reported, and the rest load.
    """
