"""What changed between two stored revisions: one function for the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.diff import CatalogueDiff, diff_catalogues
from app.catalogue.errors import RevisionNotFound
from app.db import store


@dataclass(frozen=True)
class RevisionChanges:
    start: int
    end: int
    diff: CatalogueDiff


async def revision_changes(engine: AsyncEngine, start: int, end: int | None) -> RevisionChanges:
    """The diff from revision ``start`` to ``end`` (None: the newest); RevisionNotFound names
    the first of the two that is not stored."""
    target = end if end is not None else await store.latest_revision(engine)
    old = await store.read_revision_document(engine, start)
    new = None if target is None else await store.read_revision_document(engine, target)
    if old is None or new is None or target is None:  # new is None when target is
        raise RevisionNotFound(start if old is None else target)
    return RevisionChanges(start=start, end=target, diff=diff_catalogues(old, new))
