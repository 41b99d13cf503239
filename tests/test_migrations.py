"""Alembic owns the schema: upgrade from empty works, models and migrations never drift, and
renaming migrations keep every row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    UniqueConstraint,
    column,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy import table as sa_table

from app.db.setup import alembic_config, migrate
from app.db.store import make_engine, read_catalogue
from app.db.tables import Base


def _inspect(url, fn):
    async def run():
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_creates_every_table_and_autogenerate_finds_no_drift(empty_db):
    migrate(empty_db.settings())
    tables = _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables

    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    assert _inspect(empty_db.url, diff) == []


def test_downgrade_to_base_and_back(empty_db):
    cfg = alembic_config(empty_db.url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names())) == {
        "alembic_version"
    }
    command.upgrade(cfg, "head")
    assert "codes" in _inspect(empty_db.url, lambda c: set(inspect(c).get_table_names()))


def _write(url, fn):
    async def run():
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _schema_names(sync_conn) -> dict[str, dict[str, object]]:
    """Every table's constraint and index names as the database reports them."""
    insp = inspect(sync_conn)
    out = {}
    for table in set(insp.get_table_names()) - {"alembic_version"}:
        out[table] = {
            "pk": insp.get_pk_constraint(table)["name"],
            "uq": sorted(u["name"] for u in insp.get_unique_constraints(table)),
            "ck": sorted(c["name"] for c in insp.get_check_constraints(table)),
            "fk": sorted(
                (f["name"], f["referred_table"], f["options"].get("ondelete"))
                for f in insp.get_foreign_keys(table)
            ),
            "ix": sorted(
                i["name"] for i in insp.get_indexes(table) if not i.get("duplicates_constraint")
            ),
        }
    return out


def _model_names() -> dict[str, dict[str, object]]:
    """The same, as the models (and their naming convention) define them."""
    out = {}
    for table in Base.metadata.tables.values():
        kinds = {kind: [] for kind in ("uq", "ck", "fk")}
        for c in table.constraints:
            if isinstance(c, UniqueConstraint):
                kinds["uq"].append(c.name)
            elif isinstance(c, CheckConstraint):
                kinds["ck"].append(c.name)
            elif isinstance(c, ForeignKeyConstraint):
                kinds["fk"].append((c.name, c.referred_table.name, c.ondelete))
        out[table.name] = {
            "pk": table.primary_key.name,
            **{kind: sorted(names) for kind, names in kinds.items()},
            "ix": sorted(i.name for i in table.indexes),
        }
    return out


def test_every_constraint_and_index_carries_its_table_s_new_name(empty_db):
    migrate(empty_db.settings())
    assert _inspect(empty_db.url, _schema_names) == _model_names()


# The old (0001) layout, and rows seeded in it by hand: ids with gaps, one code listed twice.
OLD_ROWS = {
    "sections": (
        ("id", "position", "namespace", "name", "heading", "range_start", "range_end"),
        [
            (5, 0, "platform", "Auth_Config", "Auth_Config (200-299)", 200, 299),
            (9, 1, "platform", "HTTP", "HTTP (10000-10999)", 10000, 10999),
            (12, 2, "thermos", "Database", "Database", None, None),
        ],
    ),
    "declared_ranges": (
        ("id", "position", "range_start", "range_end", "label"),
        [(3, 0, 200, 299, "Auth_Config"), (7, 1, 10000, 10999, "HTTP")],
    ),
    "entries": (
        ("id", "section_id", "position", "code", "name", "status", "description"),
        [
            (21, 5, 0, 300, "NotFound", 404, "Auth config not found"),
            (22, 9, 0, 10503, "ServiceUnavailable", 503, "Service unavailable"),
            (23, 9, 1, 10503, "BadState", 422, "Bad state"),
            (30, 12, 0, 2, "DbNotFoundError", 404, "Database not found"),
        ],
    ),
    "catalogue_revisions": (
        ("revision", "content_hash", "loaded_at", "source", "forced", "document"),
        [
            (1, "a" * 64, datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "seed.json", False, "{}"),
            (4, "b" * 64, datetime(2026, 11, 24, 17, 30, tzinfo=UTC), "seed.json", True, "{}"),
        ],
    ),
    "error_types": (
        ("id", "position", "namespace", "type", "description"),
        [(2, 0, "thermos", "json_decode", "The body is not JSON")],
    ),
    "envelope_fields": (
        ("id", "position", "name", "type", "required", "example"),
        [(1, 0, "message", "string", True, '"Not found"')],
    ),
}
RENAMED = {
    "sections": "services",
    "declared_ranges": "ranges",
    "entries": "codes",
    "catalogue_revisions": "revisions",
}
TYPES = {"loaded_at": DateTime(timezone=True), "forced": Boolean(), "required": Boolean()}


def _table(name: str, columns) -> sa_table:
    return sa_table(name, *(column(c, TYPES.get(c)) for c in columns))


def _rows(table_name: str, columns):
    def read(sync_conn):
        t = _table(table_name, columns)
        return [tuple(r) for r in sync_conn.execute(select(t).order_by(t.c[columns[0]]))]

    return read


def test_rows_seeded_at_0001_survive_the_upgrade_under_the_new_names(fresh_db):
    cfg = alembic_config(fresh_db.url)
    command.upgrade(cfg, "0001")

    def seed_old(sync_conn):
        for name, (columns, rows) in OLD_ROWS.items():
            sync_conn.execute(
                insert(_table(name, columns)), [dict(zip(columns, r, strict=True)) for r in rows]
            )

    _write(fresh_db.url, seed_old)
    before = {
        name: _inspect(fresh_db.url, _rows(name, cols)) for name, (cols, _) in OLD_ROWS.items()
    }
    assert [len(rows) for rows in before.values()] == [len(r) for _, r in OLD_ROWS.values()]

    command.upgrade(cfg, "head")

    tables = _inspect(fresh_db.url, lambda c: set(inspect(c).get_table_names()))
    assert tables.isdisjoint(RENAMED)
    for old, (columns, _) in OLD_ROWS.items():
        assert _inspect(fresh_db.url, _rows(RENAMED.get(old, old), columns)) == before[old]

    # Dashboards' kind of query: codes joined to their service, by the new names.
    def joined(sync_conn):
        return sync_conn.execute(
            text(
                "SELECT services.name, codes.code, codes.name FROM codes "
                "JOIN services ON services.id = codes.section_id ORDER BY codes.id"
            )
        ).all()

    assert [tuple(r) for r in _inspect(fresh_db.url, joined)] == [
        ("Auth_Config", 300, "NotFound"),
        ("HTTP", 10503, "ServiceUnavailable"),
        ("HTTP", 10503, "BadState"),
        ("Database", 2, "DbNotFoundError"),
    ]

    # The foreign key (and its cascade) now points at services.
    def delete_http(sync_conn):
        sync_conn.execute(text("DELETE FROM services WHERE name = 'HTTP'"))
        return sync_conn.execute(text("SELECT count(*) FROM codes")).scalar_one()

    assert _write(fresh_db.url, delete_http) == 2

    # A new row gets an id of its own (on PostgreSQL from the renamed sequence, which knows
    # nothing of the ids written by hand above, as before the migration).
    def insert_new(sync_conn):
        sync_conn.execute(
            text(
                "INSERT INTO services (position, namespace, name, heading) "
                "VALUES (7, 'platform', 'Tool', 'Tool (500-599)')"
            )
        )
        return sync_conn.execute(text("SELECT id FROM services WHERE name = 'Tool'")).scalar_one()

    assert _write(fresh_db.url, insert_new) not in {5, 12}


def test_a_seeded_catalogue_survives_downgrade_to_0001_and_upgrade_back(fresh_db):
    fresh_db.migrate_and_seed()

    async def read():
        engine = make_engine(fresh_db.url)
        try:
            return await read_catalogue(engine)
        finally:
            await engine.dispose()

    stored = asyncio.run(read())
    assert stored is not None
    counts = {
        name: _inspect(
            fresh_db.url,
            lambda c, n=name: c.execute(text(f"SELECT count(*) FROM {n}")).scalar_one(),
        )
        for name in RENAMED.values()
    }
    assert counts["codes"] > 200 and counts["revisions"] == 1

    cfg = alembic_config(fresh_db.url)
    command.downgrade(cfg, "0001")
    for old, new in RENAMED.items():
        count = _inspect(
            fresh_db.url, lambda c, n=old: c.execute(text(f"SELECT count(*) FROM {n}")).scalar_one()
        )
        assert count == counts[new], old

    command.upgrade(cfg, "head")
    assert asyncio.run(read()) == stored
    assert _inspect(fresh_db.url, _schema_names) == _model_names()


def test_postgresql_sequences_follow_their_tables(postgres_db):
    def sequences(sync_conn):
        owned = {
            table: sync_conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": col}
            ).scalar_one()
            for table, col in [
                ("services", "id"),
                ("ranges", "id"),
                ("codes", "id"),
                ("revisions", "revision"),
            ]
        }
        every = set(
            sync_conn.execute(text("SELECT relname FROM pg_class WHERE relkind = 'S'")).scalars()
        )
        return owned, every

    cfg = alembic_config(postgres_db.url)
    command.downgrade(cfg, "0001")
    command.upgrade(cfg, "head")
    owned, every = _inspect(postgres_db.url, sequences)
    assert owned == {
        "services": "public.services_id_seq",
        "ranges": "public.ranges_id_seq",
        "codes": "public.codes_id_seq",
        "revisions": "public.revisions_revision_seq",
    }
    assert every == {
        "services_id_seq",
        "ranges_id_seq",
        "codes_id_seq",
        "revisions_revision_seq",
        "error_types_id_seq",
        "envelope_fields_id_seq",
        "amendments_id_seq",
    }


def test_a_catalogue_seeded_before_0004_is_served_unchanged_after_it(fresh_db):
    """Upgrading to 0004 (amendments) keeps every row, and the revision's content hash still
    matches what the tables give back (a document without amendments encodes as before)."""
    from app.seeds import load_seed

    fresh_db.migrate_and_seed()
    cfg = alembic_config(fresh_db.url)
    command.downgrade(cfg, "0003")
    tables = _inspect(fresh_db.url, lambda c: set(inspect(c).get_table_names()))
    assert "amendments" not in tables
    command.upgrade(cfg, "head")
    doc, version = asyncio.run(_read(fresh_db.url))
    assert doc == load_seed() and version.revision == 1


async def _read(url):
    engine = make_engine(url)
    try:
        return await read_catalogue(engine)
    finally:
        await engine.dispose()
