"""Fixtures: a fresh, migrated, seeded database per test module on each backend.

Backends: SQLite (a file in a temporary folder) always; PostgreSQL at TEST_DATABASE_URL, where
each module gets its own newly created database, dropped afterwards. When PostgreSQL cannot be
reached the PostgreSQL half is skipped with the reason, except in CI (CI=true) or with
ERRCAT_REQUIRE_POSTGRES=1, where it fails: CI never passes on a skipped database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.setup import migrate, seed
from app.main import create_app
from app.seeds import DEFAULT_SEED_PATH
from app.settings import Settings, async_database_url

BACKENDS = ("sqlite", "postgres")


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get(
        "ERRCAT_REQUIRE_POSTGRES", ""
    ) in {"1", "true", "yes"}


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


class Database:
    """A throwaway database of one backend: ``url`` is ready for ``Settings(database_url=...)``."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self._drop: str | None = None
        if backend == "sqlite":
            self.url = async_database_url(f"sqlite:///{tmp / 'errcat-test.db'}")
            return
        admin = os.environ.get("TEST_DATABASE_URL")
        if not admin:
            if _postgres_required():
                pytest.fail("TEST_DATABASE_URL is not set, and CI requires the PostgreSQL tests")
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (see README)")
        admin_url = async_database_url(admin)
        name = f"errcat_test_{secrets.token_hex(6)}"
        try:
            asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            message = f"PostgreSQL at {admin} is not reachable: {type(exc).__name__}: {exc}"
            if _postgres_required():
                pytest.fail(message)
            pytest.skip(message)
        self._admin_url = admin_url
        self._drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        self.url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def settings(self, **overrides) -> Settings:
        return Settings(**{"database_url": self.url, "reload_interval": 0, **overrides})

    def migrate_and_seed(
        self, seed_file: Path = DEFAULT_SEED_PATH, amendments: Path | None = None
    ) -> None:
        """Migrate, then seed the page's transcription; with ``amendments`` (a file) also the
        amendments. The shared fixtures serve the page alone, so tests about the page keep
        their premises (1810 is undocumented on the page); tests/api/test_amendments.py
        seeds seeds/amendments.json."""
        migrate(self.settings())
        asyncio.run(seed(self.settings(), seed_file, amendments=amendments))

    def close(self) -> None:
        if self._drop:
            asyncio.run(_admin(self._admin_url, self._drop))


@pytest.fixture(scope="module", params=BACKENDS)
def empty_db(request, tmp_path_factory) -> Iterator[Database]:
    """A fresh database with nothing in it (not even the schema)."""
    db = Database(request.param, tmp_path_factory.mktemp(request.param))
    yield db
    db.close()


@pytest.fixture(scope="module")
def seeded_db(empty_db: Database) -> Database:
    empty_db.migrate_and_seed()
    return empty_db


@pytest.fixture(scope="module")
def client(seeded_db: Database) -> Iterator[TestClient]:
    with TestClient(app=create_app(seeded_db.settings())) as test_client:
        yield test_client


@pytest.fixture(params=BACKENDS)
def fresh_db(request, tmp_path) -> Iterator[Database]:
    """Like ``empty_db`` but new for each test: for tests that change the catalogue."""
    db = Database(request.param, tmp_path)
    yield db
    db.close()


@pytest.fixture
def postgres_db(tmp_path) -> Iterator[Database]:
    """A fresh, seeded PostgreSQL database, for behaviour only a server database has."""
    db = Database("postgres", tmp_path)
    db.migrate_and_seed()
    yield db
    db.close()
