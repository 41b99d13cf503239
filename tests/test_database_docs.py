"""docs/database.md's example queries run as written on a seeded database, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import text

from app.db.store import make_engine

DOC = Path(__file__).resolve().parent.parent / "docs" / "database.md"


def _queries() -> list[tuple[str, str, str]]:
    """(heading above it, dialect or '', SQL) for every ```sql block of the page."""
    out, heading, tokens = [], "", MarkdownIt("commonmark").parse(DOC.read_text())
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = tokens[i + 1].content
        elif token.type == "fence" and token.info.split()[:1] == ["sql"]:
            dialect = token.info.split()[1] if len(token.info.split()) > 1 else ""
            out.append((heading, dialect, token.content))
    return out


QUERIES = _queries()


def _run(db, sql: str) -> list[tuple]:
    async def run():
        engine = make_engine(db.url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(text(sql))).all()]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_page_has_its_queries():
    headings = {heading for heading, _, _ in QUERIES}
    assert {
        "Entries per status",
        "Entries per service",
        "The codes of a service",
        "Codes listed more than once",
        "Revisions over time",
    } <= headings
    assert len(QUERIES) >= 8


# The amendments' queries need a catalogue with amendments (the shared fixture has the page only).
PORTABLE = [(h, sql) for h, dialect, sql in QUERIES if not dialect and "Amendments" not in h]


@pytest.mark.parametrize("query", PORTABLE, ids=[f"{i} {h}" for i, (h, _) in enumerate(PORTABLE)])
def test_every_portable_query_runs_and_answers(seeded_db, query):
    assert _run(seeded_db, query[1]), query


def test_every_postgresql_query_runs_and_answers(postgres_db):
    only = [sql for _, dialect, sql in QUERIES if dialect == "postgresql"]
    assert only
    assert {dialect for _, dialect, _ in QUERIES} <= {"", "postgresql"}
    for sql in only:
        assert _run(postgres_db, sql), sql


def _query(heading: str, index: int = 0) -> str:
    return [sql for h, _, sql in QUERIES if h == heading][index]


def test_the_queries_answer_what_the_api_answers(seeded_db, client):
    per_status = dict(_run(seeded_db, _query("Entries per status")))
    api = {s["status"]: s["entries"] for s in client.get("/statuses").json()["items"]}
    assert per_status == api

    codes = _run(seeded_db, _query("The codes of a service"))
    assert [c[:3] for c in codes] == [
        (e["code"], e["name"], e["status"])
        for e in client.get("/services/Auth_Config").json()["entries"]
    ]

    twice = _run(seeded_db, _query("Codes listed more than once"))
    by_code: dict[int, list[tuple[str, str]]] = {}
    for code, service, name, _status in twice:
        by_code.setdefault(code, []).append((service, name))
    assert by_code[10503] == [("HTTP", "ServiceUnavailable"), ("HTTP", "BadState")]
    assert [s for s, _ in by_code[1800]] == ["Project", "ActionExecute"]
    for code, rows in by_code.items():
        assert len(client.get(f"/codes/{code}").json()["entries"]) == len(rows) >= 2

    per_service = _run(seeded_db, _query("Entries per service"))
    assert sum(n for *_, n in per_service) == sum(api.values())

    (revision, _hash, _at) = _run(seeded_db, _query("Revisions over time", 1))[0]
    assert revision == client.get("/catalogue").json()["version"]["revision"]


def test_the_amendment_queries_answer_what_the_api_answers(empty_db):
    from litestar.testing import TestClient

    from app.main import create_app
    from app.seeds import DEFAULT_AMENDMENTS_PATH

    empty_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    entries = _run(empty_db, _query("Amendments and where they were seen"))
    per_status = dict(_run(empty_db, _query("Amendments and where they were seen", 1)))
    with TestClient(app=create_app(empty_db.settings())) as client:
        api = client.get("/codes", params={"origin": "amendment", "limit": 500}).json()["items"]
        statuses = {s["status"]: s["entries"] for s in client.get("/statuses").json()["items"]}
    assert [(c, s, n, st, a, p) for c, s, n, st, a, p, *_ in entries] == [
        (e["code"], e["service"], e["name"], e["status"], _given(e), e["provenance"]["seen_in"])
        for e in api
    ]
    assert per_status == statuses


def _given(entry: dict) -> str | None:
    """The action the amendment gives itself (None where the status default applies)."""
    overridden = {1810, 1811, 1812, 4302}
    return entry["action"] if entry["code"] in overridden else None
