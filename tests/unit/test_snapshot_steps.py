"""The snapshot built in steps (build.snapshot_steps) and the reload that drives it (app.live)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

import app.live
from app.catalogue.build import build_snapshot, entry_order, run_steps, snapshot_steps
from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
    DeclaredRange,
    Entry,
    SectionDoc,
    Snapshot,
)
from app.catalogue.names import HTTP_SECTION
from app.db import store
from app.live import LiveCatalogue
from app.seeds import canonical_bytes, content_hash, load_catalogue, load_seed

VERSION = CatalogueVersion(revision=1, content_hash="0" * 64, loaded_at="2026-01-01T00:00:00+00:00")


def grown(doc: CatalogueDocument, sections: int, per_section: int = 500) -> CatalogueDocument:
    """``doc`` with generated sections, each with its range; names repeat across sections."""
    added, ranges = list(doc.sections), list(doc.ranges)
    for n in range(sections):
        start = 20_000 + n * per_section
        name = f"Generated{n:03d}"
        rows = tuple(
            CodeRow(code=start + i, name=f"Error{i:03d}", status=(400, 404, 500)[i % 3],
                    description=f"generated {i} of {name}")
            for i in range(per_section)
        )  # fmt: skip
        added.append(
            SectionDoc(
                namespace="platform",
                name=name,
                heading=f"{name} Errors ({start}-{start + per_section - 1})",
                range_start=start,
                range_end=start + per_section - 1,
                rows=rows,
            )
        )
        ranges.append(DeclaredRange(start=start, end=start + per_section - 1, label=name))
    return msgspec.structs.replace(doc, sections=tuple(added), ranges=tuple(ranges))


DOCS = {
    "page": load_seed(),
    "page and amendments": load_catalogue(),
    "grown": grown(load_catalogue(), 6),
}


def fields(snap: Snapshot) -> dict[str, object]:
    out = {f: getattr(snap, f) for f in snap.__struct_fields__ if f != "range_index"}
    out["by_code order"] = list(snap.by_code)
    out["by_slug order"] = list(snap.by_slug)
    return out


@pytest.mark.parametrize("name", DOCS)
@pytest.mark.parametrize("step", [1, 7, 2000])
def test_any_step_size_builds_the_same_snapshot(name: str, step: int) -> None:
    doc = DOCS[name]
    assert fields(run_steps(snapshot_steps(doc, VERSION, step=step))) == fields(
        build_snapshot(doc, VERSION)
    )


def test_the_build_pauses_and_returns_the_snapshot_only_at_the_end() -> None:
    steps = snapshot_steps(DOCS["grown"], VERSION, step=100)
    pauses = 0
    with pytest.raises(StopIteration) as done:
        while True:
            assert next(steps) is None  # nothing shared before the end
            pauses += 1
    assert pauses >= 3000 // 100  # one at least per 100 entries built
    assert isinstance(done.value.value, Snapshot)


@pytest.mark.parametrize("name", DOCS)
def test_entries_and_indexes_are_what_their_definitions_say(name: str) -> None:
    snap = build_snapshot(DOCS[name], VERSION)
    # every listing's order: the sections' entries, stably sorted by entry_order
    assert list(snap.entries) == sorted(
        (e for s in snap.sections for e in s.entries), key=entry_order
    )
    by_code: dict[int, list[Entry]] = {}
    by_slug: dict[str, list[Entry]] = {}
    http: dict[int, list[Entry]] = {}
    for e in snap.entries:
        if e.code is not None:
            by_code.setdefault(e.code, []).append(e)
        by_slug.setdefault(e.slug.lower(), []).append(e)
        if e.service == HTTP_SECTION and e.namespace == "platform":
            http.setdefault(e.status, []).append(e)
    assert snap.by_code == {k: tuple(v) for k, v in by_code.items()}
    assert snap.by_slug == {k: tuple(v) for k, v in by_slug.items()}
    assert snap.http_section_by_status == {k: tuple(v) for k, v in http.items()}


def test_an_entry_alone_under_its_code_and_slug_has_one_tuple_for_both() -> None:
    snap = build_snapshot(DOCS["grown"], VERSION)
    alone = snap.by_code[20_000]
    assert len(alone) == 1
    assert snap.by_slug[alone[0].slug.lower()] is alone


def test_repeated_names_and_statuses_are_one_object_each() -> None:
    snap = build_snapshot(DOCS["grown"], VERSION)
    first, other = snap.by_code[20_001][0], snap.by_code[20_501][0]  # Error001 of two sections
    assert first.name == other.name and first.name is other.name
    assert first.status is other.status


@pytest.mark.parametrize("name", DOCS)
def test_the_snapshot_gives_back_the_whole_document(name: str) -> None:
    doc = DOCS[name]
    snap = build_snapshot(doc, VERSION)
    assert all(s.rows == () for s in snap.head.sections)  # the rows are kept once: as entries
    assert snap.document() == doc
    assert content_hash(snap.document()) == content_hash(doc)


def test_a_stored_document_that_does_not_match_its_hash_is_refused() -> None:
    doc = DOCS["page"]
    raw = canonical_bytes(doc)
    version = msgspec.structs.replace(VERSION, content_hash=content_hash(doc))
    assert store.decode_stored(raw, version) == doc
    with pytest.raises(store.InconsistentRead):
        store.decode_stored(raw.replace(b"Prisma", b"Prizma", 1), version)


@pytest.mark.parametrize("name", DOCS)
def test_the_stored_document_decoded_in_steps_is_the_document(name: str) -> None:
    doc = DOCS[name]
    raw = canonical_bytes(doc)
    version = msgspec.structs.replace(VERSION, content_hash=content_hash(doc))
    steps = store.decode_stored_steps(raw.decode(), version)  # as the database gives it: text
    pauses = 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            assert done.value == doc
            break
        pauses += 1
    # a pause before the head, one per section, one per megabyte hashed
    assert pauses == 1 + len(doc.sections) + -(-len(raw) // (1 << 20))


def test_stored_text_that_is_not_canonical_is_checked_by_its_re_encoding() -> None:
    doc = DOCS["page"]
    spaced = msgspec.json.format(canonical_bytes(doc), indent=1)  # same document, other bytes
    version = msgspec.structs.replace(VERSION, content_hash=content_hash(doc))
    assert store.decode_stored(spaced, version) == doc
    with pytest.raises(store.InconsistentRead):
        store.decode_stored(spaced.replace(b"Prisma", b"Prizma", 1), version)


def test_a_stored_document_with_unknown_fields_is_refused_as_before() -> None:
    doc = DOCS["page"]
    raw = canonical_bytes(doc).replace(b'"rows":', b'"extra":1,"rows":', 1)
    version = msgspec.structs.replace(VERSION, content_hash=content_hash(doc))
    with pytest.raises(msgspec.ValidationError):
        store.decode_stored(raw, version)


def test_a_reload_swaps_the_whole_snapshot_at_once_and_lets_requests_run_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_doc, new_doc = DOCS["page"], DOCS["grown"]
    stored = {
        1: canonical_bytes(old_doc),
        2: canonical_bytes(new_doc),
    }
    revision = [1]

    async def latest_revision(_engine: object) -> int:
        return revision[0]

    async def read_stored(_engine: object) -> tuple[bytes, CatalogueVersion]:
        raw = stored[revision[0]]
        digest = content_hash(msgspec.json.decode(raw, type=CatalogueDocument))
        return raw, msgspec.structs.replace(VERSION, revision=revision[0], content_hash=digest)

    monkeypatch.setattr(store, "latest_revision", latest_revision)
    monkeypatch.setattr(store, "read_stored", read_stored)
    monkeypatch.setattr(app.live, "TRIM_AFTER", 0)

    async def run() -> tuple[Snapshot, Snapshot, list[Snapshot]]:
        live = LiveCatalogue(engine=None, reload_interval=0)  # type: ignore[arg-type]
        live.on_swap.append(lambda: swapped_to.append(live.snapshot.version.revision))
        assert await live.reload()
        first = live.snapshot
        revision[0] = 2
        seen: list[Snapshot] = []
        reloading = asyncio.create_task(live.reload())
        while not reloading.done():
            seen.append(live.snapshot)  # what a request would read now
            await asyncio.sleep(0)
        assert reloading.result() is True
        assert live._derived == (live.snapshot, {})  # swapped with the snapshot, empty
        assert await live.reload() is False  # the newest revision is served already
        return first, live.snapshot, seen

    swapped_to: list[int] = []
    first, second, seen = asyncio.run(run())
    assert swapped_to == [1, 2]  # the swap callbacks ran once per swap, after it
    assert first.version.revision == 1 and second.version.revision == 2
    assert second.document() == new_doc
    assert all(s is first or s is second for s in seen)  # never a half-built one
    assert sum(s is first for s in seen) > 3  # requests ran while the new one was built


def test_what_is_derived_from_a_snapshot_lives_and_goes_with_it() -> None:
    """No module-level memo: LiveCatalogue.derived memoises for the served snapshot only."""
    live = LiveCatalogue(engine=None, reload_interval=0)  # type: ignore[arg-type]
    seen: list[object] = []

    def build(snap: object) -> int:
        seen.append(snap)
        return len(seen)

    old, new = object(), object()
    live._snapshot = old  # type: ignore[assignment]  # what a reload's swap sets
    assert live.derived(old, build) == live.derived(old, build) == 1  # type: ignore[arg-type]
    live._snapshot = new  # type: ignore[assignment]
    # A request still holding the old snapshot gets its answer computed, never kept.
    assert live.derived(old, build) == 2  # type: ignore[arg-type]
    assert live.derived(old, build) == 3  # type: ignore[arg-type]
    assert live.derived(new, build) == live.derived(new, build) == 4  # type: ignore[arg-type]
    served, memo = live._derived
    assert served is new and list(memo.values()) == [4]  # nothing of the old one is held
