"""``errcat``: the command line (click). It calls the same functions as the API.

Every command reads the environment through ``Settings.from_env`` first, so an invalid variable
stops every command with one line and exit code 2. Anything a user can cause (a missing file,
a page that is not the vendor's, an unreachable or unmigrated database, a closed output pipe)
ends with one line on stderr and a documented exit code, never a traceback. Results go to
stdout (``--json``: exactly the API's body); logs (Alembic's too) are JSON lines on stderr.

(About 400 lines, on purpose: one click command each, most of each its help text; what the
commands share is in app/cli_runtime.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from app import __version__
from app.api.schemas import CodeLookup, RevisionList
from app.catalogue.diff import render_diff
from app.catalogue.errors import CodeNotFound, RevisionNotFound
from app.catalogue.export import EXPORT_FORMATS, render_export
from app.catalogue.integrity import integrity_report
from app.catalogue.model import CatalogueVersion, Snapshot
from app.catalogue.query import build_snapshot, find_code, ranges_containing
from app.cli_runtime import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    CommandError,
    ErrcatGroup,
    _database,
    _echo_json,
    _pipe_closed,
    _run,
    _snapshot,
    migrate,
)
from app.db import observation_store, store
from app.error_envelope import error_envelope
from app.observability import configure_logging
from app.revisions import revision_changes
from app.seeding import describe_plan, plan, seed_catalogue
from app.seeds import (
    DEFAULT_AMENDMENTS_PATH,
    DEFAULT_SEED_PATH,
    content_hash,
    load_catalogue,
    render,
)
from app.settings import VARIABLES, Settings

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
    with _database(settings):
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
    outcome = _run(settings, lambda engine: seed_catalogue(engine, doc, force=force))
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

    try:
        found = _run(settings, lambda engine: revision_changes(engine, start, end))
    except RevisionNotFound as exc:
        raise CommandError(f"no revision {exc.revision} (errcat revisions lists them)") from None
    if as_json:
        _echo_json(found.diff)
    else:
        click.echo(f"revision {found.start} -> {found.end}\n" + render_diff(found.diff))


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
    try:
        entries = find_code(snap, code, namespace)
    except CodeNotFound as exc:
        if as_json:
            envelope = error_envelope(
                snap, 404, exc.message, "", exc.suggested_fix or "", prefer="ResourceNotFound"
            )
            body = msgspec.structs.asdict(envelope.error)
            del body["request_id"]  # a command is not a request
            _echo_json({"error": body})
            sys.exit(EXIT_FINDINGS)
        raise CommandError(f"{exc.message}. {exc.suggested_fix}") from None
    found = CodeLookup(code=code, entries=entries, ranges=ranges_containing(snap, code))
    if as_json:
        _echo_json(found)
        return
    for e in found.entries:
        click.echo(f"{e.code}  {e.name}  {e.status}  {e.service} ({e.namespace})  {e.slug}")
        click.echo(f"    {e.description}")
        if e.provenance is not None:
            click.echo(f"    amendment: seen in {e.provenance.seen_in} ({e.provenance.seen})")
        for n in e.notes:
            click.echo(
                f"    note: {n.note or ''}"
                + (f" (see {n.superseded_by})" if n.superseded_by else "")
            )
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
    from app.server import run
    from app.startup import prepare_database

    prepare_database(settings)  # migrate + seed, waiting for the database with backoff
    run(settings)


@cli.command("export", epilog=COMMAND_EPILOG)
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="What to write."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="A file to write (default: stdout).",
)
@click.pass_obj
def export_command(settings: Settings, fmt: str, out: Path | None) -> None:
    """The stored catalogue as json, md, csv, python or typescript (GET /catalogue.json ...).

    The same bytes the API serves for the same revision.
    """
    data = render_export(_run(settings, _snapshot), fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror}", EXIT_USAGE) from exc
    click.echo(f"wrote {out}", err=True)


@cli.command("decode", epilog=COMMAND_EPILOG)
@click.option(
    "--lines", is_flag=True, help="One error body per line (log pipelines): one report per line."
)
@click.option(
    "--file",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Decode against this seed file instead of the stored catalogue.",
)
@click.pass_obj
def decode_command(settings: Settings, lines: bool, seed_file: Path | None) -> None:
    """Decode error bodies read from standard input, as POST /decode does (docs/decode.md)."""
    from app.catalogue.decode import decode_stream

    if seed_file is not None:
        doc = load_catalogue(seed_file)
        snap = build_snapshot(doc, CatalogueVersion(0, content_hash(doc), ""))
    else:
        snap = _run(settings, _snapshot)
    sys.exit(decode_stream(snap, sys.stdin.buffer, sys.stdout, lines=lines))


@cli.command("propose", epilog=COMMAND_EPILOG)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Leave out what was observed fewer times than this.",
)
@click.pass_obj
def propose_command(settings: Settings, min_count: int) -> None:
    """Print an amendments draft from the observed drift (GET /observations/drift), for a person
    to review, add to seeds/amendments.json and seed (docs/observations.md).

    Each item's provenance says "observed by errcat: N times between FIRST and LAST". What cannot
    be drafted (an unknown code seen without a slug) is listed on stderr.
    """
    from datetime import UTC, datetime

    from app.catalogue.drift import drift
    from app.catalogue.propose import propose

    async def work(engine: AsyncEngine) -> tuple[Snapshot, Any]:
        snap = await _snapshot(engine)
        observed, _, _ = await observation_store.list_observations(engine)
        return snap, drift(snap, observed, min_count)

    snap, report = _run(settings, work)
    proposal = propose(snap, report, today=datetime.now(UTC).date())
    for line in proposal.skipped:
        click.echo(f"errcat propose: {line}", err=True)
    click.echo(msgspec.json.format(msgspec.json.encode(proposal.draft), indent=2).decode())


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
