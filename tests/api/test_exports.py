"""The exports through the real app and the command line, on both databases."""

from __future__ import annotations

import csv
import io

import pytest

from app.api.exports import EXPORTS
from app.catalogue.build import build_snapshot
from app.catalogue.export import render_export
from app.catalogue.model import CatalogueVersion
from app.cli import main as cli_main
from app.db.setup import migrate
from app.seeds import DEFAULT_SEED_PATH, load_seed

ROUTES = {
    "/catalogue.json": ("json", "application/json", 'inline; filename="errcat-catalogue.json"'),
    "/catalogue.md": (
        "md",
        "text/markdown; charset=utf-8",
        'inline; filename="errcat-catalogue.md"',
    ),
    "/catalogue.csv": (
        "csv",
        "text/csv; header=present; charset=utf-8",
        'attachment; filename="errcat-catalogue.csv"',
    ),
    "/exports/python": (
        "python",
        "text/x-python; charset=utf-8",
        'attachment; filename="errcat_codes.py"',
    ),
    "/exports/typescript": (
        "typescript",
        "application/typescript; charset=utf-8",
        'attachment; filename="errcat_codes.ts"',
    ),
}


def served_snapshot(client):
    """The snapshot the service serves, rebuilt from the seed file and the served version."""
    version = client.get("/catalogue").json()["version"]
    return build_snapshot(load_seed(DEFAULT_SEED_PATH), CatalogueVersion(**version))


@pytest.mark.parametrize("path", ROUTES)
def test_export_routes_answer_the_pure_render(client, path):
    fmt, media_type, disposition = ROUTES[path]
    first, second = client.get(path), client.get(path)
    assert first.status_code == 200, first.text
    assert first.content == second.content  # deterministic: identical bytes
    assert first.content == render_export(served_snapshot(client), fmt)
    assert first.headers["content-type"] == media_type
    assert first.headers["content-disposition"] == disposition
    assert first.headers["etag"] == client.get("/codes/1205").headers["etag"]


@pytest.mark.parametrize("path", ROUTES)
def test_export_routes_revalidate_with_the_catalogue_etag(client, path):
    etag = client.get(path).headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""


def test_catalogue_json_lists_every_entry_the_api_does(client):
    body = client.get("/catalogue.json").json()
    listed = client.get("/codes?limit=500").json()["items"]
    exported = [e for s in body["sections"] for e in s["entries"]]
    key = lambda e: (e["code"], e["service"], e["name"])  # noqa: E731
    assert sorted(exported, key=key) == sorted(listed, key=key)
    assert len(exported) == 202
    assert body["version"] == {
        k: v for k, v in client.get("/catalogue").json()["version"].items() if k != "loaded_at"
    }
    assert len(body["ranges"]) == 40 and len(body["error_types"]) == 10
    assert [f["name"] for f in body["envelope"]][:3] == ["message", "code", "status"]


def test_catalogue_csv_parses_back_to_the_api_entries(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/catalogue.csv").text, newline="")))
    listed = client.get("/codes?limit=500").json()["items"]
    assert [
        (int(r["code"]), r["name"], int(r["status"]), r["description"], r["slug"]) for r in rows
    ] == [(e["code"], e["name"], e["status"], e["description"], e["slug"]) for e in listed]


def test_openapi_documents_the_exports(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    for export in EXPORTS:
        content = paths[export.path]["get"]["responses"]["200"]["content"]
        assert list(content) == [export.media_type]
        assert ROUTES[export.path][1].startswith(export.media_type)
    json_schema = paths["/catalogue.json"]["get"]["responses"]["200"]["content"]
    assert json_schema["application/json"]["schema"]["$ref"].endswith("/CatalogueExport")


# --- errcat export ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(seeded_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", seeded_db.url)
    return seeded_db


@pytest.mark.parametrize("path", ROUTES)
def test_cli_export_writes_the_same_bytes_as_the_api(client, cli_env, tmp_path, path, capsys):
    fmt = ROUTES[path][0]
    out = tmp_path / f"export.{fmt}"
    assert cli_main(["export", "--format", fmt, "--out", str(out)]) == 0
    assert out.read_bytes() == client.get(path).content
    assert f"wrote {out}" in capsys.readouterr().err


def test_cli_export_to_stdout(client, cli_env, capsysbinary):
    assert cli_main(["export", "--format", "csv"]) == 0
    assert capsysbinary.readouterr().out == client.get("/catalogue.csv").content


def test_cli_export_refuses_an_unknown_format(cli_env, capsys):
    assert cli_main(["export", "--format", "xml"]) == 2
    assert "'xml' is not one of" in capsys.readouterr().err


def test_cli_export_without_a_catalogue_fails_clearly(fresh_db, monkeypatch, capsys):
    migrate(fresh_db.settings())
    monkeypatch.setenv("DATABASE_URL", fresh_db.url)
    assert cli_main(["export", "--format", "json"]) == 3  # a database state, not a finding
    assert "holds no catalogue yet: run errcat seed" in capsys.readouterr().err
