"""API keys: created once, shown once, stored only as their SHA-256.

A key is 32 random bytes (URL-safe text) behind a fixed prefix, so a leaked key
is easy to recognise in logs and scanners. The database keeps the hash and the
first characters (to tell keys apart in ``keys list``); a revoked key stays in
the table, so the history of who had access is kept, and is rejected.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from parser_service.db import ApiKey, Database

KEY_PREFIX = "psk_"
#: Characters of the key stored in clear, to tell keys apart.
SHOWN_CHARS = 12
#: ``last_used_at`` is written at most this often per key, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_key(db: Database, name: str) -> tuple[ApiKey, str]:
    """A new key named ``name``; the plaintext is returned here and nowhere else."""
    name = name.strip()
    if not name:
        raise ValueError("an API key needs a name (who or what uses it)")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=plaintext[:SHOWN_CHARS], key_hash=hash_key(plaintext))
    with db.session() as session:
        session.add(key)
    return key, plaintext


def verify(db: Database, plaintext: str) -> ApiKey | None:
    """The live key ``plaintext`` is, or None (unknown, malformed or revoked)."""
    if not plaintext or len(plaintext) > 256:
        return None
    digest = hash_key(plaintext)
    with db.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        # The lookup is by hash, so its timing says nothing about the key; compare anyway.
        if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
            return None
        _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    now = datetime.now(UTC)
    last = key.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive datetimes
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > TOUCH_EVERY:
        key.last_used_at = now


def list_keys(db: Database) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke(db: Database, key_id: str) -> ApiKey | None:
    """Revoke the key with id ``key_id``; None if there is no such key. Revoking twice is harmless."""
    with db.session() as session:
        key = session.get(ApiKey, key_id)
        if key is not None and key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
    return key
