"""Declarative domains: a folder with a ``domain.toml`` loads as a Domain, its validators
written as data check records, a wrong key is named with its file, and the folders come
from the plugins and from the ``domain_dirs`` setting."""

from __future__ import annotations

import datetime
import json
import os
import types
from pathlib import Path
from typing import Any

import pytest

from parser_service.cli.entry import main
from parser_service.document import Block, Document, Page, Provenance
from parser_service.domains import host as plugin_host
from parser_service.domains.builtin import DECLARED
from parser_service.domains.declarative import DOMAIN_FILE, load_domain
from parser_service.domains.hookspecs import hookimpl
from parser_service.errors import DomainFileError, PluginError, PluginUnavailableError
from parser_service.records import whole_document
from tests.conftest import DATA

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "subtotal": {"type": "string", "format": "amount"},
        "tax": {"type": "string", "format": "amount"},
        "total": {"type": "string", "format": "amount"},
        "paid": {"type": "number"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "amount": {"type": "string", "format": "amount"}}}},
    },
}  # fmt: skip

HEAD = (
    'name = "{name}"\nversion = "1.2.3"\ndocument_type = "ticket"\ndescription = "a ticket"\nschema = "schema.json"\n'
)


def write_domain(root: Path, body: str = "", name: str = "tickets", schema: dict[str, Any] | None = None) -> Path:
    """A domain folder under ``root``: the head above, then ``body``."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "schema.json").write_text(json.dumps(SCHEMA if schema is None else schema))
    (folder / DOMAIN_FILE).write_text(HEAD.format(name=name) + body)
    return folder


def test_a_folder_loads_as_a_domain(tmp_path: Path) -> None:
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "a.txt").write_text("CODE ABC-1")
    folder = write_domain(tmp_path / "x", 'prompt = "The code is on the first line."\nsplitter = "rows"\n'
                          'key_fields = ["code"]\n[[examples]]\ndocument = "../../tickets/a.txt"\n')  # fmt: skip
    domain = load_domain(folder)
    assert (domain.name, domain.version, domain.document_type, domain.description) == (
        "tickets",
        "1.2.3",
        "ticket",
        "a ticket",
    )
    assert set(domain.schema.model_fields) == set(SCHEMA["properties"]) and domain.key_fields == ("code",)
    assert domain.prompt.startswith("The code is on the first line.\n\n") and "{text}" in domain.prompt
    assert domain.prompt.format(text="T", fields="F").endswith("T")  # instructions before the default template
    assert domain.splitter.__name__ == "rows" and domain.examples[0].document.read_text() == "CODE ABC-1"
    assert domain.validators == [] and domain.adapter is None and domain.media_types is None


def _record(domain_body: str, tmp_path: Path, **data: Any) -> list[str]:
    """The messages of the domain's checks on a record of ``data``."""
    domain = load_domain(write_domain(tmp_path, domain_body))
    record = domain.schema.model_validate(data)
    return [f"{issue.field}: {issue.message}" for check in domain.validators for issue in check(record)]


SUM = '[[validators.sum]]\ntotal = "total"\nparts = ["subtotal", "tax"]\n'
ITEMS = '[[validators.sum]]\ntotal = "subtotal"\nparts = ["items[].amount"]\ntolerance = 0.05\n'
EQUAL = '[[validators.equal]]\nfields = ["total", "paid"]\n'
RANGE = '[[validators.range]]\nfield = "total"\nmin = 0\nmax = 1000\n[[validators.range]]\nfield = "date"\nmin = 2000-01-01\n'
PATTERN = '[[validators.pattern]]\nfield = "code"\nregex = "[A-Z]{3}-\\\\d+"\n'


@pytest.mark.parametrize(
    ("body", "good", "bad", "messages"),
    [
        (SUM, {"subtotal": "25,00", "tax": "5", "total": "30.00"}, {"subtotal": "25", "tax": "5", "total": "31"},
         ["total: total is 31, but subtotal + tax add up to 30", "subtotal: total is 31", "tax: total is 31"]),
        (ITEMS, {"subtotal": "3.50", "items": [{"amount": "1.50"}, {"amount": "2.02"}]},
         {"subtotal": "3.50", "items": [{"amount": "1.50"}, {"amount": "3"}]},
         ["subtotal: subtotal is 3.5, but items[].amount add up to 4.5", "items: subtotal is 3.5"]),
        (EQUAL, {"total": "20.00", "paid": 20}, {"total": "20.00", "paid": 25}, ["paid: paid is 25.0, not 20.0 as total"]),
        (RANGE, {"total": "0", "date": "2019-01-23"}, {"total": "-3", "date": "23.01.1999"},
         ["total: total -3.0 is below the least allowed, 0", "date: date 1999-01-23 is below the least allowed, 2000-01-01"]),
        (PATTERN, {"code": "ABC-12"}, {"code": "ABC 12"}, ["code: code 'ABC 12' does not match"]),
    ],
    ids=["sum", "sum-of-list", "equal", "range", "pattern"],
)  # fmt: skip
def test_each_kind_of_check_passes_a_right_record_and_names_the_fields_of_a_wrong_one(
    body: str, good: dict[str, Any], bad: dict[str, Any], messages: list[str], tmp_path: Path
) -> None:
    assert _record(body, tmp_path / "good", **good) == []
    found = _record(body, tmp_path / "bad", **bad)
    assert len(found) == len(messages)
    for got, expected in zip(found, messages):
        assert got.startswith(expected), found


def test_a_value_the_document_lacks_is_not_checked(tmp_path: Path) -> None:
    """A missing tax is no wrong sum; no code matches no pattern: they are not reported."""
    assert _record(SUM + PATTERN + EQUAL + RANGE, tmp_path, subtotal="25", total="31") == []


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ('splitter = "chunks"\n', "splitter", "'chunks' is not one of: whole, pages, rows, table_rows"),
        ("colour = 1\n", "colour", "unknown key"),
        ('[[validators.sum]]\ntotal = "grand"\nparts = ["tax"]\n', "validators.sum[0].total", "no field 'grand'"),
        ('[[validators.sum]]\ntotal = "total"\nparts = ["date"]\n', "validators.sum[0].parts", "is a date"),
        ('[[validators.sum]]\ntotal = "total"\nparts = ["tax"]\ntolerence = 1\n', "validators.sum[0].tolerence", "unknown key"),
        ('[[validators.range]]\nfield = "date"\nmin = 3\n', "validators.range[0].min", "3 is not a date"),
        ('[[validators.range]]\nfield = "code"\nmin = 3\n', "validators.range[0].field", "neither a number"),
        ('[[validators.range]]\nfield = "total"\n', "validators.range[0]", "give min, max or both"),
        ('[[validators.pattern]]\nfield = "code"\nregex = "(["\n', "validators.pattern[0].regex", "no regular expression"),
        ('[[validators.match]]\nfield = "code"\n', "validators.match", "unknown kind of check"),
        ('[[validators.equal]]\nfields = ["total"]\n', "validators.equal[0].fields", "at least 2"),
        ('prompt = "{text} and {lines}"\n', "prompt", "unknown slot {lines}"),
        ('[[examples]]\ndocument = "none.txt"\n', "examples[0].document", "no such file"),
        ('adapter = "adapter"\n', "adapter", "no adapter folder"),
        ('media_types = ["text"]\n', "media_types", "list of media types"),
        ('key_fields = ["nope"]\n', "key_fields", "the schema's fields"),
    ],
)  # fmt: skip
def test_a_wrong_value_is_named_by_its_file_and_key(body: str, key: str, problem: str, tmp_path: Path) -> None:
    folder = write_domain(tmp_path, body)
    with pytest.raises(DomainFileError) as caught:
        load_domain(folder)
    assert caught.value.key == key and problem in caught.value.problem
    assert str(caught.value).startswith(f"{folder / DOMAIN_FILE}: {key}: ")


def test_a_file_that_is_no_toml_or_lacks_a_key_or_a_good_schema_is_named(tmp_path: Path) -> None:
    broken = write_domain(tmp_path, "name = [unclosed\n", name="a")
    with pytest.raises(DomainFileError, match=rf"{broken / DOMAIN_FILE}: not valid TOML \(.*line"):
        load_domain(broken)
    nameless = write_domain(tmp_path, name="b")
    (nameless / DOMAIN_FILE).write_text(HEAD.format(name="b").replace('version = "1.2.3"\n', ""))
    with pytest.raises(DomainFileError, match=r"domain.toml: version: missing"):
        load_domain(nameless)
    bad_schema = write_domain(
        tmp_path, name="c", schema={"type": "object", "properties": {"a": {"type": "string", "minLength": 1}}}
    )
    with pytest.raises(DomainFileError, match=r"schema: schema.json: \$\.a\.minLength: the keyword is not supported"):
        load_domain(bad_schema)
    (bad_schema / "schema.json").unlink()
    with pytest.raises(DomainFileError, match=r"schema: no such file: .*schema.json"):
        load_domain(bad_schema)


def test_the_setting_names_folders_and_a_bad_domain_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = write_domain(tmp_path / "one", name="tickets")
    write_domain(tmp_path / "many", name="forms")
    bad = write_domain(tmp_path / "many", 'splitter = "chunks"\n', name="notes")
    monkeypatch.setenv(
        "PARSER_SERVICE_DOMAIN_DIRS", os.pathsep.join([str(one), str(tmp_path / "many"), str(tmp_path / "none")])
    )
    host = plugin_host.build_host(entry_points=False)
    assert {"tickets", "forms", "receipts"} <= set(host.domains)
    assert host.domains["tickets"].location == one and host.domains["tickets"].plugin == "PARSER_SERVICE_DOMAIN_DIRS"
    assert host.broken["notes"].startswith(f"{bad / DOMAIN_FILE}: splitter:")
    assert "no such folder" in host.broken["none"]
    with pytest.raises(PluginUnavailableError, match="splitter"):
        host.domain("notes")


def test_the_plugins_command_shows_where_a_domain_was_loaded_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_domain(tmp_path)
    monkeypatch.setenv("PARSER_SERVICE_DOMAIN_DIRS", str(tmp_path))
    assert main(["plugins", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out) if row["kind"] == "domain"}
    assert rows["tickets"]["location"] == str(folder) and rows["tickets"]["version"] == "1.2.3"
    assert rows["receipts"]["location"] == str(DECLARED / "receipts") and rows["receipts"]["from"] == "parser-service"
    assert rows["invoices"]["location"] is None  # registered in Python


class _EntryPoint:
    name = "ticket_pack"
    dist = types.SimpleNamespace(name="parser-service-tickets", version="2.0")

    def __init__(self, folder: Path) -> None:
        self.module = types.ModuleType("ticket_pack")
        self.module.register_domain_folders = hookimpl(lambda register: register(folder))  # type: ignore[attr-defined]

    def load(self) -> types.ModuleType:
        return self.module


def test_an_installed_plugin_ships_domain_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_domain(tmp_path)
    found = [_EntryPoint(tmp_path)]
    monkeypatch.setattr(
        plugin_host.metadata, "entry_points", lambda group: found if group == plugin_host.ENTRY_POINT_GROUP else []
    )
    registered = plugin_host.build_host(domain_dirs=[]).domains["tickets"]
    assert (registered.plugin, registered.distribution, registered.location) == (
        "ticket_pack",
        "parser-service-tickets",
        tmp_path / "tickets",
    )


def test_a_plugin_registering_no_path_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _EntryPoint(Path("."))
    entry.module.register_domain_folders = hookimpl(lambda register: register(42))  # type: ignore[attr-defined]
    monkeypatch.setattr(
        plugin_host.metadata, "entry_points", lambda group: [entry] if group == plugin_host.ENTRY_POINT_GROUP else []
    )
    with pytest.raises(PluginError, match="'ticket_pack' registered 42 as a domain folder"):
        plugin_host.build_host(domain_dirs=[])


def _document(*pages: list[str]) -> Document:
    return Document("0" * 64, "f.txt", "text/plain", [
        Page(number, blocks=[Block(line, Provenance(page=number, line_start=i + 1, line_end=i + 1)) for i, line in enumerate(lines)])
        for number, lines in enumerate(pages, 1)
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("splitter", "texts", "where"),
    [
        ("whole", ["a\nb\n \nc\n "], [1]),
        ("pages", ["a\nb\n ", "c"], [1, 2]),
        ("rows", ["a", "b", "c"], [1, 1, 2]),
    ],
)
def test_the_splitters_a_domain_names(splitter: str, texts: list[str], where: list[int], tmp_path: Path) -> None:
    domain = load_domain(write_domain(tmp_path, f'splitter = "{splitter}"\n'))
    records = domain.split(_document(["a", "b", " "], ["c"], [" "]))
    assert [r.text for r in records] == texts and [r.index for r in records] == list(range(len(texts)))
    assert [r.provenance[0].page for r in records] == where


def test_the_receipts_domain_ships_as_data_and_loads_by_default() -> None:
    registered = plugin_host.build_host(entry_points=False, domain_dirs=[]).domains["receipts"]
    domain = registered.item
    assert registered.location == DECLARED / "receipts" and registered.plugin == "parser_service.domains.builtin"
    assert {"company", "date", "address", "total", "tax", "items"} == set(domain.schema.model_fields)
    assert domain.splitter is whole_document and [v.__name__ for v in domain.validators] == [
        "range_total",
        "range_date",
    ]
    for example in domain.examples:  # each example's expected output fits the schema and the checks
        assert example.expected is not None
        record = domain.schema.model_validate(json.loads(example.expected.read_text()))
        assert all(check(record) == [] for check in domain.validators)
    assert not list(DECLARED.rglob("*.py"))  # no Python
    assert domain.validators[1](domain.schema.model_validate({"date": "1980-02-01"}))[0].field == "date"


def test_extract_a_receipt_with_the_declarative_domain(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["extract", str(DATA / "sroie_007.txt"), "--domain", "receipts", "--backend", "deterministic", "-q"]) == 0
    )
    (record,) = json.loads(capsys.readouterr().out)["records"]
    assert record["domain"] == "receipts" and record["schema"] == "Receipt"
    assert set(record["data"]) == {"company", "date", "address", "total", "tax", "items"}


@pytest.mark.model
def test_the_model_reads_a_receipt_through_the_declarative_domain(pipeline: Any) -> None:
    """One real receipt, with the embedded model: the date and total it prints, and every
    copied value found in its text."""
    extraction = pipeline.extract(DATA / "sroie_007.txt", domain="receipts")
    (result,) = extraction.all_records()
    assert result.status == "ok" and result.domain == "receipts", result.errors
    assert result.data["date"] == datetime.date(2019, 1, 23).isoformat() and result.data["total"] == 20.0
    text = " ".join((DATA / "sroie_007.txt").read_text().split())
    for name in ("company", "address"):
        assert result.data[name] is None or " ".join(result.data[name].split()) in text


def test_the_plugins_setting_names_the_shipped_domains_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARSER_SERVICE_PLUGINS", "invoices")
    assert "receipts" not in plugin_host.build_host(entry_points=False, domain_dirs=[]).domains
    monkeypatch.setenv("PARSER_SERVICE_PLUGINS", "invoices,receipts")
    assert "receipts" in plugin_host.build_host(entry_points=False, domain_dirs=[]).domains
