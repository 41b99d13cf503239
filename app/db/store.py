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
from typing import TypeVar

import msgspec
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.catalogue.amendments import (
    NO_AMENDMENTS,
    AmendedEntry,
    AmendedRange,
    AmendedService,
    AmendmentNote,
    AmendmentsDoc,
    Provenance,
)
from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
    SectionDoc,
)
from app.db.tables import (
    AmendmentRow,
    EntryRow,
    EnvelopeFieldRow,
    ErrorTypeRow,
    RangeRow,
    RevisionRow,
    SectionRow,
)
from app.seeds import canonical_bytes, content_hash

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
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - runs per connection
            # SQLite enforces foreign keys only when asked, per connection; and the driver's own
            # transaction handling is switched off so that BEGIN IMMEDIATE below is ours.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - runs per transaction
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


def _consume(task: asyncio.Future) -> None:
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


def _version(row) -> CatalogueVersion:
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
    """The tables did not reproduce the revision's content hash; nothing is loaded from them."""


async def read_catalogue(engine: AsyncEngine) -> tuple[CatalogueDocument, CatalogueVersion] | None:
    """The current catalogue from the normalised tables, with its version (None: never seeded).

    All the reads happen in one transaction that sees one committed state (PostgreSQL:
    REPEATABLE READ; SQLite: one read transaction over the WAL), so a reseed committing halfway
    through cannot mix two revisions; the content hash is checked all the same.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        found = await _read_current(conn)
    if found is not None and content_hash(found[0]) != found[1].content_hash:
        raise InconsistentRead(f"revision {found[1].revision}: tables do not match its hash")
    return found


async def _read_current(conn: AsyncConnection) -> tuple[CatalogueDocument, CatalogueVersion] | None:
    async with conn.begin():
        version = await current_version(conn)
        if version is None:
            return None
        ranges = (await conn.execute(select(RangeRow.__table__).order_by(RangeRow.position))).all()
        sections = (
            await conn.execute(select(SectionRow.__table__).order_by(SectionRow.position))
        ).all()
        entries = (
            await conn.execute(
                select(EntryRow.__table__).order_by(EntryRow.section_id, EntryRow.position)
            )
        ).all()
        types = (
            await conn.execute(select(ErrorTypeRow.__table__).order_by(ErrorTypeRow.position))
        ).all()
        fields = (
            await conn.execute(
                select(EnvelopeFieldRow.__table__).order_by(EnvelopeFieldRow.position)
            )
        ).all()
        source, amendments_source = (
            await conn.execute(
                select(RevisionRow.source, RevisionRow.amendments_source).where(
                    RevisionRow.revision == version.revision
                )
            )
        ).one()
        amendment_rows = (
            await conn.execute(
                select(AmendmentRow.__table__).order_by(AmendmentRow.kind, AmendmentRow.position)
            )
        ).all()
        rows_by_section: dict[int, list[CodeRow]] = {}
        for e in entries:
            rows_by_section.setdefault(e.section_id, []).append(
                CodeRow(code=e.code, name=e.name, status=e.status, description=e.description)
            )
        doc = CatalogueDocument(
            source=source,
            envelope=tuple(
                EnvelopeFieldDoc(name=f.name, type=f.type, required=f.required, example=f.example)
                for f in fields
            ),
            ranges=tuple(
                DeclaredRange(start=r.range_start, end=r.range_end, label=r.label) for r in ranges
            ),
            sections=tuple(
                SectionDoc(
                    namespace=s.namespace,
                    name=s.name,
                    heading=s.heading,
                    range_start=s.range_start,
                    range_end=s.range_end,
                    rows=tuple(rows_by_section.get(s.id, ())),
                )
                for s in sections
            ),
            error_types=tuple(
                ErrorTypeDoc(type=t.type, description=t.description, namespace=t.namespace)
                for t in types
            ),
            amendments=_amendments_from_rows(amendments_source, amendment_rows),
        )
        return doc, version


def _provenance(row) -> Provenance:
    return Provenance(
        seen_in=row.provenance_seen_in, url=row.provenance_url, seen=row.provenance_seen
    )


def _amendments_from_rows(source: str | None, rows) -> AmendmentsDoc:
    if source is None and not rows:
        return NO_AMENDMENTS
    of = {
        kind: [r for r in rows if r.kind == kind] for kind in ("service", "range", "entry", "note")
    }
    return AmendmentsDoc(
        source=source or "",
        services=tuple(
            AmendedService(namespace=r.namespace, name=r.service, provenance=_provenance(r))
            for r in of["service"]
        ),
        ranges=tuple(
            AmendedRange(
                start=r.range_start, end=r.range_end, label=r.label, provenance=_provenance(r)
            )
            for r in of["range"]
        ),
        entries=tuple(
            AmendedEntry(
                code=r.code,
                service=r.service,
                name=r.name,
                status=r.status,
                description=r.description,
                action=r.action,
                provenance=_provenance(r),
            )
            for r in of["entry"]
        ),
        notes=tuple(
            AmendmentNote(
                code=r.code,
                service=r.service,
                name=r.name,
                note=r.note,
                superseded_by=r.superseded_by,
                action=r.action,
                provenance=_provenance(r),
            )
            for r in of["note"]
        ),
    )


def _amendment_rows(doc: AmendmentsDoc) -> list[dict]:
    """One row per item (docs/database.md): the columns its kind uses, the others NULL."""
    blank = {c.name: None for c in AmendmentRow.__table__.columns if c.name != "id"}

    def row(kind: str, position: int, provenance: Provenance, **values) -> dict:
        return {
            **blank,
            "kind": kind,
            "position": position,
            "provenance_seen_in": provenance.seen_in,
            "provenance_url": provenance.url,
            "provenance_seen": provenance.seen,
            **values,
        }

    rows = [
        row("service", i, s.provenance, namespace=s.namespace, service=s.name)
        for i, s in enumerate(doc.services)
    ]
    rows += [
        row("range", i, r.provenance, range_start=r.start, range_end=r.end, label=r.label)
        for i, r in enumerate(doc.ranges)
    ]
    rows += [
        row(
            "entry",
            i,
            e.provenance,
            code=e.code,
            service=e.service,
            name=e.name,
            status=e.status,
            description=e.description,
            action=e.action,
        )
        for i, e in enumerate(doc.entries)
    ]
    rows += [
        row(
            "note",
            i,
            n.provenance,
            code=n.code,
            service=n.service,
            name=n.name,
            note=n.note,
            superseded_by=n.superseded_by,
            action=n.action,
        )
        for i, n in enumerate(doc.notes)
    ]
    return rows


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
    for table in (EntryRow, SectionRow, RangeRow, ErrorTypeRow, EnvelopeFieldRow, AmendmentRow):
        await conn.execute(delete(table))
    amendment_rows = _amendment_rows(doc.amendments)
    if amendment_rows:
        await conn.execute(insert(AmendmentRow), amendment_rows)
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
                "amendments_source": None
                if doc.amendments == NO_AMENDMENTS
                else doc.amendments.source,
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

    rows = {}
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


def _observation(row):
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


async def list_observations(engine: AsyncEngine, limit: int | None = None, offset: int = 0):
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
