"""Plugin discovery through entry points, registration checks, lookups."""

from __future__ import annotations

import types
from importlib import metadata

import pytest
from pydantic import BaseModel

from parser_service.domains import host as plugin_host
from parser_service.domains.domain import Domain
from parser_service.domains.hookspecs import hookimpl
from parser_service.errors import PluginConflictError, PluginError, UnknownDomainError, UnknownPluginError


class Note(BaseModel):
    title: str | None = None


def _plugin_module(name: str, domain_name: str = "notes") -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def register_domains(register):
        register(Domain(name=domain_name, version="9.9", schema=Note, document_type="note",
                        description="a note", prompt="{fields}\n{text}"))

    module.register_domains = register_domains  # type: ignore[attr-defined]
    return module


class _FakeEntryPoint:
    def __init__(self, name: str, module: types.ModuleType) -> None:
        self.name, self.module = name, module
        self.dist = types.SimpleNamespace(name=f"dist-{name}", version="9.9")

    def load(self) -> types.ModuleType:
        return self.module


@pytest.fixture
def fake_entry_points(monkeypatch):
    """Replace entry-point discovery with a list the test controls."""
    found: list[_FakeEntryPoint] = []

    def entry_points(group: str):
        return [ep for ep in found] if group == plugin_host.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(plugin_host.metadata, "entry_points", entry_points)
    yield found


def test_builtin_parsers_register_through_the_hooks(fake_entry_points):
    host = plugin_host.build_host()
    assert {"pdf", "xlsx", "csv", "text"} <= set(host.parsers)
    assert host.parsers["pdf"].plugin == "parser_service.domains.builtin"
    assert [p.name for p in host.parser_list()][0] == "pdf"  # sniffing order by priority


def test_entry_point_plugin_is_found_and_attributed(fake_entry_points):
    fake_entry_points.append(_FakeEntryPoint("notes", _plugin_module("notes_plugin")))
    host = plugin_host.build_host()
    assert host.domain("notes").version == "9.9"
    assert host.domains["notes"].distribution == "dist-notes"
    assert host.domain_for_type("note").name == "notes"


def test_an_unknown_domain_names_the_installed_ones(fake_entry_points):
    fake_entry_points.append(_FakeEntryPoint("notes", _plugin_module("notes_plugin")))
    host = plugin_host.build_host()
    with pytest.raises(UnknownDomainError, match="unknown domain 'nope'.*notes"):
        host.domain("nope")


def test_unknown_plugin_error_is_still_the_old_name_of_unknown_domain_error():
    """Plugin code written before the rename catches ``UnknownPluginError``."""
    with pytest.raises(UnknownPluginError):
        plugin_host.build_host(entry_points=False).require("nope")
    assert UnknownPluginError is UnknownDomainError and issubclass(UnknownDomainError, PluginError)


def test_name_clash_is_an_error(fake_entry_points):
    fake_entry_points.append(_FakeEntryPoint("a", _plugin_module("a_plugin", "same")))
    fake_entry_points.append(_FakeEntryPoint("b", _plugin_module("b_plugin", "same")))
    with pytest.raises(PluginConflictError, match="'same' is registered by both"):
        plugin_host.build_host()


def test_environment_restricts_loaded_plugins(fake_entry_points, monkeypatch):
    fake_entry_points.append(_FakeEntryPoint("a", _plugin_module("a_plugin", "alpha")))
    fake_entry_points.append(_FakeEntryPoint("b", _plugin_module("b_plugin", "beta")))
    monkeypatch.setenv("PARSER_SERVICE_PLUGINS", "b")
    host = plugin_host.build_host()
    assert set(host.domains) == {"beta"}


def test_a_bad_registration_names_the_plugin(fake_entry_points):
    module = types.ModuleType("bad")

    @hookimpl
    def register_domains(register):
        register(Domain(name="bad", version="1", schema=Note, document_type="x", description="x",
                        prompt="no text slot"))

    module.register_domains = register_domains  # type: ignore[attr-defined]
    fake_entry_points.append(_FakeEntryPoint("bad", module))
    with pytest.raises(PluginError, match="'bad'.*needs a \\{text\\} slot"):
        plugin_host.build_host()


def test_installed_first_party_plugins_are_discovered():
    names = {ep.name for ep in metadata.entry_points(group=plugin_host.ENTRY_POINT_GROUP)}
    assert "invoices" in names
    host = plugin_host.build_host()
    assert host.domain("invoices").document_type == "invoice"


def test_plugin_api_exports_what_it_lists():
    from parser_service import plugin_api

    missing = [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)]
    assert missing == []
    assert {"Domain", "hookimpl", "extractive", "max_chars", "plausible_date", "SyntheticDoc", "Synthesize"} <= set(
        plugin_api.__all__
    )
