"""``errcat``: the command line (click). It calls the same functions as the API.

Every command reads the environment through ``Settings.from_env`` first, so an invalid variable
stops every command with one line and exit code 2. Anything a user can cause (a missing file,
a page that is not the vendor's, an unreachable or unmigrated database, a closed output pipe)
ends with one line on stderr and a documented exit code, never a traceback. Results go to
stdout (``--json``: exactly the API's body); logs (Alembic's too) are JSON lines on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import msgspec
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schemas import CodeLookup, RevisionList
from app.catalogue.diff import diff_catalogues, render_diff
from app.catalogue.integrity import integrity_report
from app.catalogue.model import Snapshot
from app.catalogue.page import PageFormatError
from app.catalogue.query import build_snapshot, http_error_identity, lookup, ranges_containing
from app.catalogue.undocumented import undocumented
from app.db import store
from app.observability import JsonFormatter, configure_logging
from app.seeding import BreakingChangeError, SeedOutcome, describe_plan, plan, seed_catalogue
from app.seeds import DEFAULT_SEED_PATH, SeedError, load_seed, render
from app.settings import VARIABLES, Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
log = logging.getLogger("errcat.cli")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3
VERSION_TABLE = "alembic_version"  # as migrations/env.py names it
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for tools the pipe stopped


# --- Functions the tests (and the container) call directly -----------------------------------


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


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    engine = store.make_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def seed(settings: Settings, path: Path, *, force: bool = False) -> SeedOutcome:
    doc = load_seed(path)
    return await _with_engine(settings, lambda engine: seed_catalogue(engine, doc, force=force))


# --- Failures and their exit codes ------------------------------------------------------------


class CommandError(Exception):
    """A command that cannot do what was asked; ``exit_code`` says why (see EPILOG)."""

    def __init__(self, message: str, exit_code: int = EXIT_FINDINGS) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _where(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _reason(exc: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's wrapping."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig).strip()
        return text.splitlines()[0] if text else type(exc.orig).__name__
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[None]:
    """Database work: an unreachable server or missing database is exit 3 in one line."""
    try:
        yield
    except (DBAPIError, OSError, TimeoutError) as exc:
        raise CommandError(
            f"cannot use the database at {_where(settings)}: {_reason(exc)}", EXIT_DATABASE
        ) from exc


def _applied_migrations(conn: Connection) -> set[str]:
    # Read directly rather than through alembic's MigrationContext, which logs as it starts.
    if not inspect(conn).has_table(VERSION_TABLE):
        return set()
    return set(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


async def _check_migrated(settings: Settings, engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        current = await conn.run_sync(_applied_migrations)
    heads = set(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads())
    if current != heads:
        at = ", ".join(sorted(current)) or "no schema"
        raise CommandError(
            f"the database at {_where(settings)} is not migrated ({at}; errcat needs "
            f"{', '.join(sorted(heads))}): run errcat migrate",
            EXIT_DATABASE,
        )


def _run(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on a migrated database, with every database failure made one line."""
    url = make_url(settings.database_url)
    in_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    # Connecting would create an empty file; say what is missing instead.
    if in_file and not Path(url.database).exists():
        raise CommandError(f"no database file at {url.database}: run errcat migrate", EXIT_DATABASE)

    async def checked(engine: AsyncEngine) -> T:
        await _check_migrated(settings, engine)
        return await work(engine)

    with _database(settings):
        return asyncio.run(_with_engine(settings, checked))


async def _snapshot(engine: AsyncEngine) -> Snapshot:
    found = await store.read_catalogue(engine)
    if found is None:
        raise CommandError("the database holds no catalogue yet: run errcat seed", EXIT_DATABASE)
    return build_snapshot(*found)


def _fail(message: str, code: int, *, as_log: bool = False) -> NoReturn:
    """One line on stderr: ``errcat: ...``, or for ``serve`` a JSON log line like all its others."""
    if as_log:
        record = logging.LogRecord(log.name, logging.ERROR, __file__, 0, message, None, None)
        click.echo(JsonFormatter().format(record), err=True)
    else:
        click.echo(f"errcat: {message}", err=True)
    sys.exit(code)


def _pipe_closed() -> NoReturn:
    # The reader went away (errcat report | head): nothing more can be said on stdout, and the
    # interpreter must not complain when it flushes stdout at exit.
    # (A stdout without a file descriptor, a test runner's, has nothing left to flush.)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_PIPE_CLOSED)


# What a command can fail with (the user's doing, not errcat's), and the exit code of each.
_FAILURES: dict[type[Exception], int] = {
    BreakingChangeError: EXIT_FINDINGS,
    SettingsError: EXIT_USAGE,
    SeedError: EXIT_USAGE,
    PageFormatError: EXIT_USAGE,
}


class ErrcatGroup(click.Group):
    """Turns the failures a user can cause into one line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _pipe_closed()
        except (CommandError, *_FAILURES) as exc:
            code = getattr(exc, "exit_code", None) or next(
                c for kind, c in _FAILURES.items() if isinstance(exc, kind)
            )
            # The group's arguments are parsed by now: invoked_subcommand is known.
            _fail(str(exc), code, as_log=ctx.invoked_subcommand == "serve")


def _echo_json(value: Any) -> None:
    click.echo(msgspec.json.encode(value).decode())


# --- The command line -------------------------------------------------------------------------


def _environment_help() -> str:
    width = max(len(v.name) for v in VARIABLES)
    return "\n".join(f"  {v.name:{width}}  {v.accepts}" for v in VARIABLES)


EXIT_CODES = """\b
Exit codes:
  0    fine
  1    findings (report), breaking changes (plan, seed), an undocumented code (lookup),
       an unknown revision (changes)
  2    usage or configuration error: a bad option, argument, file or environment variable
  3    database unreachable, not migrated (run errcat migrate) or not seeded (run errcat seed)
  141  stdout closed early (errcat report | head): errcat stops quietly
"""
EPILOG = f"""{EXIT_CODES}\b
Environment (every command checks all of it first; an invalid value is exit 2):
{_environment_help()}
"""
# Each command's help: the exit codes, and where the environment is described.
COMMAND_EPILOG = f"{EXIT_CODES}\nEnvironment: see errcat --help."

JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's JSON body instead of text."
)
SEED_FILE = click.argument(
    "file",
    required=False,
    default=DEFAULT_SEED_PATH,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)


@click.group(
    cls=ErrcatGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="errcat", prog_name="errcat", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """errcat: the HTTP error catalogue as a service, and its command line.

    Every command reads the database named by DATABASE_URL (default sqlite:///errcat.db).
    Results go to stdout; logs are JSON lines on stderr.
    """
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    ctx.obj = settings


@cli.command("migrate", epilog=COMMAND_EPILOG)
@click.pass_obj
def migrate_command(settings: Settings) -> None:
    """Apply every Alembic migration to DATABASE_URL (upgrade head).

    Safe to run from several replicas at once (PostgreSQL: an advisory lock; SQLite: the write
    lock). Alembic's progress is logged as JSON lines on stderr.
    """
    with _database(settings):
        migrate(settings)


@cli.command("seed", epilog=COMMAND_EPILOG)
@SEED_FILE
@click.option(
    "--force",
    is_flag=True,
    help="Accept breaking changes: removed codes, reused numbers, changed statuses.",
)
@click.pass_obj
def seed_command(settings: Settings, file: Path, force: bool) -> None:
    """Load FILE (default seeds/catalogue.json) into DATABASE_URL in one transaction.

    Idempotent: an unchanged file stores nothing. A file with breaking changes (a code removed, a
    number reused for another name, a status changed) is refused, exit 1, unless --force.
    """
    doc = load_seed(file)
    outcome = _run(settings, lambda engine: seed_catalogue(engine, doc, force=force))
    if outcome.diff is not None and outcome.changed:
        click.echo(render_diff(outcome.diff))
    click.echo(outcome.describe())


@cli.command("plan", epilog=COMMAND_EPILOG)
@SEED_FILE
@JSON_OPTION
@click.pass_obj
def plan_command(settings: Settings, file: Path, as_json: bool) -> None:
    """Show what seeding FILE (default seeds/catalogue.json) would change; write nothing.

    Exit 1 when a change is breaking. --json prints the change set as GET /catalogue/changes
    does (null when DATABASE_URL holds no catalogue yet).
    """
    doc = load_seed(file)
    diff = _run(settings, lambda engine: plan(engine, doc))
    if as_json:
        _echo_json(diff)
    else:
        click.echo(describe_plan(diff))
    if diff is not None and diff.is_breaking:
        sys.exit(EXIT_FINDINGS)


@cli.command("report", epilog=COMMAND_EPILOG)
@JSON_OPTION
@click.pass_obj
def report_command(settings: Settings, as_json: bool) -> None:
    """The integrity report of the catalogue stored in DATABASE_URL (GET /catalogue/report).

    Exit 1 when the report has errors.
    """
    report = integrity_report(_run(settings, _snapshot))
    if as_json:
        _echo_json(report)
    else:
        for f in report.findings:
            click.echo(f"{f.severity:7} {f.rule:36} {f.message}")
        counts = report.counts
        click.echo(
            f"{report.total} findings: {counts.error} error, {counts.warning} warning, "
            f"{counts.info} info"
        )
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


@cli.command("revisions", epilog=COMMAND_EPILOG)
@JSON_OPTION
@click.pass_obj
def revisions_command(settings: Settings, as_json: bool) -> None:
    """List the catalogue revisions stored in DATABASE_URL (GET /catalogue/revisions).

    Text: revision, content hash (12 characters), time loaded; oldest first.
    """
    items = tuple(_run(settings, store.list_revisions))
    if as_json:
        _echo_json(RevisionList(items=items, total=len(items)))
        return
    for v in items:
        click.echo(f"{v.revision}\t{v.content_hash[:12]}\t{v.loaded_at}")


@cli.command("changes", epilog=COMMAND_EPILOG)
@click.option(
    "--from", "start", type=click.IntRange(min=1), required=True, help="The older revision."
)
@click.option(
    "--to", "end", type=click.IntRange(min=1), default=None, help="The newer one (default: newest)."
)
@JSON_OPTION
@click.pass_obj
def changes_command(settings: Settings, start: int, end: int | None, as_json: bool) -> None:
    """What changed between two stored revisions (GET /catalogue/changes?from=&to=).

    Exit 1 when a revision does not exist (errcat revisions lists them).
    """

    async def work(engine: AsyncEngine):
        target = await store.latest_revision(engine) if end is None else end
        old = await store.read_revision_document(engine, start)
        new = None if target is None else await store.read_revision_document(engine, target)
        return target, old, new

    target, old, new = _run(settings, work)
    if old is None or new is None:
        missing = start if old is None else target
        raise CommandError(f"no revision {missing} (errcat revisions lists them)")
    diff = diff_catalogues(old, new)
    if as_json:
        _echo_json(diff)
    else:
        click.echo(f"revision {start} -> {target}\n" + render_diff(diff))


@cli.command("lookup", epilog=COMMAND_EPILOG)
@click.argument("code", type=int)
@click.option(
    "--namespace",
    type=click.Choice(["platform", "thermos"]),
    default=None,
    help="Narrow to one namespace (default: all).",
)
@JSON_OPTION
@click.pass_obj
def lookup_command(settings: Settings, code: int, namespace: str | None, as_json: bool) -> None:
    """Every documented entry for the number CODE, as GET /codes/CODE answers.

    An undocumented code is exit 1 with the API's message and suggested fix (--json: the API's
    error envelope, without a request id).
    """
    snap = _run(settings, _snapshot)
    entries = lookup(snap, code, namespace)
    if not entries:
        answer = undocumented(snap, code, namespace)
        if as_json:
            number, slug = http_error_identity(snap, 404, "ResourceNotFound")
            error = {"message": answer.message, "code": number, "slug": slug, "status": 404}
            _echo_json({"error": {**error, "suggested_fix": answer.suggested_fix, "errors": []}})
            sys.exit(EXIT_FINDINGS)
        raise CommandError(f"{answer.message}. {answer.suggested_fix}")
    found = CodeLookup(code=code, entries=entries, ranges=ranges_containing(snap, code))
    if as_json:
        _echo_json(found)
        return
    for e in found.entries:
        click.echo(f"{e.code}  {e.name}  {e.status}  {e.service} ({e.namespace})  {e.slug}")
        click.echo(f"    {e.description}")
    ranges = ", ".join(f"{r.start}-{r.end} ({r.service})" for r in found.ranges)
    click.echo(f"ranges: {ranges or 'none'}")


@cli.command("serve", epilog=COMMAND_EPILOG)
@click.pass_obj
def serve_command(settings: Settings) -> None:
    """Migrate, seed and serve the API with uvicorn.

    Reads HOST, PORT, WEB_CONCURRENCY (workers) and every other variable below. ERRCAT_MIGRATE=0
    and ERRCAT_SEED=0 skip the first two steps; a seed file with breaking changes is not loaded
    (the stored revision keeps being served and the log says why).
    """
    serve(settings)


def serve(settings: Settings) -> None:
    import uvicorn

    if settings.migrate_on_start:
        with _database(settings):
            migrate(settings)
    if settings.seed_on_start:
        try:
            outcome = _run(settings, lambda engine: seed_catalogue(engine, load_seed()))
            log.info(outcome.describe())
        except BreakingChangeError as exc:
            # Keep serving the stored catalogue rather than crash-looping a replica; an operator
            # accepts the change with `errcat seed --force`.
            log.warning("seed file not loaded, %s", exc)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app's own JSON access log replaces uvicorn's (ACCESS_LOG=1)
        log_config=None,  # create_app configures JSON logging in every worker
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )


@cli.command("transcribe", epilog=COMMAND_EPILOG)
@click.argument("page", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=DEFAULT_SEED_PATH,
    show_default="seeds/catalogue.json",
    help="Where to write the seed file.",
)
def transcribe_command(page: Path, out: Path) -> None:
    """Rewrite the seed file from PAGE, the vendor's error-code page saved as plain text.

    Every row is kept as printed; a page this transcriber does not understand is refused
    (exit 2) and nothing is written. Reads no database.
    """
    from app.catalogue.page import transcribe

    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {page}: {exc}", EXIT_USAGE) from exc
    doc = transcribe(text)
    try:
        out.write_text(render(doc), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror}", EXIT_USAGE) from exc
    click.echo(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    """Run errcat's command line; the exit code (also for the tests, which pass ``argv``)."""
    try:
        cli.main(args=argv, prog_name="errcat")
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - click's standalone mode always exits
        code = 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _pipe_closed()
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
