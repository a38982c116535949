"""Finds plugins, collects what they register, and answers lookups.

Plugins are published through the ``parser_service.plugins`` entry-point group and
loaded once, lazily, on first use. The built-in parsers are a plugin too
(``parser_service.domains.builtin``), registered through the same hooks. Set
``PARSER_SERVICE_PLUGINS`` to a comma-separated list of entry-point names to load
only those (built-in parsers always load; the domains shipped as data, such as
``receipts``, when named there too). Declarative domains (folders with a ``domain.toml``)
come from the plugins' ``register_domain_folders`` hook and from the folders named in
``PARSER_SERVICE_DOMAIN_DIRS``; one that fails to load is ``broken``, the others load.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from parser_service.domains import hookspecs
from parser_service.domains.declarative import domain_folders, load_domain
from parser_service.domains.domain import Domain
from parser_service.errors import (
    ConfigError,
    DomainFileError,
    PluginConflictError,
    PluginError,
    PluginUnavailableError,
    UnknownDomainError,
)
from parser_service.parsers.base import Parser

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "parser_service.plugins"
#: The plugin name of the domains loaded from the folders of the ``domain_dirs`` setting.
DOMAIN_DIRS_SETTING = "PARSER_SERVICE_DOMAIN_DIRS"
BUILTIN_MODULES = ("parser_service.domains.builtin",)


@dataclass(frozen=True, slots=True)
class Registered:
    """Something a plugin registered, and which plugin it came from."""

    item: Any
    plugin: str
    distribution: str | None
    version: str | None
    #: The folder a declarative domain was loaded from (None: registered in Python).
    location: Path | None = None


@dataclass
class PluginHost:
    manager: pluggy.PluginManager
    parsers: dict[str, Registered] = field(default_factory=dict)
    domains: dict[str, Registered] = field(default_factory=dict)
    #: Installed plugins (entry-point names) that failed to load, and why: the others load.
    broken: dict[str, str] = field(default_factory=dict)

    def parser_list(self) -> list[Parser]:
        return sorted((r.item for r in self.parsers.values()), key=lambda p: p.priority)

    def domain(self, name: str) -> Domain:
        """The domain of that name; ``PluginUnavailableError`` (retryable) for an installed plugin
        that failed to load, ``UnknownDomainError`` for a name nothing installs."""
        try:
            return self.domains[name].item
        except KeyError:
            self.require(name)
            raise PluginUnavailableError(self.broken_reason(name)) from None

    def require(self, name: str) -> None:
        """``UnknownDomainError`` unless ``name`` is installed: loaded, or broken (its jobs wait)."""
        if name not in self.domains and name not in self.broken:
            raise UnknownDomainError(name, list(self.domains))

    def broken_reason(self, name: str) -> str:
        return (f"plugin {name!r} is installed but failed to load ({self.broken[name]}); "
                "its jobs wait until it is fixed")  # fmt: skip

    def domain_list(self) -> list[Domain]:
        return [r.item for r in self.domains.values()]

    def domain_for_type(self, document_type: str) -> Domain | None:
        for domain in self.domain_list():
            if domain.document_type == document_type:
                return domain
        return None


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def build_host(
    manager: pluggy.PluginManager | None = None, *, entry_points: bool = True, domain_dirs: Sequence[Path] | None = None
) -> PluginHost:
    """Load the built-ins (and entry points), then collect registrations; ``domain_dirs``:
    folders of declarative domains (default: the ``domain_dirs`` setting's)."""
    manager = manager or new_manager()
    for module_name in BUILTIN_MODULES:
        if manager.get_plugin(module_name) is None:
            manager.register(__import__(module_name, fromlist=["_"]), name=module_name)
    broken: dict[str, str] = {}
    if entry_points:
        _load_entry_points(manager, _allowed_names(), broken)
    host = PluginHost(manager, broken=broken)
    _collect(host)
    _collect_folders(host, _setting_dirs() if domain_dirs is None else domain_dirs)
    return host


def _setting_dirs() -> list[Path]:
    from pydantic import ValidationError

    from parser_service.settings import Settings

    try:
        return Settings().domain_folders()
    except ValidationError as exc:  # a wrong setting says which, as one line
        raise ConfigError(f"a setting is wrong: {' '.join(str(exc).split())}") from None


def _allowed_names() -> set[str] | None:
    raw = os.environ.get("PARSER_SERVICE_PLUGINS", "").strip()
    return {name.strip() for name in raw.split(",") if name.strip()} if raw else None


def _load_entry_points(manager: pluggy.PluginManager, allowed: set[str] | None, broken: dict[str, str]) -> None:
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and entry_point.name not in allowed:
            continue
        if manager.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken plugin says which one it is, and the others load
            broken[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.error("plugin %r failed to load: %s: %s", entry_point.name, type(exc).__name__, exc)
            continue
        manager.register(plugin, name=entry_point.name)
        dist = getattr(entry_point, "dist", None)
        _DIST_INFO[entry_point.name] = (dist.name, dist.version) if dist else (None, None)


_DIST_INFO: dict[str, tuple[str | None, str | None]] = {}


def _collect(host: PluginHost) -> None:
    """Call each plugin's hooks with a ``register`` that remembers the plugin."""
    hooks = host.manager.hook
    for impl in reversed(hooks.register_parsers.get_hookimpls()):
        origin = _origin(impl.plugin_name)
        impl.function(register=lambda item, o=origin: _add_parser(host, item, o))
    for impl in reversed(hooks.register_domains.get_hookimpls()):
        origin = _origin(impl.plugin_name)
        impl.function(register=lambda item, o=origin: _add_domain(host, item, o))


def _collect_folders(host: PluginHost, extra: Sequence[Path]) -> None:
    """The declarative domains: the folders plugins register, then those of the setting."""
    allowed = _allowed_names()
    for impl in reversed(host.manager.hook.register_domain_folders.get_hookimpls()):
        origin = _origin(impl.plugin_name)
        # the shipped ones are named in PARSER_SERVICE_PLUGINS like entry points, to be loaded
        names = allowed if impl.plugin_name in BUILTIN_MODULES else None
        impl.function(register=lambda folder, o=origin, n=names: _add_folders(host, _folder(folder, o), o, n))
    for folder in extra:
        _add_folders(host, Path(folder), (DOMAIN_DIRS_SETTING, None, None))


def _folder(folder: Any, origin: tuple[Any, ...]) -> Path:
    if not isinstance(folder, str | os.PathLike):
        raise PluginError(f"plugin {origin[0]!r} registered {folder!r} as a domain folder, which is not a path")
    return Path(folder)


def _add_folders(host: PluginHost, root: Path, origin: tuple[Any, ...], names: set[str] | None = None) -> None:
    """Each domain folder at or under ``root`` (``names``: only those named so); one that
    fails is ``broken`` (by its name) and logged, and the others load."""
    if not root.is_dir():
        _broken(host, root.name, f"{root}: no such folder (from {origin[0]})")
        return
    for folder in domain_folders(root):
        if names is not None and folder.name not in names:
            continue
        try:
            domain = load_domain(folder)
            _add(host.domains, domain.name, domain, origin, "domain", location=folder)
        except DomainFileError as exc:
            _broken(host, exc.name, exc.message)
        except PluginError as exc:
            _broken(host, folder.name, f"{folder}: {exc.message}")


def _broken(host: PluginHost, name: str, reason: str) -> None:
    host.broken[name] = reason
    log.error("domain %r failed to load: %s", name, reason)


def _origin(plugin_name: str) -> tuple[str, str | None, str | None]:
    dist, version = _DIST_INFO.get(plugin_name, ("parser-service", _own_version()))
    return plugin_name, dist, version


def _add_parser(host: PluginHost, parser: Any, origin: tuple[Any, ...]) -> None:
    if not isinstance(parser, Parser):
        raise PluginError(f"plugin {origin[0]!r} registered {parser!r}, which is not a Parser")
    _add(host.parsers, parser.name, parser, origin, "parser")


def _add_domain(host: PluginHost, domain: Any, origin: tuple[Any, ...]) -> None:
    if not isinstance(domain, Domain):
        raise PluginError(f"plugin {origin[0]!r} registered {domain!r}, which is not a Domain")
    try:
        domain.check()
    except ValueError as exc:
        raise PluginError(f"plugin {origin[0]!r}: {exc}") from exc
    _add(host.domains, domain.name, domain, origin, "plugin")


def _add(
    table: dict[str, Registered], key: str, item: Any, origin: tuple[Any, ...], kind: str, location: Path | None = None
) -> None:
    if key in table:
        raise PluginConflictError(f"{kind} name {key!r} is registered by both {table[key].plugin!r} and {origin[0]!r}")
    plugin, distribution, version = origin
    table[key] = Registered(item, plugin, distribution, version, location)


def _own_version() -> str:
    from parser_service import __version__

    return __version__
