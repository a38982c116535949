"""Schema migrations, callable from code: the API, the workers and the CLI run
``upgrade(url)`` when they start, so a deployment never runs on an old schema.

The Alembic scripts live in the ``migrations`` folder at the project root (also
configured under ``[tool.alembic]`` in pyproject.toml for the ``alembic`` command);
the configuration is built here from that folder's absolute path, so these calls work
from any working directory. Concurrent starts are serialised by a lock (a PostgreSQL
advisory lock, a file lock beside an SQLite database), so two processes never race
to create the same tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
#: Any fixed 64-bit number; every parser-service process takes the same advisory lock.
_PG_LOCK_KEY = 0x7061727365725F6D  # "parser_m"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` that does not depend on the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, rev: str = "head") -> None:
    """Migrate the database at ``url`` up to ``rev`` (a no-op when it is there already)."""
    with _migration_lock(url):
        command.upgrade(alembic_config(url), rev)


def downgrade(url: str, rev: str = "base") -> None:
    """Migrate the database at ``url`` down to ``rev`` (``base``: no tables left)."""
    with _migration_lock(url):
        command.downgrade(alembic_config(url), rev)


def current(url: str) -> str | None:
    """The revision the database is at (None: not migrated)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision in the migrations folder."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with _postgres_lock(url):
            yield
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        with _file_lock(Path(str(parsed.database)).with_suffix(".migrate.lock")):
            yield
    else:
        yield


@contextmanager
def _postgres_lock(url: str) -> Iterator[None]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
