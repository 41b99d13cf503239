"""``errcat``: the command line. It calls the same functions as the API.

errcat migrate            alembic upgrade head on DATABASE_URL
errcat seed [FILE]        load the seed file in one transaction (idempotent)
errcat serve              migrate + seed (unless ERRCAT_MIGRATE=0 / ERRCAT_SEED=0), then serve
errcat transcribe PAGE    rewrite seeds/catalogue.json from the vendor's page
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.db import store
from app.seeds import DEFAULT_SEED_PATH, SeedError, load_seed, render
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def migrate(settings: Settings) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")


async def seed(settings: Settings, path: Path, *, force: bool = False) -> store.WriteResult:
    doc = load_seed(path)
    engine = store.make_engine(settings.database_url)
    try:
        async with store.seeding_transaction(engine) as conn:
            return await store.replace_catalogue(conn, doc, forced=force)
    finally:
        await engine.dispose()


def _enabled(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in {"0", "false", "no", "off"}


def serve(settings: Settings) -> None:
    import uvicorn

    if _enabled("ERRCAT_MIGRATE"):
        migrate(settings)
    if _enabled("ERRCAT_SEED"):
        result = asyncio.run(seed(settings, DEFAULT_SEED_PATH))
        print(_describe(result), file=sys.stderr)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=int(os.environ.get("WEB_CONCURRENCY", "1")),
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )


def _describe(result: store.WriteResult) -> str:
    v = result.version
    state = "seeded" if result.changed else "unchanged"
    return f"catalogue {state}: revision {v.revision}, content {v.content_hash[:12]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="errcat", description="errcat: the HTTP error catalogue")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply every Alembic migration (upgrade head)")
    p_seed = sub.add_parser("seed", help="load the seed file into the database")
    p_seed.add_argument("file", nargs="?", type=Path, default=DEFAULT_SEED_PATH)
    sub.add_parser("serve", help="migrate, seed and serve the API")
    p_tr = sub.add_parser("transcribe", help="rewrite the seed file from the vendor's page")
    p_tr.add_argument("page", type=Path)
    p_tr.add_argument("--out", type=Path, default=DEFAULT_SEED_PATH)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
        if args.command == "migrate":
            migrate(settings)
        elif args.command == "seed":
            print(_describe(asyncio.run(seed(settings, args.file))))
        elif args.command == "serve":
            serve(settings)
        elif args.command == "transcribe":
            from app.catalogue.page import transcribe

            args.out.write_text(render(transcribe(args.page.read_text(encoding="utf-8"))))
            print(f"wrote {args.out}")
    except (SettingsError, SeedError) as exc:
        print(f"errcat: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
