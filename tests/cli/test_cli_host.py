"""One plugin host per command: the CLI builds it on first use and passes it to what the
command runs (its pipeline, evaluation, training); nothing builds another. The
deterministic test backend: no model."""

from __future__ import annotations

import json

import pytest

from parser_service.cli.entry import main
from parser_service.domains import host as plugin_host
from tests.pipeline.test_pipeline_refusals import OCBC


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list whose one item counts the plugin hosts built from now on (each collects once)."""
    built = [0]
    collect = plugin_host._collect

    def counted(host: plugin_host.PluginHost) -> None:
        built[0] += 1
        collect(host)

    monkeypatch.setattr(plugin_host, "_collect", counted)
    return built


def test_an_extract_builds_one_plugin_host(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    built = count_builds(monkeypatch)
    code = main(["extract", str(OCBC), "--plugin", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(json.loads(out)["records"]) == 8
    assert built == [1]


def test_plugins_builds_one_plugin_host(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    built = count_builds(monkeypatch)
    assert main(["plugins", "--json"]) == 0
    assert {"invoices", "bank_transactions"} <= {row["name"] for row in json.loads(capsys.readouterr().out)}
    assert built == [1]
