"""amendments: errcat's additions to the vendor's page, each with its provenance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:10:00.000000

A new table and a nullable column: every existing row is kept, and revisions stored before keep
their documents and content hashes (a document without amendments encodes as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "amendments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=32), nullable=True),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("range_start", sa.Integer(), nullable=True),
        sa.Column("range_end", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("provenance_seen_in", sa.Text(), nullable=False),
        sa.Column("provenance_url", sa.Text(), nullable=True),
        sa.Column("provenance_seen", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "kind IN ('service', 'range', 'entry', 'note')", name=op.f("ck_amendments_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
        sa.UniqueConstraint("kind", "position", name="uq_amendments_kind_position"),
    )
    op.create_index(op.f("ix_amendments_code"), "amendments", ["code"], unique=False)
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("amendments_source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("amendments_source")
    op.drop_index(op.f("ix_amendments_code"), table_name="amendments")
    op.drop_table("amendments")
