"""What every ``errcat`` command shares (app.cli, app.cli_answers): database access that fails in
one line with a documented exit code, the failures a user can cause and their exit codes, the
help's exit codes and the ``--json`` option."""

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
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.build import build_snapshot
from app.catalogue.model import Snapshot
from app.catalogue.page import PageFormatError
from app.db import store
from app.db.setup import alembic_config, with_engine
from app.observability import JsonFormatter
from app.seeding import BreakingChangeError
from app.seeds import SeedError
from app.settings import Settings, SettingsError
from app.startup import StartupError

T = TypeVar("T")
log = logging.getLogger("errcat.cli")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3
VERSION_TABLE = "alembic_version"  # as migrations/env.py names it
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for tools the pipe stopped

EXIT_CODES = """\b
Exit codes:
  0    fine
  1    findings (report), breaking changes (plan, seed), an undocumented code (lookup),
       an unknown revision (changes)
  2    usage or configuration error: a bad option, argument, file or environment variable
  3    database unreachable, not migrated (run errcat migrate) or not seeded (run errcat seed)
  141  stdout closed early (errcat report | head): errcat stops quietly
"""
# Each command's help: the exit codes, and where the environment is described.
COMMAND_EPILOG = f"{EXIT_CODES}\nEnvironment: see errcat --help."

JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's JSON body instead of text."
)


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
def database_errors(settings: Settings) -> Iterator[None]:
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


def run_on_database(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on a migrated database, with every database failure made one line."""
    url = make_url(settings.database_url)
    in_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    # Connecting would create an empty file; say what is missing instead.
    if in_file and url.database and not Path(url.database).exists():
        raise CommandError(f"no database file at {url.database}: run errcat migrate", EXIT_DATABASE)

    async def checked(engine: AsyncEngine) -> T:
        await _check_migrated(settings, engine)
        return await work(engine)

    with database_errors(settings):
        return asyncio.run(with_engine(settings, checked))


async def stored_snapshot(engine: AsyncEngine) -> Snapshot:
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


def exit_pipe_closed() -> NoReturn:
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
    StartupError: EXIT_DATABASE,  # serve gave up waiting for the database (STARTUP_TIMEOUT)
}
_CAUGHT: tuple[type[Exception], ...] = (CommandError, *_FAILURES)


class ErrcatGroup(click.Group):
    """Turns the failures a user can cause into one line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            exit_pipe_closed()
        except _CAUGHT as exc:
            code = getattr(exc, "exit_code", None) or next(
                c for kind, c in _FAILURES.items() if isinstance(exc, kind)
            )
            # The group's arguments are parsed by now: invoked_subcommand is known.
            _fail(str(exc), code, as_log=ctx.invoked_subcommand == "serve")


def echo_json(value: Any) -> None:
    click.echo(msgspec.json.encode(value).decode())
