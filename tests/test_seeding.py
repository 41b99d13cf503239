"""Seeding: one transaction, idempotent, and a failure leaves the previous catalogue whole."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from sqlalchemy.exc import IntegrityError

from app.catalogue.model import CodeRow
from app.cli import main as cli_main
from app.db import store
from app.db.setup import seed
from app.seeds import DEFAULT_SEED_PATH, SeedError, load_seed


def current(db):
    async def run():
        engine = store.make_engine(db.url)
        try:
            return await store.read_catalogue(engine), await store.list_revisions(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_seeding_twice_changes_nothing(fresh_db):
    fresh_db.migrate_and_seed()
    (doc, version), revisions = current(fresh_db)
    assert doc == load_seed()
    again = asyncio.run(seed(fresh_db.settings(), DEFAULT_SEED_PATH, amendments=None))
    assert not again.changed and again.version == version
    assert current(fresh_db)[1] == revisions == [version]


def test_a_failing_seed_rolls_back_completely(fresh_db):
    fresh_db.migrate_and_seed()
    before = current(fresh_db)
    good = load_seed()
    # A true duplicate (same section, code and name) passes JSON decoding but not the database:
    # the failure comes halfway through the writes, after the old rows were deleted.
    broken_section = msgspec.structs.replace(
        good.sections[-1], rows=(*good.sections[-1].rows, good.sections[-1].rows[0])
    )
    broken = msgspec.structs.replace(good, sections=(*good.sections[:-1], broken_section))

    async def write():
        engine = store.make_engine(fresh_db.url)
        try:
            async with store.seeding_transaction(engine) as conn:
                await store.replace_catalogue(conn, broken)
        finally:
            await engine.dispose()

    with pytest.raises(IntegrityError):
        asyncio.run(write())
    assert current(fresh_db) == before


def test_a_malformed_seed_file_is_refused_before_writing(fresh_db, tmp_path, capsys, monkeypatch):
    fresh_db.migrate_and_seed()
    before = current(fresh_db)
    text = DEFAULT_SEED_PATH.read_text()
    half = tmp_path / "half.json"
    half.write_text(text[: len(text) // 2])
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    assert cli_main(["seed", str(half)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(text.replace('"status":422', '"status":"422"', 1))
    assert cli_main(["seed", str(wrong)]) == 2
    assert "Expected `int`, got `str`" in capsys.readouterr().err
    assert current(fresh_db) == before


def test_check_document_refuses_true_duplicates_and_bad_statuses():
    from app.seeds import check_document

    doc = load_seed()
    section = doc.sections[0]
    dup = msgspec.structs.replace(section, rows=(*section.rows, section.rows[0]))
    with pytest.raises(SeedError, match="listed 2 times"):
        check_document(msgspec.structs.replace(doc, sections=(dup, *doc.sections[1:])))
    bad = msgspec.structs.replace(
        section, rows=(CodeRow(code=1, name="X", status=700, description=""),)
    )
    with pytest.raises(SeedError, match="status 700"):
        check_document(msgspec.structs.replace(doc, sections=(bad, *doc.sections[1:])))
