"""Declarative domains: a folder holding a ``domain.toml`` (and the schema file it names)
is a ``Domain``, written without Python.

    name = "receipts"                 # what --domain takes
    version = "1.0.0"
    document_type = "receipt"         # the label metadata inference chooses among
    description = "a shop receipt"
    schema = "schema.json"            # a JSON Schema (schemas/json_schema.py compiles it)
    prompt = "The company is ..."     # instructions; or a whole template with {text} (and {fields})
    splitter = "whole"                # whole, pages, rows or table_rows
    media_types = ["text/plain"]      # optional: the parsed formats it reads
    key_fields = ["date"]             # optional: how eval matches records
    adapter = "adapter"               # optional: a LoRA folder
    [[validators.range]]              # sum, equal, range, pattern: see rules.py
    field = "total"
    min = 0
    [[examples]]
    document = "examples/a.txt"
    expected = "examples/a.json"

Paths are relative to the folder. Every key is checked when the folder loads; a wrong one
is a ``DomainFileError`` naming the file and the key, and nothing unknown is ignored.
"""

from __future__ import annotations

import json
import string
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from parser_service.domains.domain import DEFAULT_PROMPT, Domain, Example
from parser_service.domains.rules import SpecError, build_validators
from parser_service.domains.splitters import SPLITTERS
from parser_service.errors import DomainFileError
from parser_service.schemas.json_schema import SchemaError, compile_schema

DOMAIN_FILE = "domain.toml"
REQUIRED = ("name", "version", "document_type", "description", "schema")
OPTIONAL = ("prompt", "splitter", "media_types", "key_fields", "adapter", "validators", "examples")
#: The slots a prompt template may use (``Domain.prompt``).
SLOTS = frozenset({"text", "fields"})


def domain_folders(root: Path) -> Iterator[Path]:
    """``root`` when it holds a ``domain.toml``, else each folder under it that does."""
    if (root / DOMAIN_FILE).is_file():
        yield root
        return
    for child in sorted(root.iterdir()) if root.is_dir() else ():
        if (child / DOMAIN_FILE).is_file():
            yield child


def load_domain(folder: Path) -> Domain:
    """The domain ``folder/domain.toml`` describes; ``DomainFileError`` names what is wrong."""
    path = Path(folder) / DOMAIN_FILE
    spec = read_spec(path)
    name = spec["name"] if isinstance(spec.get("name"), str) else Path(folder).name
    try:
        return build_domain(spec, Path(folder))
    except SpecError as exc:
        raise DomainFileError(str(path), exc.key, exc.problem, name) from None


def read_spec(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise DomainFileError(str(path), None, f"cannot be read ({exc.strerror})", path.parent.name) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DomainFileError(str(path), None, f"not valid TOML ({exc})", path.parent.name) from None


def build_domain(spec: Mapping[str, Any], folder: Path) -> Domain:
    unknown = sorted(set(spec) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SpecError(unknown[0], f"unknown key; known: {', '.join(REQUIRED + OPTIONAL)}")
    text = {key: _string(spec, key) for key in REQUIRED}
    schema = _schema(folder, text["schema"])
    domain = Domain(
        name=text["name"], version=text["version"], document_type=text["document_type"],
        description=text["description"], schema=_model(schema, text), prompt=_prompt(spec.get("prompt")),
        splitter=_splitter(spec.get("splitter", "whole")), validators=build_validators(spec.get("validators", {}), schema),
        examples=_examples(folder, spec.get("examples", [])), adapter=_adapter(folder, spec.get("adapter")),
        media_types=_media_types(spec.get("media_types")), key_fields=_key_fields(spec.get("key_fields", []), schema),
    )  # fmt: skip
    try:
        domain.check()
    except ValueError as exc:
        raise SpecError("name", str(exc)) from None
    return domain


def _string(spec: Mapping[str, Any], key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(key, "missing" if value is None else f"{value!r} is not a non-empty string")
    return value


def _schema(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("schema", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError("schema", f"{path} is not a JSON file ({exc})") from None
    if not isinstance(schema, dict):
        raise SpecError("schema", f"{path}: a JSON Schema is an object")
    return schema


def _model(schema: dict[str, Any], text: Mapping[str, str]) -> Any:
    try:
        return compile_schema(schema, schema.get("title") or text["name"])
    except SchemaError as exc:
        raise SpecError("schema", f"{text['schema']}: {exc}") from None


def _prompt(prompt: Any) -> str:
    """A template with ``{text}`` as it is; instructions alone go before the default one."""
    if prompt is None:
        return DEFAULT_PROMPT
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecError("prompt", "a non-empty string")
    if "{text}" not in prompt:
        return prompt.strip().replace("{", "{{").replace("}", "}}") + "\n\n" + DEFAULT_PROMPT
    try:
        slots = {name for _, name, _, _ in string.Formatter().parse(prompt) if name is not None}
    except ValueError as exc:
        raise SpecError("prompt", f"not a template ({exc}); write a literal brace twice: {{{{ }}}}") from None
    if slots - SLOTS:
        raise SpecError(
            "prompt", f"unknown slot {{{sorted(slots - SLOTS)[0]}}}; a template has {{text}} and {{fields}}"
        )
    return prompt


def _splitter(name: Any) -> Any:
    if name not in SPLITTERS:
        raise SpecError("splitter", f"{name!r} is not one of: {', '.join(SPLITTERS)}")
    return SPLITTERS[name]


def _examples(folder: Path, entries: Any) -> list[Example]:
    if not isinstance(entries, list):
        raise SpecError("examples", "a list of tables ([[examples]] with document and expected)")
    return [_example(folder, entry, f"examples[{number}]") for number, entry in enumerate(entries)]


def _example(folder: Path, entry: Any, key: str) -> Example:
    if not isinstance(entry, Mapping) or not set(entry) <= {"document", "expected"} or "document" not in entry:
        raise SpecError(key, "a table with document (and expected)")
    document = _file(folder, entry["document"], f"{key}.document")
    expected = _file(folder, entry["expected"], f"{key}.expected") if "expected" in entry else None
    return Example(document, expected)


def _file(folder: Path, name: Any, key: str) -> Path:
    if not isinstance(name, str) or not (folder / name).is_file():
        raise SpecError(key, f"no such file: {folder / str(name)}")
    return folder / name


def _adapter(folder: Path, name: Any) -> Path | None:
    if name is None:
        return None
    if not isinstance(name, str) or not (folder / str(name) / "adapter_config.json").is_file():
        raise SpecError("adapter", f"{folder / str(name)} is no adapter folder (no adapter_config.json)")
    return folder / name


def _media_types(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and "/" in v for v in value):
        raise SpecError("media_types", 'a non-empty list of media types, such as "text/plain"')
    return frozenset(value)


def _key_fields(value: Any, schema: Mapping[str, Any]) -> tuple[str, ...]:
    properties = schema.get("properties", {})
    if not isinstance(value, list) or not all(isinstance(v, str) and v in properties for v in value):
        raise SpecError("key_fields", f"a list of the schema's fields ({', '.join(properties)})")
    return tuple(value)
