"""observations: counts of observed (code, slug, status, confidence) and an overflow counter

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 15:40:00.000000

Independent of the catalogue tables (no foreign keys), so it can be chained after any revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observations",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("code", sa.BigInteger(), nullable=True),
        sa.Column("slug", sa.String(length=200), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_observations_count")),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_observations")),
    )
    op.create_table(
        "observation_overflow",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_observation_overflow_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_overflow")),
    )


def downgrade() -> None:
    op.drop_table("observation_overflow")
    op.drop_table("observations")
