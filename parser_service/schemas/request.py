"""The domain of a schema given with a request: each row of a table the schema maps onto
is one record, read in code (``parser_service.tables``); any other document is one
record, read into the compiled model as a whole. The schema's content hash is its
version."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from parser_service.domains.domain import Domain
from parser_service.schemas.json_schema import SchemaError, compile_schema, schema_hash
from parser_service.schemas.validation import schema_check
from parser_service.tables import prefill_row, table_records


def load_schema(path: Path) -> dict[str, Any]:
    """A JSON Schema file, read; a missing or unreadable file is a ``SchemaError``."""
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"--schema {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"--schema {path}: not a JSON file ({exc})") from None
    if not isinstance(schema, dict):
        raise SchemaError(f"--schema {path}: a JSON Schema is an object")
    return schema


def schema_domain(schema: dict[str, Any], name: str) -> Domain:
    """A domain extracting records of ``schema`` (a mapped table's rows, else the whole
    document as one); each record is checked against ``schema`` itself after it is
    normalised (``validation.schema_check``)."""
    model = compile_schema(schema, schema.get("title") or name)
    domain = _domain(name, model, schema, schema.get("description") or f"a document read into the schema {name!r}")
    domain.validators = (schema_check(schema),)
    return domain


def target_domain(target: str) -> Domain:
    """The domain of ``--schema TARGET``: a JSON Schema file, or ``package.module:Model``
    naming a pydantic class (taken as it is: its fields' own span rules apply)."""
    path = Path(target)
    if path.suffix.lower() == ".json" or path.exists() or ":" not in target:
        return schema_domain(load_schema(path), path.stem)
    model = _import_model(target)
    name = model.__name__
    return _domain(name, model, model.model_json_schema(), model.__doc__ or f"a document read into {name}")


def _domain(name: str, model: type[BaseModel], schema: dict[str, Any], description: str) -> Domain:
    """Records of ``model``: a mapped table's rows, else the whole document; the version
    is ``schema``'s hash."""
    return Domain(name=name, version=schema_hash(schema)[:12], schema=model, document_type=name,
                  description=description, splitter=table_records(model), prefill=prefill_row)  # fmt: skip


def _import_model(target: str) -> type[BaseModel]:
    module_name, _, attribute = target.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SchemaError(f"--schema {target}: cannot import it ({exc})") from None
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise SchemaError(f"--schema {target}: not a pydantic model class")
    return found
