"""tables in the API's words: services, ranges, codes, revisions

Dashboards (Grafana, Metabase) read the database directly, so its tables carry the names the
API and the README use: ``sections`` -> ``services``, ``declared_ranges`` -> ``ranges``,
``entries`` -> ``codes``, ``catalogue_revisions`` -> ``revisions``; every constraint, index and
(PostgreSQL) sequence named after a table follows it. Rows are kept.

- PostgreSQL renames in place: tables, constraints (a primary key's or unique constraint's
  index follows its constraint), the two plain indexes and the ``SERIAL`` sequences.
- SQLite cannot rename a constraint, and rebuilding the referenced table in place (what batch
  mode does) would drop it while foreign keys are enforced, which cascades into the rows of
  ``entries``. So SQLite builds the new tables next to the old ones, copies every row (ids
  included), then drops the old ones, child first; all of it in the migration's transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each layout names its four tables and the one constraint whose name does not derive from its
# table's name by the naming convention (0001 named it by hand).
OLD = {
    "services": "sections",
    "ranges": "declared_ranges",
    "codes": "entries",
    "revisions": "catalogue_revisions",
    "uq_codes": "uq_entries_section_code_name",
}
NEW = {
    "services": "services",
    "ranges": "ranges",
    "codes": "codes",
    "revisions": "revisions",
    "uq_codes": "uq_codes_section_id_code_name",
}

COLUMNS = {
    "services": ("id", "position", "namespace", "name", "heading", "range_start", "range_end"),
    "ranges": ("id", "position", "range_start", "range_end", "label"),
    "codes": ("id", "section_id", "position", "code", "name", "status", "description"),
    "revisions": ("revision", "content_hash", "loaded_at", "source", "forced", "document"),
}
SERIAL = {"services": "id", "ranges": "id", "codes": "id", "revisions": "revision"}


def _constraint_names(n: dict[str, str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per table key: (kind, name) of every named constraint, as the convention names them."""
    s, r, c, v = n["services"], n["ranges"], n["codes"], n["revisions"]
    return {
        "services": (
            ("pk", f"pk_{s}"),
            ("uq_position", f"uq_{s}_position"),
            ("uq_namespace_name", f"uq_{s}_namespace_name"),
        ),
        "ranges": (
            ("pk", f"pk_{r}"),
            ("uq_position", f"uq_{r}_position"),
            ("ck", f"ck_{r}_ordered"),
        ),
        "codes": (
            ("pk", f"pk_{c}"),
            ("uq", n["uq_codes"]),
            ("ck", f"ck_{c}_http_status"),
            ("fk", f"fk_{c}_section_id_{s}"),
        ),
        "revisions": (("pk", f"pk_{v}"),),
    }


def _index_names(n: dict[str, str]) -> tuple[str, ...]:
    return (f"ix_{n['codes']}_code", f"ix_{n['codes']}_section_id")


def _rename_postgresql(src: dict[str, str], dst: dict[str, str]) -> None:
    old_constraints, new_constraints = _constraint_names(src), _constraint_names(dst)
    for key in ("services", "ranges", "codes", "revisions"):
        op.rename_table(src[key], dst[key])
        for (_, old), (_, new) in zip(old_constraints[key], new_constraints[key], strict=True):
            op.execute(f'ALTER TABLE "{dst[key]}" RENAME CONSTRAINT "{old}" TO "{new}"')
        column = SERIAL[key]
        op.execute(f'ALTER SEQUENCE "{src[key]}_{column}_seq" RENAME TO "{dst[key]}_{column}_seq"')
    for old, new in zip(_index_names(src), _index_names(dst), strict=True):
        op.execute(f'ALTER INDEX "{old}" RENAME TO "{new}"')


def _create_tables(n: dict[str, str]) -> None:
    """The four tables as 0001 defines them, under the names of layout ``n``."""
    names = dict(_constraint_names(n)["services"])
    op.create_table(
        n["services"],
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("heading", sa.String(length=300), nullable=False),
        sa.Column("range_start", sa.Integer(), nullable=True),
        sa.Column("range_end", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(names["pk"])),
        sa.UniqueConstraint("namespace", "name", name=op.f(names["uq_namespace_name"])),
        sa.UniqueConstraint("position", name=op.f(names["uq_position"])),
    )
    names = dict(_constraint_names(n)["ranges"])
    op.create_table(
        n["ranges"],
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("range_start", sa.Integer(), nullable=False),
        sa.Column("range_end", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.CheckConstraint("range_start <= range_end", name=op.f(names["ck"])),
        sa.PrimaryKeyConstraint("id", name=op.f(names["pk"])),
        sa.UniqueConstraint("position", name=op.f(names["uq_position"])),
    )
    names = dict(_constraint_names(n)["revisions"])
    op.create_table(
        n["revisions"],
        sa.Column("revision", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f(names["pk"])),
    )
    names = dict(_constraint_names(n)["codes"])
    op.create_table(
        n["codes"],
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.CheckConstraint("status BETWEEN 100 AND 599", name=op.f(names["ck"])),
        sa.ForeignKeyConstraint(
            ["section_id"], [f"{n['services']}.id"], name=op.f(names["fk"]), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(names["pk"])),
        sa.UniqueConstraint("section_id", "code", "name", name=op.f(names["uq"])),
    )
    ix_code, ix_section = _index_names(n)
    op.create_index(op.f(ix_code), n["codes"], ["code"], unique=False)
    op.create_index(op.f(ix_section), n["codes"], ["section_id"], unique=False)


def _rebuild_sqlite(src: dict[str, str], dst: dict[str, str]) -> None:
    _create_tables(dst)
    for key in ("services", "ranges", "revisions", "codes"):  # parents before children
        columns = ", ".join(COLUMNS[key])
        op.execute(f'INSERT INTO "{dst[key]}" ({columns}) SELECT {columns} FROM "{src[key]}"')
    # Children first: dropping a parent with children left would cascade into them.
    for key in ("codes", "services", "ranges", "revisions"):
        op.drop_table(src[key])  # its indexes go with it


def _move(src: dict[str, str], dst: dict[str, str]) -> None:
    if op.get_context().dialect.name == "postgresql":
        _rename_postgresql(src, dst)
    else:
        _rebuild_sqlite(src, dst)


def upgrade() -> None:
    _move(OLD, NEW)


def downgrade() -> None:
    _move(NEW, OLD)
