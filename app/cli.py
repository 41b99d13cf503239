"""``errcat``: the command line. It calls the same functions as the API.

errcat migrate            alembic upgrade head on DATABASE_URL
errcat seed [FILE]        load the seed file in one transaction (idempotent)
errcat serve              migrate + seed (unless ERRCAT_MIGRATE=0 / ERRCAT_SEED=0), then serve
errcat transcribe PAGE    rewrite seeds/catalogue.json from the vendor's page
errcat decode [--lines]   decode error bodies from standard input (docs/decode.md)
errcat propose            an amendments draft from observed drift (docs/observations.md)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import msgspec
from alembic import command
from alembic.config import Config

from app.catalogue.diff import diff_catalogues, render_diff
from app.catalogue.integrity import integrity_report
from app.catalogue.model import CatalogueVersion
from app.catalogue.query import build_snapshot
from app.db import store
from app.seeding import BreakingChangeError, SeedOutcome, describe_plan, plan, seed_catalogue
from app.seeds import DEFAULT_SEED_PATH, SeedError, content_hash, load_seed, render
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def migrate(settings: Settings) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")


async def _with_engine(settings: Settings, work):
    engine = store.make_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def seed(settings: Settings, path: Path, *, force: bool = False) -> SeedOutcome:
    doc = load_seed(path)
    return await _with_engine(settings, lambda engine: seed_catalogue(engine, doc, force=force))


class CommandError(Exception):
    """A command that ran and found a problem it reports (exit 1)."""


async def _report(settings: Settings, as_json: bool) -> tuple[str, bool]:
    found = await _with_engine(settings, store.read_catalogue)
    if found is None:
        raise CommandError("the database holds no catalogue yet: run errcat seed")
    report = integrity_report(build_snapshot(*found))
    if as_json:
        return msgspec.json.format(msgspec.json.encode(report).decode()), report.ok
    lines = [f"{f.severity:7} {f.rule:36} {f.message}" for f in report.findings] + [
        f"{report.total} findings: {report.counts.error} error, "
        f"{report.counts.warning} warning, {report.counts.info} info"
    ]
    return "\n".join(lines), report.ok


async def _changes(settings: Settings, start: int, end: int | None) -> str:
    async def work(engine):
        latest = await store.latest_revision(engine)
        target = latest if end is None else end
        old = await store.read_revision_document(engine, start)
        new = None if target is None else await store.read_revision_document(engine, target)
        if old is None or new is None:
            missing = start if old is None else target
            raise CommandError(f"no revision {missing} (errcat revisions lists them)")
        return f"revision {start} -> {target}\n" + render_diff(diff_catalogues(old, new))

    return await _with_engine(settings, work)


async def _propose(settings: Settings, min_count: int) -> str:
    from datetime import UTC, datetime

    from app.catalogue.drift import drift
    from app.catalogue.propose import propose

    async def work(engine):
        found = await store.read_catalogue(engine)
        if found is None:
            raise CommandError("the database holds no catalogue yet: run errcat seed")
        snap = build_snapshot(*found)
        observed, _, _ = await store.list_observations(engine)
        return snap, drift(snap, observed, min_count)

    snap, report = await _with_engine(settings, work)
    proposal = propose(snap, report, today=datetime.now(UTC).date())
    for line in proposal.skipped:
        print(f"errcat propose: {line}", file=sys.stderr)
    return msgspec.json.format(msgspec.json.encode(proposal.draft).decode(), indent=2)


def _enabled(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in {"0", "false", "no", "off"}


def serve(settings: Settings) -> None:
    import uvicorn

    if _enabled("ERRCAT_MIGRATE"):
        migrate(settings)
    if _enabled("ERRCAT_SEED"):
        try:
            print(asyncio.run(seed(settings, DEFAULT_SEED_PATH)).describe(), file=sys.stderr)
        except BreakingChangeError as exc:
            # Keep serving the stored catalogue rather than crash-looping a replica; an operator
            # accepts the change with `errcat seed --force`.
            print(f"errcat: seed file not loaded, {exc}", file=sys.stderr)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=int(os.environ.get("WEB_CONCURRENCY", "1")),
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app's own JSON access log replaces uvicorn's (ACCESS_LOG=1)
        log_config=None,  # create_app configures JSON logging in every worker
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="errcat", description="errcat: the HTTP error catalogue")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply every Alembic migration (upgrade head)")
    p_seed = sub.add_parser("seed", help="load the seed file into the database")
    p_seed.add_argument("file", nargs="?", type=Path, default=DEFAULT_SEED_PATH)
    p_seed.add_argument("--force", action="store_true", help="accept breaking changes")
    p_plan = sub.add_parser("plan", help="show what seeding a file would change; write nothing")
    p_plan.add_argument("file", nargs="?", type=Path, default=DEFAULT_SEED_PATH)
    p_report = sub.add_parser("report", help="the integrity report of the stored catalogue")
    p_report.add_argument("--json", action="store_true")
    sub.add_parser("revisions", help="list the stored catalogue revisions")
    p_changes = sub.add_parser("changes", help="what changed between two revisions")
    p_changes.add_argument("--from", dest="start", type=int, required=True)
    p_changes.add_argument("--to", dest="end", type=int, default=None)
    sub.add_parser("serve", help="migrate, seed and serve the API")
    p_dec = sub.add_parser("decode", help="decode an error body from standard input")
    p_dec.add_argument("--lines", action="store_true", help="one body per line, a report each")
    p_dec.add_argument("--file", type=Path, help="decode against this seed file, not the database")
    p_prop = sub.add_parser("propose", help="print an amendments draft from observed drift")
    p_prop.add_argument("--min-count", type=int, default=1, help="leave out rarer drift")
    p_tr = sub.add_parser("transcribe", help="rewrite the seed file from the vendor's page")
    p_tr.add_argument("page", type=Path)
    p_tr.add_argument("--out", type=Path, default=DEFAULT_SEED_PATH)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
        if args.command == "migrate":
            migrate(settings)
        elif args.command == "seed":
            outcome = asyncio.run(seed(settings, args.file, force=args.force))
            if outcome.diff is not None and outcome.changed:
                print(render_diff(outcome.diff))
            print(outcome.describe())
        elif args.command == "plan":
            doc = load_seed(args.file)
            diff = asyncio.run(_with_engine(settings, lambda engine: plan(engine, doc)))
            print(describe_plan(diff))
            return 1 if diff is not None and diff.is_breaking else 0
        elif args.command == "report":
            text, ok = asyncio.run(_report(settings, args.json))
            print(text)
            return 0 if ok else 1
        elif args.command == "revisions":
            for v in asyncio.run(_with_engine(settings, store.list_revisions)):
                print(f"{v.revision}\t{v.content_hash[:12]}\t{v.loaded_at}")
        elif args.command == "changes":
            print(asyncio.run(_changes(settings, args.start, args.end)))
        elif args.command == "serve":
            serve(settings)
        elif args.command == "decode":
            from app.catalogue.decode import decode_stream

            if args.file is not None:
                doc = load_seed(args.file)
                snap = build_snapshot(doc, CatalogueVersion(0, content_hash(doc), ""))
            else:
                found = asyncio.run(_with_engine(settings, store.read_catalogue))
                if found is None:
                    raise CommandError("the database holds no catalogue yet: run errcat seed")
                snap = build_snapshot(*found)
            return decode_stream(snap, sys.stdin.buffer, sys.stdout, lines=args.lines)
        elif args.command == "propose":
            print(asyncio.run(_propose(settings, max(1, args.min_count))))
        elif args.command == "transcribe":
            from app.catalogue.page import transcribe

            args.out.write_text(render(transcribe(args.page.read_text(encoding="utf-8"))))
            print(f"wrote {args.out}")
    except (BreakingChangeError, CommandError) as exc:
        print(f"errcat: {exc}", file=sys.stderr)
        return 1
    except (SettingsError, SeedError) as exc:
        print(f"errcat: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
