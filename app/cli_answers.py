"""The ``errcat`` commands that answer from the stored catalogue as the API does: ``report``,
``lookup``, ``export``, ``decode`` and ``propose`` (``--json``: exactly the API's body)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schemas import CodeLookup
from app.catalogue.build import build_snapshot
from app.catalogue.errors import CodeNotFound
from app.catalogue.export import EXPORT_FORMATS, render_export
from app.catalogue.integrity import integrity_report
from app.catalogue.model import CatalogueVersion, Snapshot
from app.catalogue.query import find_code, ranges_containing
from app.cli_runtime import (
    COMMAND_EPILOG,
    EXIT_FINDINGS,
    EXIT_USAGE,
    JSON_OPTION,
    CommandError,
    echo_json,
    run_on_database,
    stored_snapshot,
)
from app.db import observation_store
from app.error_envelope import error_envelope
from app.seeds import content_hash, load_catalogue
from app.settings import Settings


@click.command("report", epilog=COMMAND_EPILOG)
@JSON_OPTION
@click.pass_obj
def report_command(settings: Settings, as_json: bool) -> None:
    """The integrity report of the catalogue stored in DATABASE_URL (GET /catalogue/report).

    Exit 1 when the report has errors.
    """
    report = integrity_report(run_on_database(settings, stored_snapshot))
    if as_json:
        echo_json(report)
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


@click.command("lookup", epilog=COMMAND_EPILOG)
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
    snap = run_on_database(settings, stored_snapshot)
    try:
        entries = find_code(snap, code, namespace)
    except CodeNotFound as exc:
        if as_json:
            envelope = error_envelope(
                snap, 404, exc.message, "", exc.suggested_fix or "", prefer="ResourceNotFound"
            )
            body = msgspec.structs.asdict(envelope.error)
            del body["request_id"]  # a command is not a request
            echo_json({"error": body})
            sys.exit(EXIT_FINDINGS)
        raise CommandError(f"{exc.message}. {exc.suggested_fix}") from None
    found = CodeLookup(code=code, entries=entries, ranges=ranges_containing(snap, code))
    if as_json:
        echo_json(found)
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


@click.command("export", epilog=COMMAND_EPILOG)
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
    data = render_export(run_on_database(settings, stored_snapshot), fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror}", EXIT_USAGE) from exc
    click.echo(f"wrote {out}", err=True)


@click.command("decode", epilog=COMMAND_EPILOG)
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
        snap = run_on_database(settings, stored_snapshot)
    sys.exit(decode_stream(snap, sys.stdin.buffer, sys.stdout, lines=lines))


@click.command("propose", epilog=COMMAND_EPILOG)
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
        snap = await stored_snapshot(engine)
        observed, _, _ = await observation_store.list_observations(engine)
        return snap, drift(snap, observed, min_count)

    snap, report = run_on_database(settings, work)
    proposal = propose(snap, report, today=datetime.now(UTC).date())
    for line in proposal.skipped:
        click.echo(f"errcat propose: {line}", err=True)
    click.echo(msgspec.json.format(msgspec.json.encode(proposal.draft), indent=2).decode())


# The group in app.cli adds these.
ANSWER_COMMANDS = (report_command, lookup_command, export_command, decode_command, propose_command)
