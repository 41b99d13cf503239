"""SQLAlchemy 2.0 typed tables: the store of record for the catalogue and its revisions.

Tables are named in the API's words (``services``, ``ranges``, ``codes``, ``revisions``), since
dashboards read them directly; docs/database.md describes them for people who query them. The
Python classes keep their older names (``SectionRow`` is the ``services`` table).

A code number is not unique on its own (the page lists some twice, in one service or in two),
so a row of ``codes`` is keyed by a surrogate id and the constraint that rejects true duplicates
is (section_id, code, name): the service already carries the namespace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RangeRow(Base):
    __tablename__ = "ranges"
    __table_args__ = (CheckConstraint("range_start <= range_end", name="ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    range_start: Mapped[int] = mapped_column(Integer)
    range_end: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))


class SectionRow(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_services_namespace_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    namespace: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    heading: Mapped[str] = mapped_column(String(300))
    range_start: Mapped[int | None] = mapped_column(Integer)
    range_end: Mapped[int | None] = mapped_column(Integer)


class EntryRow(Base):
    __tablename__ = "codes"
    __table_args__ = (
        UniqueConstraint("section_id", "code", "name", name="uq_codes_section_id_code_name"),
        CheckConstraint("status BETWEEN 100 AND 599", name="http_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)


class ErrorTypeRow(Base):
    __tablename__ = "error_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    namespace: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text)


class EnvelopeFieldRow(Base):
    __tablename__ = "envelope_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    required: Mapped[bool] = mapped_column(Boolean)
    example: Mapped[str] = mapped_column(Text)


class RevisionRow(Base):
    """One seeding that changed the catalogue; ``document`` keeps it whole for diffs."""

    __tablename__ = "revisions"

    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[str] = mapped_column(Text)
    # The amendments file's ``source`` line (None: the revision has no amendments).
    amendments_source: Mapped[str | None] = mapped_column(Text)


class AmendmentRow(Base):
    """One item of the amendments (docs/amendments.md): a service, a range, an entry or a note.

    One table for the four kinds, so a dashboard sees every amendment and its provenance in one
    place; ``kind`` says which columns apply (the others are NULL). ``position`` is the item's
    place among those of its kind in the amendments file.
    """

    __tablename__ = "amendments"
    __table_args__ = (
        UniqueConstraint("kind", "position", name="uq_amendments_kind_position"),
        CheckConstraint("kind IN ('service', 'range', 'entry', 'note')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    namespace: Mapped[str | None] = mapped_column(String(32))  # services
    code: Mapped[int | None] = mapped_column(Integer, index=True)  # entries (NULL: unknown), notes
    service: Mapped[str | None] = mapped_column(String(200))  # entries, notes; a service's name
    name: Mapped[str | None] = mapped_column(String(200))  # entries, notes
    status: Mapped[int | None] = mapped_column(Integer)  # entries
    description: Mapped[str | None] = mapped_column(Text)  # entries
    action: Mapped[str | None] = mapped_column(String(32))  # entries, notes: guidance override
    note: Mapped[str | None] = mapped_column(Text)  # notes
    superseded_by: Mapped[int | None] = mapped_column(Integer)  # notes
    range_start: Mapped[int | None] = mapped_column(Integer)  # ranges
    range_end: Mapped[int | None] = mapped_column(Integer)  # ranges
    label: Mapped[str | None] = mapped_column(String(200))  # ranges
    provenance_seen_in: Mapped[str] = mapped_column(Text)
    provenance_url: Mapped[str | None] = mapped_column(Text)
    provenance_seen: Mapped[str] = mapped_column(String(10))


class ObservationRow(Base):
    """How often one (code, slug, status, confidence) was observed; never a message (see
    app.observations).

    ``key_hash`` is the SHA-256 of the tuple: the conflict target of the counting upsert (a unique
    constraint over nullable columns would treat two NULLs as different keys).
    """

    __tablename__ = "observations"
    __table_args__ = (CheckConstraint("count >= 0", name="count"),)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[int | None] = mapped_column(BigInteger)
    slug: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ObservationOverflowRow(Base):
    """One row (id 1): observations not stored because the table held its maximum of keys."""

    __tablename__ = "observation_overflow"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
