"""The README keeps up with the code: every hook, every Domain field, every setting."""

from __future__ import annotations

import dataclasses
import inspect

from parser_service.domains import hookspecs
from parser_service.domains.domain import Domain
from parser_service.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_hook_is_documented_with_its_signature():
    hooks = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]
    assert hooks
    for name in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"`{name}({params})`" in README, name


def test_every_domain_field_a_plugin_author_sets_is_documented():
    for field in dataclasses.fields(Domain):
        assert f"`{field.name}`" in README, field.name


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"PARSER_SERVICE_{name.upper()}" in README, name


def test_readme_shows_exactly_the_two_commands():
    assert "make run" in README and "make test" in README
