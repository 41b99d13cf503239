"""The database side of the catalogue: read the current catalogue, write a new revision.

Writing is one transaction: the catalogue tables are replaced and a revision row is added, or
nothing happens at all. Concurrent seeders are serialised with a lock (PostgreSQL: a
transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the database's write lock) and
the revision check happens under that lock, so two seeders cannot both write the same change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import msgspec
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
)
from app.db.tables import (
    EntryRow,
    EnvelopeFieldRow,
    ErrorTypeRow,
    RangeRow,
    RevisionRow,
    SectionRow,
)
from app.seeds import canonical_bytes, content_hash

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from app.catalogue.drift import Observation

T = TypeVar("T")

# Any constant shared by every errcat process: the key of the seeding advisory lock.
_SEED_LOCK_KEY = 0x45525243  # "ERRC"


def make_engine(url: str, timeout: float | None = None) -> AsyncEngine:
    """An async engine; with ``timeout`` (seconds) every connect and statement is bounded by it.

    The running service passes DB_TIMEOUT so that a stalled database fails a call within it
    instead of hanging it; the command line (migrations, seeding under a lock) does not.
    """
    if url.startswith("sqlite"):
        # aiosqlite's timeout is how long to wait for a lock another connection holds.
        engine = create_async_engine(url, connect_args={"timeout": timeout or 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover
            # (runs per connection; ``dbapi_conn`` is the driver's own connection object)
            # SQLite enforces foreign keys only when asked, per connection; and the driver's own
            # transaction handling is switched off so that BEGIN IMMEDIATE below is ours.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:  # pragma: no cover - runs per transaction
            # Seeding takes the write lock at BEGIN, so two seeders queue instead of failing
            # halfway with "database is locked"; readers stay on a plain (deferred) BEGIN.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if timeout is None:
        return create_async_engine(url, pool_pre_ping=True)
    connect_args = {
        "timeout": timeout,  # establishing the connection
        "command_timeout": timeout,  # each statement, client side
        # and server side, so a query stuck in PostgreSQL does not hold on there either
        "server_settings": {"statement_timeout": str(max(1, round(timeout * 1000)))},
    }
    return create_async_engine(
        url, pool_pre_ping=True, pool_timeout=timeout, connect_args=connect_args
    )


async def bounded(work: Awaitable[T], timeout: float) -> T:
    """``await work``, or TimeoutError after ``timeout`` seconds, whatever the driver does.

    ``asyncio.timeout`` alone can take longer: it cancels the work, then waits for the
    cancelled work's own clean-up (closing a connection to a stalled server), which can wait in
    turn. Here the work runs as a task that is cancelled and left to finish its clean-up in the
    background (itself bounded by the engine's timeouts) while the caller gets its answer.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        raise TimeoutError
    return task.result()


def _consume(task: asyncio.Future[Any]) -> None:
    with contextlib.suppress(BaseException):
        task.exception()  # retrieved: no "exception was never retrieved" warning


@asynccontextmanager
async def seeding_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction holding the catalogue's write lock until it commits or rolls back."""
    async with engine.connect() as conn:
        await conn.execution_options(sqlite_immediate=True)
        async with conn.begin():
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEED_LOCK_KEY})
            yield conn


_VERSION_COLUMNS = (RevisionRow.revision, RevisionRow.content_hash, RevisionRow.loaded_at)


# Rows below are Any: their columns are read by name, and Row's type parameters differ between
# the SQLAlchemy versions allowed (and Row.count would be tuple.count to a type checker).
def _version(row: Any) -> CatalogueVersion:
    # SQLite hands back naive datetimes: they were stored in UTC.
    loaded_at = row.loaded_at if row.loaded_at.tzinfo else row.loaded_at.replace(tzinfo=UTC)
    return CatalogueVersion(
        revision=row.revision, content_hash=row.content_hash, loaded_at=loaded_at.isoformat()
    )


async def current_version(conn: AsyncConnection) -> CatalogueVersion | None:
    row = (
        await conn.execute(select(*_VERSION_COLUMNS).order_by(RevisionRow.revision.desc()).limit(1))
    ).first()
    return None if row is None else _version(row)


async def latest_revision(engine: AsyncEngine) -> int | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.max(RevisionRow.revision)))).scalar()


class InconsistentRead(RuntimeError):
    """A revision's document did not reproduce its content hash; nothing is loaded from it."""


async def read_catalogue(engine: AsyncEngine) -> tuple[CatalogueDocument, CatalogueVersion] | None:
    """The current catalogue with its version (None: never seeded): the newest revision's stored
    document, checked against its content hash.

    One row, read in one statement, so a reseed committing meanwhile cannot mix two revisions.
    The normalised tables hold the same catalogue (the same seeding transaction writes both) for
    the people who query them; reading it back from them took about 2 s for 100,000 codes, where
    decoding the stored document takes about 0.1 s (docs/performance.md).
    """
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(*_VERSION_COLUMNS, RevisionRow.document)
                .order_by(RevisionRow.revision.desc())
                .limit(1)
            )
        ).first()
    if row is None:
        return None
    doc, version = msgspec.json.decode(row.document, type=CatalogueDocument), _version(row)
    if content_hash(doc) != version.content_hash:
        raise InconsistentRead(f"revision {version.revision}: its document does not match its hash")
    return doc, version


async def revision_document(conn: AsyncConnection, revision: int) -> CatalogueDocument | None:
    raw = (
        await conn.execute(select(RevisionRow.document).where(RevisionRow.revision == revision))
    ).scalar()
    return None if raw is None else msgspec.json.decode(raw, type=CatalogueDocument)


async def read_revision_document(engine: AsyncEngine, revision: int) -> CatalogueDocument | None:
    async with engine.connect() as conn:
        return await revision_document(conn, revision)


async def list_revisions(engine: AsyncEngine) -> list[CatalogueVersion]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(*_VERSION_COLUMNS).order_by(RevisionRow.revision))
        return [_version(r) for r in rows]


async def replace_catalogue(
    conn: AsyncConnection, doc: CatalogueDocument, *, forced: bool = False
) -> CatalogueVersion:
    """Inside a seeding transaction: replace the catalogue with ``doc`` as a new revision.

    Whether a new revision is due (the content changed, and not in a breaking way unless
    forced) is decided by ``app.seeding`` under the same lock.
    """
    digest = content_hash(doc)
    for table in (EntryRow, SectionRow, RangeRow, ErrorTypeRow, EnvelopeFieldRow):
        await conn.execute(delete(table))
    if doc.ranges:
        await conn.execute(
            insert(RangeRow),
            [
                {"position": i, "range_start": r.start, "range_end": r.end, "label": r.label}
                for i, r in enumerate(doc.ranges)
            ],
        )
    for position, section in enumerate(doc.sections):
        section_id = (
            await conn.execute(
                insert(SectionRow).returning(SectionRow.id),
                {
                    "position": position,
                    "namespace": section.namespace,
                    "name": section.name,
                    "heading": section.heading,
                    "range_start": section.range_start,
                    "range_end": section.range_end,
                },
            )
        ).scalar_one()
        if section.rows:
            await conn.execute(
                insert(EntryRow),
                [
                    {
                        "section_id": section_id,
                        "position": i,
                        "code": row.code,
                        "name": row.name,
                        "status": row.status,
                        "description": row.description,
                    }
                    for i, row in enumerate(section.rows)
                ],
            )
    if doc.error_types:
        await conn.execute(
            insert(ErrorTypeRow),
            [
                {
                    "position": i,
                    "namespace": t.namespace,
                    "type": t.type,
                    "description": t.description,
                }
                for i, t in enumerate(doc.error_types)
            ],
        )
    if doc.envelope:
        await conn.execute(
            insert(EnvelopeFieldRow),
            [
                {
                    "position": i,
                    "name": f.name,
                    "type": f.type,
                    "required": f.required,
                    "example": f.example,
                }
                for i, f in enumerate(doc.envelope)
            ],
        )
    loaded_at = datetime.now(UTC)
    revision = (
        await conn.execute(
            insert(RevisionRow).returning(RevisionRow.revision),
            {
                "content_hash": digest,
                "loaded_at": loaded_at,
                "source": doc.source,
                "forced": forced,
                "document": canonical_bytes(doc).decode(),
            },
        )
    ).scalar_one()
    return CatalogueVersion(revision=revision, content_hash=digest, loaded_at=loaded_at.isoformat())


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


# --- observations (app.observations, docs/observations.md) ----------------------------------

# Flushes from every replica are serialised, so the cap on distinct keys holds exactly.
_OBSERVATIONS_LOCK_KEY = 0x4552424F  # "ERBO"
_CHUNK = 500  # rows per statement: below SQLite's bound-parameter limit


def observation_key_hash(code: int | None, slug: str | None, status: int | None, conf: str) -> str:
    import hashlib  # local: this section is appended to the module as a unit

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


async def add_observations(
    engine: AsyncEngine,
    counts: dict[tuple[int | None, str | None, int | None, str], tuple[int, datetime, datetime]],
    max_keys: int,
) -> FlushResult:
    """Add ``counts`` ((code, slug, status, confidence) -> (count, first, last)) in one
    transaction: counts add, first_seen/last_seen widen; keys beyond ``max_keys`` distinct ones
    in the table are counted in the overflow row instead."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from app.db.tables import ObservationOverflowRow, ObservationRow

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
    async with engine.connect() as conn:
        await conn.execution_options(sqlite_immediate=True)
        async with conn.begin():
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _OBSERVATIONS_LOCK_KEY}
                )
            hashes = list(rows)
            existing: set[str] = set()
            for i in range(0, len(hashes), _CHUNK):
                found = await conn.execute(
                    select(table.c.key_hash).where(table.c.key_hash.in_(hashes[i : i + _CHUNK]))
                )
                existing.update(found.scalars())
            stored = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            new = sorted(
                (h for h in hashes if h not in existing),
                key=lambda h: (-rows[h]["count"], h),  # the most frequent new keys first
            )
            room = max(0, max_keys - stored)
            admitted, refused = new[:room], new[room:]
            write = [rows[h] for h in hashes if h in existing] + [rows[h] for h in admitted]
            insert_ = pg_insert if postgres else sqlite_insert
            greatest, least = (func.greatest, func.least) if postgres else (func.max, func.min)
            for i in range(0, len(write), _CHUNK):
                stmt = insert_(ObservationRow)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[table.c.key_hash],
                    set_={
                        "count": table.c.count + stmt.excluded.count,
                        "first_seen": least(table.c.first_seen, stmt.excluded.first_seen),
                        "last_seen": greatest(table.c.last_seen, stmt.excluded.last_seen),
                    },
                )
                await conn.execute(stmt, write[i : i + _CHUNK])
            overflow = sum(rows[h]["count"] for h in refused)
            if overflow:
                first = min(rows[h]["first_seen"] for h in refused)
                last = max(rows[h]["last_seen"] for h in refused)
                spill = ObservationOverflowRow.__table__
                stmt = insert_(ObservationOverflowRow).values(
                    id=1, count=overflow, first_seen=first, last_seen=last
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=[spill.c.id],
                    set_={
                        "count": spill.c.count + stmt.excluded.count,
                        "first_seen": least(spill.c.first_seen, stmt.excluded.first_seen),
                        "last_seen": greatest(spill.c.last_seen, stmt.excluded.last_seen),
                    },
                )
                await conn.execute(stmt)
    return FlushResult(keys=len(write), new_keys=len(admitted), overflow=overflow)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _observation(row: Any) -> Observation:  # a row of the observations table (see _version)
    from app.catalogue.drift import Observation

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
    from app.db.tables import ObservationOverflowRow, ObservationRow

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
