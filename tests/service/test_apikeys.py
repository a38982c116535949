"""API keys: shown once, stored hashed, verified, revoked — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from parser_service.cli.entry import main
from parser_service.db import ApiKey, Database
from parser_service.db.migrate import upgrade
from parser_service.service import apikeys
from parser_service.settings import get_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated database of each kind (PostgreSQL: a fresh one for this test)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def test_a_created_key_verifies_and_only_its_hash_is_stored(db: Database):
    key, plaintext = apikeys.create_key(db, "reviewer")
    assert plaintext.startswith(apikeys.KEY_PREFIX) and len(plaintext) > 40
    with db.session() as session:
        stored = session.scalars(select(ApiKey)).one()
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in (stored.key_hash, stored.prefix, stored.name)
    assert plaintext.startswith(stored.prefix)
    verified = apikeys.verify(db, plaintext)
    assert verified is not None and verified.id == key.id and verified.name == "reviewer"


def test_two_keys_are_different(db: Database):
    _, first = apikeys.create_key(db, "a")
    _, second = apikeys.create_key(db, "a")
    assert first != second
    assert {k.name for k in apikeys.list_keys(db)} == {"a"} and len(apikeys.list_keys(db)) == 2


@pytest.mark.parametrize("attempt", ["", "psk_wrong", "x" * 1000])
def test_unknown_keys_are_rejected(db: Database, attempt: str):
    _, plaintext = apikeys.create_key(db, "someone")
    assert apikeys.verify(db, attempt) is None
    assert apikeys.verify(db, plaintext[:-1]) is None
    assert apikeys.verify(db, plaintext + "x") is None


def test_a_revoked_key_is_rejected_and_kept(db: Database):
    key, plaintext = apikeys.create_key(db, "leaver")
    revoked = apikeys.revoke(db, key.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert apikeys.verify(db, plaintext) is None
    assert [k.id for k in apikeys.list_keys(db)] == [key.id]  # the history stays
    assert apikeys.revoke(db, key.id) is not None  # revoking again is harmless
    assert apikeys.revoke(db, "no-such-id") is None


def test_use_is_recorded(db: Database):
    key, plaintext = apikeys.create_key(db, "busy")
    assert key.last_used_at is None
    apikeys.verify(db, plaintext)
    with db.session() as session:
        assert session.get(ApiKey, key.id).last_used_at is not None  # type: ignore[union-attr]


def test_a_key_needs_a_name(db: Database):
    with pytest.raises(ValueError, match="needs a name"):
        apikeys.create_key(db, "  ")


def test_the_cli_creates_lists_and_revokes_keys(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "ci bot"]) == 0
        plaintext = capsys.readouterr().out.strip()
        db = Database(sqlite_url)
        assert getattr(apikeys.verify(db, plaintext), "name", None) == "ci bot"
        assert main(["keys", "list", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [(row["name"], row["revoked_at"]) for row in rows] == [("ci bot", None)]
        assert plaintext not in json.dumps(rows)
        assert main(["keys", "revoke", rows[0]["id"]]) == 0
        assert apikeys.verify(db, plaintext) is None
        assert main(["keys", "revoke", "no-such-id"]) == 2
        assert "no API key with id" in capsys.readouterr().err
        db.dispose()
    finally:
        get_settings.cache_clear()
