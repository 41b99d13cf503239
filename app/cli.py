"""``errcat``: the command line (click). It calls the same functions as the API.

Every command reads the environment through ``Settings.from_env`` first, so an invalid variable
stops every command with one line and exit code 2. Anything a user can cause (a missing file,
a page that is not the vendor's, an unreachable or unmigrated database, a closed output pipe)
ends with one line on stderr and a documented exit code, never a traceback. Results go to
stdout (``--json``: exactly the API's body); logs (Alembic's too) are JSON lines on stderr.
Here: the group and the commands that change the database or serve; the commands that answer
from the catalogue are in app/cli_answers.py, what all share in app/cli_runtime.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app import __version__
from app.api.schemas import RevisionList
from app.catalogue.diff import render_diff
from app.catalogue.errors import RevisionNotFound
from app.cli_answers import ANSWER_COMMANDS
from app.cli_runtime import (
    COMMAND_EPILOG,
    EXIT_CODES,
    EXIT_FINDINGS,
    EXIT_USAGE,
    JSON_OPTION,
    CommandError,
    ErrcatGroup,
    database_errors,
    echo_json,
    exit_pipe_closed,
    run_on_database,
)
from app.db import store
from app.db.setup import migrate
from app.observability import configure_logging
from app.revisions import revision_changes
from app.seeding import describe_plan, plan, seed_catalogue
from app.seeds import DEFAULT_AMENDMENTS_PATH, DEFAULT_SEED_PATH, load_catalogue, render
from app.settings import VARIABLES, Settings

# --- The command line -------------------------------------------------------------------------


def _environment_help() -> str:
    width = max(len(v.name) for v in VARIABLES)
    return "\n".join(f"  {v.name:{width}}  {v.accepts}" for v in VARIABLES)


EPILOG = f"""{EXIT_CODES}\b
Environment (every command checks all of it first; an invalid value is exit 2):
{_environment_help()}
"""
SEED_FILE = click.argument(
    "file",
    required=False,
    default=DEFAULT_SEED_PATH,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
AMENDMENTS_FILE = click.option(
    "--amendments",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_AMENDMENTS_PATH,
    show_default="seeds/amendments.json",
    help="The amendments to the page (docs/amendments.md); a file that does not exist: none.",
)


@click.group(
    cls=ErrcatGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="errcat", message="%(prog)s %(version)s")
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
    with database_errors(settings):
        migrate(settings)


@cli.command("seed", epilog=COMMAND_EPILOG)
@SEED_FILE
@AMENDMENTS_FILE
@click.option(
    "--force",
    is_flag=True,
    help="Accept breaking changes: removed codes, reused numbers, changed statuses.",
)
@click.pass_obj
def seed_command(settings: Settings, file: Path, amendments: Path, force: bool) -> None:
    """Load FILE (default seeds/catalogue.json) and the amendments into DATABASE_URL in one
    transaction.

    Idempotent: an unchanged file stores nothing. A file with breaking changes (a code removed, a
    number reused for another name, a status changed) is refused, exit 1, unless --force.
    """
    doc = load_catalogue(file, amendments)
    outcome = run_on_database(settings, lambda engine: seed_catalogue(engine, doc, force=force))
    if outcome.diff is not None and outcome.changed:
        click.echo(render_diff(outcome.diff))
    click.echo(outcome.describe())


@cli.command("plan", epilog=COMMAND_EPILOG)
@SEED_FILE
@AMENDMENTS_FILE
@JSON_OPTION
@click.pass_obj
def plan_command(settings: Settings, file: Path, amendments: Path, as_json: bool) -> None:
    """Show what seeding FILE (default seeds/catalogue.json) and the amendments would change;
    write nothing.

    Exit 1 when a change is breaking. --json prints the change set as GET /catalogue/changes
    does (null when DATABASE_URL holds no catalogue yet).
    """
    doc = load_catalogue(file, amendments)
    diff = run_on_database(settings, lambda engine: plan(engine, doc))
    if as_json:
        echo_json(diff)
    else:
        click.echo(describe_plan(diff))
    if diff is not None and diff.is_breaking:
        sys.exit(EXIT_FINDINGS)


@cli.command("revisions", epilog=COMMAND_EPILOG)
@JSON_OPTION
@click.pass_obj
def revisions_command(settings: Settings, as_json: bool) -> None:
    """List the catalogue revisions stored in DATABASE_URL (GET /catalogue/revisions).

    Text: revision, content hash (12 characters), time loaded; oldest first.
    """
    items = tuple(run_on_database(settings, store.list_revisions))
    if as_json:
        echo_json(RevisionList(items=items, total=len(items)))
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

    try:
        found = run_on_database(settings, lambda engine: revision_changes(engine, start, end))
    except RevisionNotFound as exc:
        raise CommandError(f"no revision {exc.revision} (errcat revisions lists them)") from None
    if as_json:
        echo_json(found.diff)
    else:
        click.echo(f"revision {found.start} -> {found.end}\n" + render_diff(found.diff))


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
    from app.server import run
    from app.startup import prepare_database

    prepare_database(settings)  # migrate + seed, waiting for the database with backoff
    run(settings)


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


for command in ANSWER_COMMANDS:
    cli.add_command(command)


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
        exit_pipe_closed()
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
