"""One revision diff for the CLI and GET /catalogue/changes: app.revisions.revision_changes."""

from __future__ import annotations

import asyncio

import pytest

from app.catalogue.errors import RevisionNotFound
from app.db import store
from app.revisions import revision_changes


def changes(db, start: int, end: int | None):
    async def run():
        engine = store.make_engine(db.url)
        try:
            return await revision_changes(engine, start, end)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_newest_revision_by_default(seeded_db) -> None:
    found = changes(seeded_db, 1, None)
    assert (found.start, found.end) == (1, 1)
    assert not found.diff.has_changes and not found.diff.is_breaking


@pytest.mark.parametrize(("start", "end", "missing"), [(7, None, 7), (1, 9, 9), (8, 9, 8)])
def test_a_missing_revision_is_named(seeded_db, start, end, missing) -> None:
    with pytest.raises(RevisionNotFound) as caught:
        changes(seeded_db, start, end)
    assert caught.value.revision == missing
    assert caught.value.message == f"No revision {missing}"


def test_the_cli_and_the_api_tell_the_same_missing_revision(seeded_db, monkeypatch, capsys) -> None:
    from litestar.testing import TestClient

    from app.cli import main as cli
    from app.main import create_app

    monkeypatch.setenv("DATABASE_URL", seeded_db.url)
    assert cli(["changes", "--from", "1", "--to", "9"]) == 1
    assert capsys.readouterr().err == "errcat: no revision 9 (errcat revisions lists them)\n"
    assert cli(["changes", "--from", "1"]) == 0
    assert capsys.readouterr().out.startswith("revision 1 -> 1\nentries: 0 added")
    with TestClient(create_app(seeded_db.settings())) as client:
        answer = client.get("/catalogue/changes", params={"from": 1, "to": 9})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "No revision 9"
