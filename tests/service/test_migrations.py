"""Migrations: up to head and back to base on empty PostgreSQL and SQLite databases, and
the migrated schema is exactly what ``parser_service.db.models`` declares."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

from parser_service.db import Base
from parser_service.db.migrate import current, downgrade, head, upgrade
from tests.service.conftest import concurrently

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url"))


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_diffs(url: str) -> list[object]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_round_trip(empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the service migrates from whatever folder it starts in
    assert tables(empty_url) == set()

    upgrade(empty_url)
    assert current(empty_url) == head() == "0006"
    assert tables(empty_url) == MODEL_TABLES

    downgrade(empty_url)
    assert current(empty_url) is None
    assert tables(empty_url) == set()

    upgrade(empty_url)  # and up again, on the emptied database
    assert tables(empty_url) == MODEL_TABLES


def test_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert schema_diffs(empty_url) == []


def test_the_diff_check_sees_a_schema_that_differs(sqlite_url: str) -> None:
    """Guards the test above: one missing index must show up as a difference."""
    upgrade(sqlite_url)
    engine = create_engine(sqlite_url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_records_status"))
    engine.dispose()
    diffs = schema_diffs(sqlite_url)
    assert [(kind, index.name) for kind, index in diffs] == [("add_index", "ix_records_status")]  # type: ignore[misc]


def test_upgrade_is_safe_when_processes_start_together(pg_url: str) -> None:
    """API, workers and CLI all migrate on start; the lock makes the second one a no-op."""
    assert concurrently(lambda: upgrade(pg_url), 3) == []
    assert current(pg_url) == head()


def test_domain_columns_are_renamed_from_the_previous_head_with_their_values(empty_url: str) -> None:
    """0005 on a database already at 0004 with jobs and sources in it: ``plugin`` becomes
    ``domain`` and keeps its values; the downgrade gives them back under the old name."""
    upgrade(empty_url, "0004")
    _execute(empty_url, [
        "INSERT INTO documents (id, sha256, blob, media_type, size, filename, created_at) "
        "VALUES ('d1', 'ab', 'x', 'text/csv', 1, 'a.csv', CURRENT_TIMESTAMP)",
        "INSERT INTO jobs (id, document_id, plugin, options, status, records_done, attempts, created_at, updated_at) "
        "VALUES ('j1', 'd1', 'invoices', '{}', 'pending', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO ingestion_sources (id, name, path, pattern, plugin, interval_s, enabled, created_at) "
        "VALUES ('s1', 'in', '.', '*', 'bank_transactions', 60, true, CURRENT_TIMESTAMP)",
    ])
    upgrade(empty_url)
    assert current(empty_url) == head()
    assert _values(empty_url, "domain") == ("invoices", "bank_transactions")
    assert schema_diffs(empty_url) == []
    downgrade(empty_url, "0004")
    assert _values(empty_url, "plugin") == ("invoices", "bank_transactions")


def _execute(url: str, statements: list[str]) -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def _values(url: str, column: str) -> tuple[object, object]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            job = connection.execute(text(f"SELECT {column} FROM jobs")).scalar_one()
            source = connection.execute(text(f"SELECT {column} FROM ingestion_sources")).scalar_one()
    finally:
        engine.dispose()
    return job, source
