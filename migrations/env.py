"""Alembic environment: the URL comes from the caller (``parser_service.db.migrate``
passes it as ``config.attributes["url"]``), else from ``alembic -x url=...``, else from
the service settings (``DATABASE_URL``), so ``alembic upgrade head`` on the command
line migrates the database the service would use."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from parser_service.db.models import Base
from parser_service.settings import Settings

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    given = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    return str(given or Settings().database())


def configure(**kwargs: object) -> None:
    url = database_url()
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=url.startswith("sqlite"),  # SQLite alters tables by copying them
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
