"""Amendments through the real app on both databases: seeded beside the page (which stays as
transcribed), read back from their table, served with origin and provenance, filtered, found by
slug without a number, guided, exported, reported; plan/seed/changes across amendment changes;
and the way from an observed unknown code to a documented one (drift -> propose -> seed)."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import msgspec
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from app.catalogue.amendments import AmendedEntry, AmendmentsDoc, Provenance
from app.cli import main as cli_main
from app.db.store import make_engine, read_catalogue
from app.db.tables import AmendmentRow
from app.main import create_app
from app.seeds import DEFAULT_AMENDMENTS_PATH, load_amendments, load_seed, render_amendments
from tests.served_client import ServedClient

NUMBERLESS = "ToolRouterV2_InvalidConnectedAccountIds"


@pytest.fixture(scope="module")
def amended_db(empty_db):
    empty_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    return empty_db


@pytest.fixture(scope="module")
def amended(amended_db):
    with TestClient(app=create_app(amended_db.settings())) as client:
        yield client


def _read(url, work):
    async def go():
        engine = make_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_amendments_load_beside_an_untouched_page(amended_db):
    doc, _ = _read(amended_db.url, read_catalogue)
    page = load_seed()
    assert msgspec.structs.replace(doc, amendments=page.amendments) == page  # the page as is
    assert doc.amendments == load_amendments()  # every amendment, in the file's order

    async def count(engine):
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(AmendmentRow.kind, func.count()).group_by(AmendmentRow.kind)
            )
            return dict(rows.all())

    assert _read(amended_db.url, count) == {"service": 2, "entry": 13, "note": 2}


def test_an_amended_code_answers_with_origin_and_provenance(amended):
    (entry,) = amended.get("/codes/1810").json()["entries"]
    assert (entry["service"], entry["name"], entry["status"]) == (
        "ActionExecute",
        "ConnectedAccountNotFound",
        404,
    )
    assert entry["origin"] == "amendment"
    assert entry["provenance"] == {
        "seen_in": "the platform's CLI sources; client code",
        "url": None,
        "seen": "2026",
    }
    assert (entry["action"], entry["retryable"]) == ("reconnect_account", False)


def test_a_page_entry_carries_the_superseding_note(amended):
    entries = amended.get("/codes/1803").json()["entries"]
    by_service = {e["service"]: e for e in entries}
    assert {e["origin"] for e in entries} == {"page"}
    (note,) = by_service["ActionExecute"]["notes"]
    assert note["superseded_by"] == 1810
    assert "answers 1810 (404) in 2026" in note["note"]
    assert note["provenance"]["url"] == "https://github.com/ComposioHQ/composio/issues/1838"
    assert by_service["Project"]["notes"] == []  # a note is about one entry, not its number


def test_a_numberless_amendment_is_found_by_slug_and_listed_last(amended):
    found = amended.get("/codes", params={"slug": NUMBERLESS.lower()}).json()
    assert found["total"] == 1
    (entry,) = found["items"]
    assert (entry["code"], entry["service"], entry["origin"]) == (None, "ToolRouterV2", "amendment")
    listing = amended.get("/codes", params={"limit": 500}).json()
    assert listing["total"] == 215
    codes = [e["code"] for e in listing["items"]]
    assert codes[-2:] == [None, None]  # numberless entries sort after every number
    assert codes[:-2] == sorted(codes[:-2])
    service = amended.get("/services/ToolRouterV2").json()
    assert NUMBERLESS in {e["slug"] for e in service["entries"]}


def test_origin_filter(amended):
    amendments = amended.get("/codes", params={"origin": "amendment", "limit": 500}).json()
    assert amendments["total"] == 13
    assert {e["origin"] for e in amendments["items"]} == {"amendment"}
    assert amended.get("/codes", params={"origin": "page", "limit": 1}).json()["total"] == 202
    both = amended.get("/codes", params={"origin": "amendment", "service": "ToolRouterV2"}).json()
    assert both["total"] == 7
    error = amended.get("/codes", params={"origin": "vendor"}).json()["error"]
    assert (error["status"], error["message"]) == (400, "Invalid value for origin")
    assert error["errors"] == ["origin: origin must be one of page, amendment, not 'vendor'"]


@pytest.mark.parametrize(
    ("code", "action", "retryable"),
    [
        (1810, "reconnect_account", False),
        (1811, "reconnect_account", False),
        (1812, "reconnect_account", False),
        (4302, "reconnect_account", False),
        (10429, "retry_later", True),
        (4340, "retry", True),  # no override: the status default
    ],
)
def test_guidance_overrides_from_the_amendments(amended, code, action, retryable):
    (entry,) = amended.get(f"/codes/{code}").json()["entries"]
    assert (entry["action"], entry["retryable"]) == (action, retryable)


def test_reconnect_filter_lists_the_overridden_entries(amended):
    found = amended.get("/codes", params={"action": "reconnect_account", "limit": 500}).json()
    assert {e["code"] for e in found["items"] if e["origin"] == "amendment"} == {
        1810,
        1811,
        1812,
        4302,
    }


def test_exports_include_the_amendments(amended):
    rows = list(csv.DictReader(io.StringIO(amended.get("/catalogue.csv").text, newline="")))
    assert len(rows) == 215
    by_slug = {r["slug"]: r for r in rows}
    assert by_slug["ActionExecute_ConnectedAccountNotFound"]["origin"] == "amendment"
    assert by_slug["ActionExecute_ConnectedAccountNotFound"]["action"] == "reconnect_account"
    assert by_slug[NUMBERLESS]["code"] == "" and by_slug[NUMBERLESS]["constant"] == ""
    assert "issue 2908" in by_slug["ToolRouterV2_NoActiveConnection"]["provenance"]
    python = amended.get("/exports/python").text
    namespace: dict = {}
    exec(compile(python, "errcat_codes.py", "exec"), namespace)
    assert namespace["TOOL_ROUTER_V2_NO_ACTIVE_CONNECTION"] == 4302
    assert namespace["ERRORS"]["ACTION_EXECUTE_CONNECTED_ACCOUNT_NOT_FOUND"].origin == "amendment"
    assert "INVALID_CONNECTED_ACCOUNT_IDS" not in python  # no number, so no constant
    markdown = amended.get("/catalogue.md").text
    assert "## Amendments (errcat)" in markdown and "Superseded by 1810." in markdown
    exported = amended.get("/catalogue.json").json()
    sections = {s["name"]: s for s in exported["sections"]}
    assert sections["ToolRouterV2"]["origin"] == "amendment"


def test_the_report_covers_the_amendments(amended):
    report = amended.get("/catalogue/report").json()
    amendment_findings = {
        (f["rule"], tuple(f["codes"])) for f in report["findings"] if f["rule"][:9] == "amendment"
    }
    assert amendment_findings == {
        ("amendment.in_other_service_range", (2113,)),
        *(
            ("amendment.outside_declared_ranges", (code,))
            for code in (4300, 4302, 4305, 4308, 4326, 4340)
        ),
    }


def test_the_code_page_shows_where_an_amendment_comes_from(amended):
    html = amended.get("/codes/1810", headers={"Accept": "text/html"}).text
    assert "An amendment, not on the page" in html
    html = amended.get("/codes/1803", headers={"Accept": "text/html"}).text
    assert 'Superseded by <a href="/codes/1810">1810</a>' in html


# --- plan, seed and changes across amendment changes -------------------------------------------


def _write(path, amendments: AmendmentsDoc):
    path.write_text(render_amendments(amendments), encoding="utf-8")
    return str(path)


def test_plan_seed_and_changes_across_amendment_changes(fresh_db, tmp_path, monkeypatch, capsys):
    fresh_db.migrate_and_seed()  # the page alone
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    # adding the amendments is not breaking
    assert cli_main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "entries: 13 added, 0 removed, 0 changed, 0 reused; 0 breaking" in out
    assert "+ platform ActionExecute 1810 ConnectedAccountNotFound (404) [amendment]" in out
    assert cli_main(["seed"]) == 0
    assert "revision 2" in capsys.readouterr().out
    assert cli_main(["seed"]) == 0  # idempotent
    assert "unchanged: revision 2" in capsys.readouterr().out

    current = load_amendments()
    seen = Provenance(seen_in="a test", url=None, seen="2026-11-25")
    added = AmendedEntry(4399, "ToolRouterV2", "Teapot", 418, "Short and stout", None, seen)
    path = _write(
        tmp_path / "more.json", msgspec.structs.replace(current, entries=(*current.entries, added))
    )
    assert cli_main(["plan", "--amendments", path]) == 0
    assert "1 added, 0 removed, 0 changed, 0 reused; 0 breaking" in capsys.readouterr().out
    assert cli_main(["seed", "--amendments", path]) == 0
    assert "revision 3" in capsys.readouterr().out

    restated = tuple(
        msgspec.structs.replace(e, status=400) if e.code == 1810 else e
        for e in (*current.entries, added)
    )
    path = _write(tmp_path / "restated.json", msgspec.structs.replace(current, entries=restated))
    assert cli_main(["plan", "--amendments", path]) == 1
    out = capsys.readouterr().out
    assert "! breaking (status_changed): ActionExecute amended code 1810" in out
    assert cli_main(["seed", "--amendments", path]) == 1
    assert "refused" in capsys.readouterr().err
    assert cli_main(["seed", "--force", "--amendments", path]) == 0
    assert "revision 4" in capsys.readouterr().out
    assert cli_main(["changes", "--from", "3", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert [(b["kind"], b["code"]) for b in diff["breaking"]] == [("status_changed", 1810)]
    assert diff["changed"][0]["origin"] == "amendment"
    # removing an amendment is breaking too
    path = _write(tmp_path / "fewer.json", msgspec.structs.replace(current, entries=restated[1:]))
    assert cli_main(["plan", "--amendments", path]) == 1
    assert "breaking (code_removed): ConnectedAccount amended code 612" in capsys.readouterr().out
    with TestClient(app=create_app(fresh_db.settings())) as client:
        (entry,) = client.get("/codes/1810").json()["entries"]
        assert (entry["status"], entry["origin"]) == (400, "amendment")
        assert client.get("/codes/4399").json()["entries"][0]["name"] == "Teapot"


def test_a_malformed_amendments_file_is_refused_naming_its_place(
    fresh_db, tmp_path, monkeypatch, capsys
):
    fresh_db.migrate_and_seed()
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    raw = json.loads(DEFAULT_AMENDMENTS_PATH.read_text())
    raw["entries"][2]["colour"] = "red"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    assert cli_main(["seed", "--amendments", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "$.entries[2]" in err and "colour" in err


# --- from an observed unknown code to a documented one -----------------------------------------

TOKEN = "test-ingest-token-0123456789"


def test_observed_code_drift_propose_plan_seed_documented(fresh_db, tmp_path, monkeypatch, capsys):
    fresh_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    settings = fresh_db.settings(ingest_token=TOKEN, observations_flush_seconds=3600)
    seen = {"code": 4399, "slug": "ToolRouterV2_SessionExpired", "status": 409}
    with ServedClient(app=create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert client.post("/observations", json=[seen] * 3, headers=auth).status_code == 202
        client.blocking_portal.call(client.front.state["observations"].flush)
        drift = client.get("/observations/drift").json()
        (unknown,) = [u for u in drift["unknown_codes"] if u["code"] == 4399]
        assert unknown["count"] == 3
        assert unknown["slugs"][0]["slug"] == "ToolRouterV2_SessionExpired"
        assert client.get("/codes/4399").status_code == 404

    assert cli_main(["propose"]) == 0
    draft = json.loads(capsys.readouterr().out)
    (entry,) = draft["entries"]
    assert (entry["code"], entry["service"], entry["name"], entry["status"]) == (
        4399,
        "ToolRouterV2",
        "SessionExpired",
        409,
    )
    assert draft["services"] == []  # ToolRouterV2 is known: an amended service
    # a person reviews the draft, describes the entry, and adds it to the amendments file
    entry["description"] = "The tool router session expired"
    amendments = json.loads(DEFAULT_AMENDMENTS_PATH.read_text())
    amendments["entries"].append(entry)
    path = tmp_path / "amendments.json"
    path.write_text(json.dumps(amendments), encoding="utf-8")

    assert cli_main(["plan", "--amendments", str(path)]) == 0
    out = capsys.readouterr().out
    assert "+ platform ToolRouterV2 4399 SessionExpired (409) [amendment]" in out
    assert cli_main(["seed", "--amendments", str(path)]) == 0
    capsys.readouterr()
    with TestClient(app=create_app(fresh_db.settings())) as client:
        (documented,) = client.get("/codes/4399").json()["entries"]
    assert (documented["origin"], documented["description"]) == (
        "amendment",
        "The tool router session expired",
    )
    assert documented["provenance"]["seen_in"].startswith("observed by errcat: 3 times")
    assert (documented["action"], documented["retryable"]) == ("conflict", False)
