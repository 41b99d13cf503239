"""The database side of observations (app.observations, docs/observations.md): counts added by
every replica's group commits, and read back for GET /observations and the drift."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypedDict

import msgspec
from sqlalchemy import Connection, Engine, Insert, bindparam, create_engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.drift import Observation
from app.db.store import prepare_sqlite
from app.db.tables import ObservationOverflowRow, ObservationRow

# Flushes from every replica are serialised, so the cap on distinct keys holds exactly.
_OBSERVATIONS_LOCK_KEY = 0x4552424F  # "ERBO"
_CHUNK = 500  # rows per statement: below SQLite's bound-parameter limit


def observation_key_hash(code: int | None, slug: str | None, status: int | None, conf: str) -> str:
    return hashlib.sha256(msgspec.json.encode([code, slug, status, conf])).hexdigest()


class FlushResult(msgspec.Struct, frozen=True):
    keys: int  # distinct keys written (new and existing)
    new_keys: int
    overflow: int  # observations not stored: their keys were new and the table was full


class _ObservationValues(TypedDict):
    """One observations row as written."""

    key_hash: str
    code: int | None
    slug: str | None
    status: int | None
    confidence: str
    count: int
    first_seen: datetime
    last_seen: datetime


class CommitAbandoned(Exception):
    """The batch's requests were answered before its COMMIT could be sent: rolled back."""


def make_sqlite_writer(url: URL, timeout: float) -> Engine:
    """A synchronous engine on the SQLite file of ``url``: a batch's transaction then runs whole
    in one worker thread, where aiosqlite would take a thread round trip per call (about ten)."""
    engine = create_engine(url.set(drivername="sqlite+pysqlite"), connect_args={"timeout": timeout})
    prepare_sqlite(engine)
    return engine


def write_observations(
    conn: Connection,
    counts: dict[tuple[int | None, str | None, int | None, str], tuple[int, datetime, datetime]],
    max_keys: int,
    may_commit: Callable[[], bool],
) -> FlushResult:
    """Add ``counts`` ((code, slug, status, confidence) -> (count, first, last)) in one
    transaction: counts add, first_seen/last_seen widen; keys beyond ``max_keys`` distinct ones
    in the table are counted in the overflow row instead.

    ``may_commit`` is asked just before COMMIT is sent; False raises CommitAbandoned. After any
    failure the caller discards ``conn`` (closing it rolls back what it began). Synchronous:
    SQLite runs it in a worker thread, PostgreSQL through ``AsyncConnection.run_sync``."""
    rows: dict[str, _ObservationValues] = {}
    for key, (count, first, last) in counts.items():
        digest = observation_key_hash(*key)
        rows[digest] = {
            "key_hash": digest,
            "code": key[0],
            "slug": key[1],
            "status": key[2],
            "confidence": key[3],
            "count": count,
            "first_seen": first,
            "last_seen": last,
        }
    table = ObservationRow.__table__
    postgres = conn.dialect.name == "postgresql"
    upsert, spill = _upserts(postgres)
    # Not a context manager: the moment COMMIT is sent must be known.
    transaction = conn.execution_options(sqlite_immediate=True).begin()
    if postgres:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _OBSERVATIONS_LOCK_KEY})
    hashes = list(rows)
    existing: set[str] = set()
    for i in range(0, len(hashes), _CHUNK):
        found = conn.execute(_EXISTING, {"hashes": hashes[i : i + _CHUNK]})
        existing.update(found.scalars())
    new = sorted(
        (h for h in hashes if h not in existing),
        key=lambda h: (-rows[h]["count"], h),  # the most frequent new keys first
    )
    room = 0
    if new:  # only new keys need room: a statement less in the common case
        stored = conn.execute(select(func.count()).select_from(table)).scalar_one()
        room = max(0, max_keys - stored)
    admitted, refused = new[:room], new[room:]
    write = [rows[h] for h in hashes if h in existing] + [rows[h] for h in admitted]
    for i in range(0, len(write), _CHUNK):
        conn.execute(upsert, write[i : i + _CHUNK])
    overflow = sum(rows[h]["count"] for h in refused)
    if overflow:
        first = min(rows[h]["first_seen"] for h in refused)
        last = max(rows[h]["last_seen"] for h in refused)
        conn.execute(spill, {"id": 1, "count": overflow, "first_seen": first, "last_seen": last})
    if not may_commit():
        raise CommitAbandoned("its requests were answered before COMMIT")
    transaction.commit()
    return FlushResult(keys=len(write), new_keys=len(admitted), overflow=overflow)


_EXISTING = select(ObservationRow.__table__.c.key_hash).where(
    ObservationRow.__table__.c.key_hash.in_(bindparam("hashes", expanding=True))
)
_UPSERTS: dict[bool, tuple[Insert, Insert]] = {}


def _upserts(postgres: bool) -> tuple[Insert, Insert]:
    """(add to an observation row, add to the overflow row), built once per dialect."""
    if postgres not in _UPSERTS:
        insert_ = pg_insert if postgres else sqlite_insert
        greatest, least = (func.greatest, func.least) if postgres else (func.max, func.min)
        statements = []
        for row, key in ((ObservationRow, "key_hash"), (ObservationOverflowRow, "id")):
            columns = row.__table__.c
            stmt = insert_(row)
            statements.append(
                stmt.on_conflict_do_update(
                    index_elements=[columns[key]],
                    set_={
                        "count": columns.count + stmt.excluded.count,
                        "first_seen": least(columns.first_seen, stmt.excluded.first_seen),
                        "last_seen": greatest(columns.last_seen, stmt.excluded.last_seen),
                    },
                )
            )
        _UPSERTS[postgres] = (statements[0], statements[1])
    return _UPSERTS[postgres]


def refused_by_database(exc: BaseException) -> bool:
    """Whether a failed COMMIT was answered by the database (so nothing was committed), rather
    than lost on the way (a broken connection, a timeout: the outcome is unknown)."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    # asyncpg: an error the server sent carries its SQLSTATE; SQLite's errors are all answers.
    return getattr(exc.orig, "sqlstate", None) is not None or isinstance(exc.orig, sqlite3.Error)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _observation(row: Any) -> Observation:  # a row of the observations table (see _version)
    return Observation(
        code=row.code,
        slug=row.slug,
        status=row.status,
        confidence=row.confidence,
        count=row.count,
        first_seen=_utc(row.first_seen),
        last_seen=_utc(row.last_seen),
    )


async def list_observations(
    engine: AsyncEngine, limit: int | None = None, offset: int = 0
) -> tuple[list[Observation], int, int]:
    """(observations most frequent first, distinct keys in all, overflow count)."""
    table = ObservationRow.__table__
    query = select(table).order_by(
        table.c.count.desc(), table.c.code, table.c.slug, table.c.status, table.c.key_hash
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    async with engine.connect() as conn, conn.begin():
        items = [_observation(r) for r in await conn.execute(query)]
        total = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        overflow = (
            await conn.execute(
                select(ObservationOverflowRow.count).where(ObservationOverflowRow.id == 1)
            )
        ).scalar()
    return items, total, overflow or 0
