"""``errcat serve``'s start-up: migrate and seed, retrying while the database is away.

A replica that starts before its database (compose, Kubernetes) waits for it with bounded
exponential backoff (0.5 s doubling to 10 s; for ever, or STARTUP_TIMEOUT seconds), one JSON
log line per attempt, instead of exiting with a traceback. Also: the uvicorn arguments that
decide whose X-Forwarded-For to believe (FORWARDED_ALLOW_IPS; nobody's by default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from app.db.setup import migrate, seed
from app.observability import configure_logging
from app.seeding import BreakingChangeError
from app.seeds import DEFAULT_SEED_PATH, SeedError
from app.settings import Settings, SettingsError

log = logging.getLogger("errcat")

FIRST_DELAY = 0.5
MAX_DELAY = 10.0


class StartupError(RuntimeError):
    """The database did not become usable within STARTUP_TIMEOUT."""


def _is_settings_problem(exc: BaseException) -> bool:
    # Errors retrying cannot fix: a wrong seed file, a bad URL, a breaking change.
    return isinstance(exc, SeedError | SettingsError | BreakingChangeError)


def _not_migrated(exc: BaseException) -> bool:
    """A database that answers but has no schema (ERRCAT_MIGRATE=0 on an unmigrated database):
    waiting will not migrate it."""
    if not isinstance(exc, OperationalError | ProgrammingError):
        return False
    text = str(exc.orig).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def with_backoff(
    step: Callable[[], Any],
    what: str,
    *,
    timeout: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Run ``step`` until it succeeds, waiting 0.5 s, 1 s, 2 s ... at most 10 s in between."""
    deadline = clock() + timeout if timeout > 0 else None
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            result = step()
        except Exception as exc:
            if _is_settings_problem(exc):
                raise
            if _not_migrated(exc):
                log.error("%s failed: the database has no schema; run errcat migrate", what)
                raise StartupError(f"{what} failed: the database is not migrated") from exc
            reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
            if deadline is not None and clock() + delay > deadline:
                log.error(
                    "%s failed, giving up after %d attempts (STARTUP_TIMEOUT=%ss): %s",
                    what,
                    attempt,
                    timeout,
                    reason,
                    extra={"attempt": attempt},
                )
                raise StartupError(f"{what} failed: {reason}") from exc
            log.warning(
                "%s failed (database not ready?), retrying in %.1fs: %s",
                what,
                delay,
                reason,
                extra={"attempt": attempt, "retry_in": delay},
            )
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
            attempt += 1
            continue
        if attempt > 1:
            log.info("%s succeeded after %d attempts", what, attempt, extra={"attempt": attempt})
        return result


def prepare_database(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Migrate and seed (unless ERRCAT_MIGRATE=0 / ERRCAT_SEED=0), waiting for the database."""
    configure_logging(settings.log_level)

    def migrate_once() -> None:
        try:
            migrate(settings)
        finally:  # alembic's env.py installs alembic.ini's logging: JSON lines again
            configure_logging(settings.log_level)

    if settings.migrate_on_start:
        with_backoff(migrate_once, "migration", timeout=settings.startup_timeout, sleep=sleep)
    if settings.seed_on_start:
        try:
            outcome = with_backoff(
                lambda: asyncio.run(seed(settings, DEFAULT_SEED_PATH)),
                "seeding",
                timeout=settings.startup_timeout,
                sleep=sleep,
            )
            log.info("seed: %s", outcome.describe())
        except BreakingChangeError as exc:
            # Keep serving the stored catalogue rather than crash-looping a replica; an operator
            # accepts the change with `errcat seed --force`.
            log.warning("seed file not loaded, %s", exc)
