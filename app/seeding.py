"""Seeding with a guard: plan a change, refuse breaking ones unless forced, write atomically.

The whole decision happens inside the seeding transaction, under the write lock: the current
revision is read, compared with the new document, and either replaced or left alone, so two
seeders can neither interleave nor both judge against a revision that no longer is current.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.diff import CatalogueDiff, diff_catalogues, render_diff
from app.catalogue.model import CatalogueDocument, CatalogueVersion
from app.db import store
from app.seeds import content_hash


class BreakingChangeError(Exception):
    """Seeding would break clients; the message lists exactly which entries and why."""

    def __init__(self, diff: CatalogueDiff) -> None:
        reasons = "\n".join(f"  - {b.kind}: {b.reason}" for b in diff.breaking)
        super().__init__(
            f"refused: {len(diff.breaking)} breaking change(s); seed with --force to accept:\n"
            f"{reasons}"
        )
        self.diff = diff


@dataclass(frozen=True)
class SeedOutcome:
    version: CatalogueVersion
    changed: bool
    diff: CatalogueDiff | None  # None for the first seeding of an empty database

    def describe(self) -> str:
        v = self.version
        state = "seeded" if self.changed else "unchanged"
        return f"catalogue {state}: revision {v.revision}, content {v.content_hash[:12]}"


async def plan(engine: AsyncEngine, doc: CatalogueDocument) -> CatalogueDiff | None:
    """What seeding ``doc`` would change, without writing (None: the database is empty)."""
    async with engine.connect() as conn:
        version = await store.current_version(conn)
        if version is None:
            return None
        current = await store.revision_document(conn, version.revision)
        assert current is not None  # the current revision is stored with its document
    return diff_catalogues(current, doc)


async def seed_catalogue(
    engine: AsyncEngine, doc: CatalogueDocument, *, force: bool = False
) -> SeedOutcome:
    async with store.seeding_transaction(engine) as conn:
        version = await store.current_version(conn)
        diff = None
        if version is not None:
            if version.content_hash == content_hash(doc):
                return SeedOutcome(version=version, changed=False, diff=None)
            current = await store.revision_document(conn, version.revision)
            assert current is not None  # the current revision is stored with its document
            diff = diff_catalogues(current, doc)
            if diff.is_breaking and not force:
                raise BreakingChangeError(diff)
        written = await store.replace_catalogue(conn, doc, forced=force)
        return SeedOutcome(version=written, changed=True, diff=diff)


def describe_plan(diff: CatalogueDiff | None) -> str:
    if diff is None:
        return "the database holds no catalogue yet: seeding would load the whole file"
    return render_diff(diff)
