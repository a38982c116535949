"""Target schemas stored by name: every version kept, known by its content hash.

A schema is compiled before it is stored, so one the extraction cannot honour is refused
(``SchemaError``, naming the keyword and its JSON path) and never reaches a job. A job
names a schema and a version (``SchemaRef``); the worker reads that version back, so a
result can be extracted again with the latest one when the schema changes. Storing the
same content under a name again adds no version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from parser_service.db import Database, StoredSchema
from parser_service.domains.domain import Domain
from parser_service.schemas.json_schema import SchemaError, compile_schema, schema_hash
from parser_service.schemas.request import schema_domain

#: What a schema's name may hold: it is a path segment of the API and a job's label.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: The key of ``Domain.extra`` that holds the hash of the stored schema a domain reads into.
SCHEMA_KEY = "schema_hash"
#: A version may be asked for by a prefix of its hash at least this long.
MIN_HASH_PREFIX = 8


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """One version of a stored schema: what a job extracts into."""

    name: str
    hash: str


@dataclass(frozen=True, slots=True)
class SchemaSummary:
    """A name with its latest version and how many versions it has."""

    name: str
    hash: str
    versions: int
    updated_at: Any


def check_name(name: str) -> str:
    """``name`` when it is a schema name (letters, digits, ``_ . -``, up to 128); else ``SchemaError``."""
    if not NAME.fullmatch(name or ""):
        raise SchemaError(
            f"schema name {name!r}: use 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return name


def store(db: Database, name: str, schema: Any) -> tuple[StoredSchema, bool]:
    """The version of ``schema`` under ``name``, stored if new (True) after it compiles."""
    check_name(name)
    if not isinstance(schema, dict):
        raise SchemaError("$: a JSON Schema is an object")
    compile_schema(schema, name)
    digest = schema_hash(schema)
    found = version(db, name, digest)
    if found is not None:
        return found, False
    row = StoredSchema(name=name, hash=digest, body=json.dumps(schema, ensure_ascii=False))
    try:
        with db.session() as session:
            session.add(row)
    except IntegrityError:  # the same version stored at the same moment by another request
        raced = version(db, name, digest)
        if raced is None:
            raise
        return raced, False
    return row, True


def version(db: Database, name: str, digest: str | None = None) -> StoredSchema | None:
    """The version of ``name`` whose hash is or starts with ``digest`` (at least
    ``MIN_HASH_PREFIX`` characters); the latest without one. None: no such version."""
    query = select(StoredSchema).where(StoredSchema.name == name)
    if digest is not None:
        if len(digest) < MIN_HASH_PREFIX:
            raise SchemaError(f"schema hash {digest!r}: give at least {MIN_HASH_PREFIX} characters of it")
        query = query.where(StoredSchema.hash.startswith(digest.lower(), autoescape=True))
    with db.session() as session:
        return session.scalar(query.order_by(StoredSchema.created_at.desc(), StoredSchema.id).limit(1))


def versions(db: Database, name: str) -> list[StoredSchema]:
    """Every version of ``name``, the latest first."""
    query = select(StoredSchema).where(StoredSchema.name == name).order_by(StoredSchema.created_at.desc())
    with db.session() as session:
        return list(session.scalars(query))


def summaries(db: Database) -> list[SchemaSummary]:
    """Every stored name with its latest version, by name."""
    counts = (
        select(StoredSchema.name, func.count().label("versions"), func.max(StoredSchema.created_at).label("updated"))
        .group_by(StoredSchema.name)
        .order_by(StoredSchema.name)
    )
    with db.session() as session:
        rows = session.execute(counts).all()
    out = []
    for name, count, updated in rows:
        latest = version(db, name)
        assert latest is not None
        out.append(SchemaSummary(name=name, hash=latest.hash, versions=int(count), updated_at=updated))
    return out


def resolve(db: Database, name: str, digest: str | None = None) -> StoredSchema:
    """``version`` or a ``LookupError`` naming what is missing."""
    found = version(db, name, digest)
    if found is None:
        what = f"schema {name!r}" + (f" with hash {digest!r}" if digest else "")
        raise LookupError(f"no {what}; store it with POST /schemas")
    return found


def body(row: StoredSchema) -> dict[str, Any]:
    """The schema as stored (its properties in the order given)."""
    loaded = json.loads(row.body)
    assert isinstance(loaded, dict)
    return loaded


def domain(db: Database, ref: SchemaRef) -> Domain:
    """The domain extracting into that version of the schema."""
    row = resolve(db, ref.name, ref.hash)
    found = schema_domain(body(row), ref.name)
    found.extra[SCHEMA_KEY] = row.hash
    return found
