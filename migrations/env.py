"""Alembic environment: async engine, URL from the caller or from DATABASE_URL."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.store import make_engine
from app.db.tables import Base
from app.settings import Settings, async_database_url

VERSION_TABLE = "alembic_version"
# Replicas starting together against one PostgreSQL each run `upgrade head`: the first takes
# this transaction-scoped advisory lock, the others wait, then find nothing left to do.
MIGRATION_LOCK_KEY = 0x45524D47  # "ERMG"

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    explicit = config.get_main_option("sqlalchemy.url")
    return async_database_url(explicit) if explicit else Settings.from_env().database_url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection) -> None:
    if connection.dialect.name == "sqlite" and not connection.in_transaction():
        # One transaction (BEGIN IMMEDIATE: the write lock) for the whole upgrade. Alembic
        # commits after each migration on SQLite (it does not count on transactional DDL there)
        # unless the caller's transaction is already open, which released the lock between two
        # migrations: a second `migrate` started together could slip in and run the next
        # migration a second time ("table observations already exists").
        connection.begin()
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    try:
        async with engine.connect() as connection:
            connection: AsyncConnection
            # SQLite: take the write lock at BEGIN (see app.db.store.make_engine), so concurrent
            # `migrate` runs queue instead of both creating the tables.
            await connection.execution_options(sqlite_immediate=True)
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (e.g. a test) lends its own sync connection
        _run_sync(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
