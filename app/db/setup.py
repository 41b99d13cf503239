"""Setting a database up: its schema (Alembic's migrations) and the catalogue seeded into it.

What ``errcat migrate`` and ``errcat seed``, ``errcat serve``'s start-up (app.startup) and the
tests call; alembic.ini and migrations/ sit next to the ``app`` package (``ROOT``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import store
from app.seeding import SeedOutcome, seed_catalogue
from app.seeds import DEFAULT_AMENDMENTS_PATH, load_catalogue
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
T = TypeVar("T")


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    # alembic.ini's [loggers] are for the plain `alembic` command; errcat has configured logging
    # (JSON) itself, and migrations/env.py skips fileConfig when told so.
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(settings: Settings) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")


async def with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """``work`` on an engine for DATABASE_URL, disposed of afterwards."""
    engine = store.make_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def seed(
    settings: Settings,
    path: Path,
    *,
    force: bool = False,
    amendments: Path | None = DEFAULT_AMENDMENTS_PATH,
) -> SeedOutcome:
    """Seed the page's transcription at ``path`` with the amendments beside it (a missing
    amendments file, or None: none)."""
    doc = load_catalogue(path, amendments)
    return await with_engine(settings, lambda engine: seed_catalogue(engine, doc, force=force))
