"""Alembic owns the schema: upgrade from empty works, and models and migrations never drift."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.cli import alembic_config, migrate
from app.db.store import make_engine
from app.db.tables import Base


def _inspect(url, fn):
    async def run():
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_creates_every_table_and_autogenerate_finds_no_drift(empty_db):
    migrate(empty_db.settings())
    tables = _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables

    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    assert _inspect(empty_db.url, diff) == []


def test_downgrade_to_base_and_back(empty_db):
    cfg = alembic_config(empty_db.url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names())) == {
        "alembic_version"
    }
    command.upgrade(cfg, "head")
    assert "entries" in _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names()))
