"""The database side of the catalogue: read the current catalogue, write a new revision.

Writing is one transaction: the catalogue tables are replaced and a revision row is added, or
nothing happens at all. Concurrent seeders are serialised with a lock (PostgreSQL: a
transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the database's write lock) and
the revision check happens under that lock, so two seeders cannot both write the same change.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Generator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import GenericAlias
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.catalogue.amendments import (
    NO_AMENDMENTS,
    AmendmentsDoc,
    Provenance,
)
from app.catalogue.build import run_steps
from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
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

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


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
        prepare_sqlite(engine.sync_engine)
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


def prepare_sqlite(engine: Engine) -> None:
    """Every connection of a SQLite engine: foreign keys on, WAL, and BEGIN issued by errcat
    (``BEGIN IMMEDIATE`` when the connection's ``sqlite_immediate`` option is set)."""

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover
        # (runs per connection; ``dbapi_conn`` is the driver's own connection object)
        # SQLite enforces foreign keys only when asked, per connection; and the driver's own
        # transaction handling is switched off so that BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:  # pragma: no cover - runs per transaction
        # Seeding takes the write lock at BEGIN, so two seeders queue instead of failing
        # halfway with "database is locked"; readers stay on a plain (deferred) BEGIN.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
    document, checked against its content hash (``read_stored`` then ``decode_stored``).

    The normalised tables hold the same catalogue (the same seeding transaction writes both) for
    the people who query them; reading it back from them took about 2 s for 100,000 codes, where
    decoding the stored document takes about 0.1 s (docs/performance.md).
    """
    found = await read_stored(engine)
    if found is None:
        return None
    raw, version = found
    return decode_stored(raw, version), version


async def read_stored(engine: AsyncEngine) -> tuple[str | bytes, CatalogueVersion] | None:
    """The newest revision's stored document, still encoded, with its version (None: never
    seeded). One row, read in one statement, so a reseed committing meanwhile cannot mix two
    revisions."""
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
    return row.document, _version(row)


def _rows_left_encoded(
    cls: type[msgspec.Struct], field: str, field_type: object
) -> type[msgspec.Struct]:
    """``cls`` with ``field`` of ``field_type``, every other field as declared: the shapes of
    the catalogue's types are written once (app.catalogue.model)."""
    fields: list[tuple[str, object] | tuple[str, object, object]] = []
    for f in msgspec.structs.fields(cls):
        declared = field_type if f.name == field else f.type
        if f.default is not msgspec.NODEFAULT:
            fields.append((f.name, declared, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, declared, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, declared))
    return msgspec.defstruct(
        f"Stored{cls.__name__}", fields, frozen=True, forbid_unknown_fields=True
    )


_StoredSection = _rows_left_encoded(SectionDoc, "rows", msgspec.Raw)
_StoredDocument = _rows_left_encoded(
    CatalogueDocument, "sections", GenericAlias(tuple, (_StoredSection, ...))
)
_ROWS = msgspec.json.Decoder(tuple[CodeRow, ...])
_HASH_CHUNK = 1 << 20  # bytes hashed between two pauses


def decode_stored_steps(
    raw: str | bytes, version: CatalogueVersion
) -> Generator[None, None, CatalogueDocument]:
    """``decode_stored`` in steps (``yield`` between them), for the running service's event
    loop: the document without its rows first (the rows are only delimited), then each
    section's rows, then the hash a megabyte at a time. Decoding in a worker thread instead held
    the loop for up to 10 ms at a time over about 80 ms at 100,000 codes (the GIL, and one core
    shared by both threads), in one go about 40 ms (docs/performance.md)."""
    encoded = raw.encode() if isinstance(raw, str) else raw
    yield
    head: Any = msgspec.json.decode(encoded, type=_StoredDocument)  # a type made at run time
    sections = []
    for section in head.sections:
        yield
        fields = msgspec.structs.asdict(section)
        fields["rows"] = _ROWS.decode(section.rows)
        sections.append(SectionDoc(**fields))
    doc_fields = msgspec.structs.asdict(head)
    doc_fields["sections"] = tuple(sections)
    doc = CatalogueDocument(**doc_fields)
    digest = hashlib.sha256()
    view = memoryview(encoded)
    for at in range(0, len(view), _HASH_CHUNK):
        yield
        digest.update(view[at : at + _HASH_CHUNK])
    if digest.hexdigest() != version.content_hash and content_hash(doc) != version.content_hash:
        raise InconsistentRead(f"revision {version.revision}: its document does not match its hash")
    return doc


def decode_stored(raw: str | bytes, version: CatalogueVersion) -> CatalogueDocument:
    """A stored document decoded; InconsistentRead unless it reproduces its version's content
    hash (the stored text is the canonical encoding, so hashing it as read is the check; text
    stored any other way is checked by its re-encoding). Pure computation (no I/O)."""
    return run_steps(decode_stored_steps(raw, version))


def _fields(item: msgspec.Struct) -> dict[str, Any]:
    """A document Struct's fields as table columns of the same names (less ``provenance``)."""
    return {k: v for k, v in msgspec.structs.asdict(item).items() if k != "provenance"}


def _positioned(items: tuple[msgspec.Struct, ...]) -> list[dict[str, Any]]:
    """Rows of a table whose columns are the Struct's fields, plus its place in the document."""
    return [{**_fields(item), "position": i} for i, item in enumerate(items)]


def _amendment_rows(doc: AmendmentsDoc) -> list[dict[str, Any]]:
    """One row per item (docs/database.md): the columns its kind uses, the others NULL."""
    blank = {c.name: None for c in AmendmentRow.__table__.columns if c.name != "id"}

    def row(kind: str, position: int, provenance: Provenance, **values: Any) -> dict[str, Any]:
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
    # Entries and notes name their columns as the table does; only provenance is spread out.
    rows += [row("entry", i, e.provenance, **_fields(e)) for i, e in enumerate(doc.entries)]
    rows += [row("note", i, n.provenance, **_fields(n)) for i, n in enumerate(doc.notes)]
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
        await conn.execute(insert(ErrorTypeRow), _positioned(doc.error_types))
    if doc.envelope:
        await conn.execute(insert(EnvelopeFieldRow), _positioned(doc.envelope))
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
