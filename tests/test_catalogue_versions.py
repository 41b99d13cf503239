"""Versions, plans, the breaking-change guard and the integrity report, end to end (CLI + API)."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import TestClient

from app.cli import main as cli
from app.main import create_app
from app.seeds import DEFAULT_AMENDMENTS_PATH, load_seed, render


def edited(doc, section_name, change_row=None, drop_code=None, add_row=None):
    """The seed document with one section's rows edited."""

    def rows(section):
        out = [change_row(r) if change_row else r for r in section.rows if r.code != drop_code]
        return tuple(out + ([add_row] if add_row else []))

    return msgspec.structs.replace(
        doc,
        sections=tuple(
            msgspec.structs.replace(s, rows=rows(s)) if s.name == section_name else s
            for s in doc.sections
        ),
    )


@pytest.fixture
def db(fresh_db, monkeypatch):
    # page and amendments, as `errcat seed` loads them by default (the CLI runs below use it)
    fresh_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    return fresh_db


def write(tmp_path, doc, name="catalogue.json"):
    path = tmp_path / name
    path.write_text(render(doc))
    return str(path)


def test_plan_shows_a_changed_file_without_writing(db, tmp_path, capsys):
    doc = load_seed()
    new_row = msgspec.structs.replace(
        doc.sections[0].rows[0], code=10418, name="Teapot", status=418
    )
    changed = edited(
        doc,
        "TriggerInstance",
        change_row=lambda r: (
            msgspec.structs.replace(r, description="Log in again") if r.code == 1205 else r
        ),
    )
    changed = edited(changed, "HTTP", add_row=new_row)
    path = write(tmp_path, changed)
    assert cli(["plan", path]) == 0
    out = capsys.readouterr().out
    assert "entries: 1 added, 0 removed, 1 changed, 0 reused; 0 breaking" in out
    assert "+ platform HTTP 10418 Teapot" in out
    assert "~ platform TriggerInstance 1205 AuthRefreshRequired: description" in out
    assert cli(["revisions"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1  # nothing was written


@pytest.mark.parametrize(
    ("change", "kind", "needle"),
    [
        (dict(drop_code=1205), "code_removed", "1205"),
        (
            dict(
                change_row=lambda r: msgspec.structs.replace(r, status=400) if r.code == 1205 else r
            ),
            "status_changed",
            "422",
        ),
        (
            dict(
                change_row=lambda r: (
                    msgspec.structs.replace(r, name="Renamed") if r.code == 1205 else r
                )
            ),
            "code_reused",
            "Renamed",
        ),
    ],
)
def test_breaking_changes_are_refused_then_accepted_with_force(
    db, tmp_path, capsys, change, kind, needle
):
    path = write(tmp_path, edited(load_seed(), "TriggerInstance", **change))
    assert cli(["plan", path]) == 1
    assert f"! breaking ({kind})" in capsys.readouterr().out
    assert cli(["seed", path]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and kind in err and "TriggerInstance" in err and needle in err
    assert cli(["revisions"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1  # still revision 1 only
    assert cli(["seed", "--force", path]) == 0
    assert "revision 2" in capsys.readouterr().out
    assert cli(["changes", "--from", "1"]) == 0
    assert f"! breaking ({kind})" in capsys.readouterr().out


def test_allowed_change_is_seeded_and_visible_through_the_api(db, tmp_path):
    doc = load_seed()
    changed = edited(
        doc,
        "Email",
        change_row=lambda r: msgspec.structs.replace(r, description=r.description + "."),
    )
    assert cli(["seed", write(tmp_path, changed)]) == 0
    with TestClient(app=create_app(db.settings())) as client:
        info = client.get("/catalogue").json()
        assert info["version"]["revision"] == 2
        assert info["counts"] == {
            "ranges": 40, "sections": 45, "entries": 215, "error_types": 10, "envelope_fields": 6,
        }  # fmt: skip
        assert [v["revision"] for v in client.get("/catalogue/revisions").json()["items"]] == [1, 2]
        diff = client.get("/catalogue/changes?from=1").json()
        assert diff["summary"]["changed"] == 2 and diff["is_breaking"] is False
        assert {c["code"] for c in diff["changed"]} == {1000, 1001}
        assert diff["changed"][0]["changes"][0]["field"] == "description"
        back = client.get("/catalogue/changes?from=2&to=1").json()
        assert back["summary"]["changed"] == 2
        error = client.get("/catalogue/changes?from=9").json()["error"]
        assert error["status"] == 404 and "9" in error["message"]
        assert client.get("/catalogue/changes").json()["error"]["status"] == 400
        assert client.get("/catalogue").headers["etag"].startswith('W/"2-')


def test_a_failed_seed_leaves_the_old_revision_served(db, tmp_path, capsys):
    with TestClient(app=create_app(db.settings(reload_interval=0.1))) as client:
        before = client.get("/catalogue").json()["version"]
        text = render(load_seed())
        bad = tmp_path / "bad.json"
        bad.write_text(text[: len(text) // 3])
        assert cli(["seed", str(bad)]) == 2
        assert client.get("/catalogue").json()["version"] == before
        assert client.get("/codes/1205").status_code == 200


def test_integrity_report_on_the_seeded_page(db, capsys):
    assert cli(["report"]) == 1  # the page contradicts itself: error-level findings
    out = capsys.readouterr().out
    # the page's 37 findings, and 7 about the amendments (2113 in CLI's range, 4300-4340 in none)
    assert "44 findings: 14 error, 26 warning, 4 info" in out
    with TestClient(app=create_app(db.settings())) as client:
        report = client.get("/catalogue/report").json()
    assert report["ok"] is False and report["total"] == 44
    pairs = {(f["rule"], tuple(f["codes"])) for f in report["findings"]}
    assert ("code.duplicate_in_section", (10503,)) in pairs
    assert ("code.duplicate_across_sections", (1800, 1801, 1802, 1803, 1804)) in pairs
    assert ("entry.in_other_service_range", (1141, 1142, 1143, 1144, 1145, 1146)) in pairs
    assert ("amendment.in_other_service_range", (2113,)) in pairs
    assert ("amendment.outside_declared_ranges", (4302,)) in pairs
    assert cli(["report", "--json"]) == 1
    assert msgspec.json.decode(capsys.readouterr().out)["total"] == 44
