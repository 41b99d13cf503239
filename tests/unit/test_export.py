"""The exports as pure functions of a Snapshot: deterministic, complete, well formed."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys

import msgspec
import pytest

from app.catalogue.constants import constant_names, upper_snake
from app.catalogue.export import (
    CSV_COLUMNS,
    EXPORT_FORMATS,
    CatalogueExport,
    format_ranges,
    render_export,
)
from app.catalogue.page import transcribe
from tests.export_tools import (
    PAGE,
    node,
    run,
    section,
    seed_snapshot,
    small_snapshot,
    tsc,
)

NASTY = 'Quote " and \' and \\ back, """ triple, */ end, new\nline, é, 😀, \u2028, | pipe, `x`'


def import_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_two_renders_are_identical_bytes(fmt):
    first = render_export(seed_snapshot(), fmt)
    # A snapshot built anew, loaded at another time: the same revision gives the same bytes.
    again = render_export(seed_snapshot(loaded_at="2030-01-01T00:00:00+00:00"), fmt)
    assert first == again
    assert first
    other = render_export(seed_snapshot(revision=8), fmt)
    # The version is part of every export but the CSV (rows only; the ETag tells its version).
    assert (other == first) == (fmt == "csv")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        render_export(seed_snapshot(), "xml")


# --- JSON -------------------------------------------------------------------------------------


def test_json_holds_the_whole_catalogue():
    snap = seed_snapshot()
    export = msgspec.json.decode(render_export(snap, "json"), type=CatalogueExport)
    assert export.version.revision == 7 and export.version.content_hash == "0f" * 32
    assert export.source == snap.head.source
    assert export.envelope == snap.head.envelope
    assert export.ranges == snap.ranges
    assert export.error_types == snap.error_types
    assert [s.heading for s in export.sections] == [s.heading for s in snap.head.sections]
    entries = [e for s in export.sections for e in s.entries]
    assert sorted(entries, key=lambda e: (e.code, e.service)) == list(snap.entries)
    assert len(entries) == 202
    raw = json.loads(render_export(snap, "json"))
    assert "loaded_at" not in raw["version"]
    first = raw["sections"][0]["entries"][0]
    assert first["slug"] == "HTTP_BadRequest"


# --- Markdown ---------------------------------------------------------------------------------


def _md_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^\| -?\d+ \|", line)]


def test_markdown_has_every_row_of_the_vendor_page():
    page = transcribe(PAGE.read_text(encoding="utf-8"))
    md = render_export(seed_snapshot(), "md").decode()
    rows = _md_rows(md)
    printed = [(r.code, r.name, r.status, r.description) for s in page.sections for r in s.rows]
    assert len(rows) == len(printed) == 202
    # Every (code, name, status) of the page, in the page's order, once per printed row.
    assert rows == [f"| {c} | {n} | {s} | {d} |" for c, n, s, d in printed]
    for code, name, status, _ in printed:
        assert any(r.startswith(f"| {code} | {name} | {status} |") for r in rows)


def test_markdown_follows_the_page_layout():
    text = PAGE.read_text(encoding="utf-8")
    md = render_export(seed_snapshot(), "md").decode()
    lines = md.splitlines()
    # The ranges list, line for line as the page prints it.
    page_ranges = [line for line in text.splitlines() if re.match(r"^- \d+-\d+: ", line)]
    assert [line for line in lines if re.match(r"^- \d+-\d+: ", line)] == page_ranges
    # The headings, in the page's order.
    page_order = ["Error Response Format", "Error Code Ranges", "Error Codes by Service"]
    page_order += [s.heading for s in transcribe(text).sections if s.namespace == "platform"]
    page_order += ["Thermos Service Error Codes", "Database Errors", "Error Types"]
    assert [line.lstrip("# ") for line in lines if re.match(r"^##+ ", line)] == page_order
    # Error types and the envelope's fields.
    for t in transcribe(text).error_types:
        assert f"| {t.type} | {t.description} |" in lines
    assert "| request_id | string | yes | req_abc123 |" in lines
    assert '    "code": 1234,' in lines
    assert "| Code | Name | HTTP Status | Description |" in lines  # Thermos's own header


def test_markdown_cells_cannot_break_the_table():
    snap = small_snapshot([section("Alpha", (100, "Bad|Name", 400, NASTY))])
    rows = _md_rows(render_export(snap, "md").decode())
    assert len(rows) == 1
    assert "Bad\\|Name" in rows[0] and "pipe" in rows[0] and "\n" not in rows[0]


# --- CSV --------------------------------------------------------------------------------------


def test_csv_round_trips_to_the_snapshot_entries():
    snap = seed_snapshot()
    raw = render_export(snap, "csv")
    rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    names = constant_names(snap)
    expected = [
        [
            str(e.code),
            e.name,
            str(e.status),
            e.description,
            e.service,
            e.namespace,
            e.slug,
            format_ranges(e.ranges),
            names[id(e)],
            e.action,
            "true" if e.retryable else "false",
            e.origin,
            "",
        ]
        for e in snap.entries
    ]
    assert rows[1:] == expected
    assert len(rows) - 1 == len(snap.entries) == 202
    by_code = {int(r[0]): r for r in rows[1:]}
    assert by_code[1205][7] == "1200-1299 TriggerInstance"
    assert by_code[2][7] == ""  # Thermos codes lie in no platform range
    assert raw.endswith(b"\r\n")


def test_csv_quotes_what_needs_quoting():
    snap = small_snapshot([section("Alpha", (100, "Comma,Name", 400, NASTY))])
    rows = list(csv.DictReader(io.StringIO(render_export(snap, "csv").decode(), newline="")))
    assert [(r["code"], r["name"], r["description"]) for r in rows] == [
        ("100", "Comma,Name", NASTY)
    ]


# --- constant names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TriggerInstance", "TRIGGER_INSTANCE"),
        ("AuthRefreshRequired", "AUTH_REFRESH_REQUIRED"),
        ("Prisma/Database", "PRISMA_DATABASE"),
        ("Auth_Config", "AUTH_CONFIG"),
        ("APIKey", "API_KEY"),
        ("ProjectAPIKeyNotAllowed", "PROJECT_API_KEY_NOT_ALLOWED"),
        ("URLNotFound", "URL_NOT_FOUND"),
        ("OAuth1RequestTokenError", "OAUTH1_REQUEST_TOKEN_ERROR"),
        ("FailedOauth2TokenExchange", "FAILED_OAUTH2_TOKEN_EXCHANGE"),
        ("EMAIL_NOT_AVAILABLE", "EMAIL_NOT_AVAILABLE"),
        ("JWT", "JWT"),
    ],
)
def test_upper_snake(text, expected):
    assert upper_snake(text) == expected


def test_constant_names_are_unique_and_cover_every_entry():
    snap = seed_snapshot()
    names = constant_names(snap)
    assert len(names) == len(snap.entries) == 202
    assert len(set(names.values())) == 202
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names.values())
    by_entry = {(e.service, e.code, e.name): names[id(e)] for e in snap.entries}
    assert by_entry["TriggerInstance", 1205, "AuthRefreshRequired"] == (
        "TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED"
    )
    # The numbers the page lists twice: one constant per entry.
    assert by_entry["HTTP", 10503, "ServiceUnavailable"] == "HTTP_SERVICE_UNAVAILABLE"
    assert by_entry["HTTP", 10503, "BadState"] == "HTTP_BAD_STATE"
    assert by_entry["Project", 1800, "BadRequest"] == "PROJECT_BAD_REQUEST"
    assert by_entry["ActionExecute", 1800, "ToolNotFound"] == "ACTION_EXECUTE_TOOL_NOT_FOUND"
    assert by_entry["Database", 2, "DbNotFoundError"] == "THERMOS_DATABASE_DB_NOT_FOUND_ERROR"
    assert by_entry["Prisma/Database", 100, "BadRequest"] == "PRISMA_DATABASE_BAD_REQUEST"


def test_names_that_would_repeat_are_disambiguated_by_code_then_occurrence():
    snap = small_snapshot(
        [
            # The same row printed twice, and a third spelling meeting it in UPPER_SNAKE.
            section("Alpha", (100, "NotFound", 404, "a"), (100, "NotFound", 404, "b")),
            section("Al_pha", (150, "NotFound", 404, "c")),
            # Names the module defines itself are never taken by a constant.
            section("By", (160, "Code", 400, "d")),
            section("Alpha", (170, "Unique", 400, "e")),
            section("9Lives", (180, "Cat", 400, "f")),
        ]
    )
    names = [constant_names(snap)[id(e)] for s in snap.sections for e in s.entries]
    assert names == [
        "ALPHA_NOT_FOUND_100",
        "ALPHA_NOT_FOUND_100_2",
        "AL_PHA_NOT_FOUND",
        "BY_CODE_160",
        "ALPHA_UNIQUE",
        "ERR_9_LIVES_CAT",
    ]
    assert names == [constant_names(snap)[id(e)] for s in snap.sections for e in s.entries]


def test_names_meeting_in_upper_snake_are_disambiguated():
    snap = small_snapshot(
        [section("AlPha", (100, "X", 400, "a")), section("Al_Pha", (101, "X", 400, "b"))]
    )
    names = [constant_names(snap)[id(e)] for s in snap.sections for e in s.entries]
    assert names == ["AL_PHA_X_100", "AL_PHA_X_101"]


# --- the Python module ------------------------------------------------------------------------


def test_python_module_imports_with_every_constant_and_its_details(tmp_path):
    snap = seed_snapshot()
    path = tmp_path / "errcat_codes.py"
    path.write_bytes(render_export(snap, "python"))
    module = import_module(path, "errcat_codes_test")
    assert module.CATALOGUE_REVISION == 7
    assert module.CATALOGUE_CONTENT_HASH == "0f" * 32
    assert module.TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED == 1205
    names = constant_names(snap)
    assert len(module.ERRORS) == 202
    for e in snap.entries:
        name = names[id(e)]
        assert getattr(module, name) == e.code
        details = module.ERRORS[name]
        assert (details.constant, details.code, details.name, details.status) == (
            name,
            e.code,
            e.name,
            e.status,
        )
        assert (details.description, details.service, details.namespace, details.slug) == (
            e.description,
            e.service,
            e.namespace,
            e.slug,
        )
    assert [d.name for d in module.BY_CODE[10503]] == ["ServiceUnavailable", "BadState"]
    assert [d.service for d in module.BY_CODE[1800]] == ["ActionExecute", "Project"]
    assert module.BY_SLUG["Tool_ToolNotFound"][0].code == 2401
    source = path.read_text()
    assert "revision 7, content hash " + "0f" * 32 in source
    assert '"422 TriggerInstance_AuthRefreshRequired: Authentication refresh required"' in source


def test_python_module_keeps_any_text_exactly(tmp_path):
    snap = small_snapshot([section("Alpha", (100, "Nasty", 400, NASTY))], source=NASTY)
    path = tmp_path / "nasty_codes.py"
    path.write_bytes(render_export(snap, "python"))
    module = import_module(path, "nasty_codes_test")
    assert module.ALPHA_NASTY == 100
    assert module.ERRORS["ALPHA_NASTY"].description == NASTY
    assert module.CATALOGUE_SOURCE == NASTY


# --- the TypeScript module --------------------------------------------------------------------

USAGE = """\
import { BY_CODE, ERRORS, ErrorCode, ErrorConstant, TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED,
  CATALOGUE_REVISION } from "./errcat_codes";
const code: 1205 = TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED;
const details: ErrorCode = ERRORS.HTTP_BAD_STATE;
const name: ErrorConstant = "HTTP_SERVICE_UNAVAILABLE";
const both: readonly ErrorCode[] | undefined = BY_CODE[10503];
const status: 422 = ERRORS.TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED.status;
console.log(JSON.stringify({ code, details, name, both, status, CATALOGUE_REVISION, ERRORS }));
"""


def test_typescript_module_passes_tsc_strict_and_holds_every_entry(tmp_path):
    snap = seed_snapshot()
    (tmp_path / "errcat_codes.ts").write_bytes(render_export(snap, "typescript"))
    (tmp_path / "usage.ts").write_text(USAGE)
    compiler = tsc()
    checked = run(compiler, "--strict", "--noEmit", "errcat_codes.ts", "usage.ts", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Compiled and run: the values are the catalogue's.
    built = run(
        compiler,
        "--strict",
        "--module",
        "commonjs",
        "--target",
        "es2020",
        "--outDir",
        "out",
        "errcat_codes.ts",
        "usage.ts",
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    ran = run(node(), "out/usage.js", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["code"] == 1205 and out["status"] == 422 and out["CATALOGUE_REVISION"] == 7
    assert [e["name"] for e in out["both"]] == ["ServiceUnavailable", "BadState"]
    names = constant_names(snap)
    assert len(out["ERRORS"]) == 202
    for e in snap.entries:
        assert out["ERRORS"][names[id(e)]] == {
            "constant": names[id(e)],
            **{f: getattr(e, f) for f in ("code", "name", "status", "description")},
            **{f: getattr(e, f) for f in ("service", "namespace", "slug", "origin")},
        }


def test_typescript_module_keeps_any_text_exactly(tmp_path):
    snap = small_snapshot([section("Alpha", (100, "Nasty", 400, NASTY))], source=NASTY)
    (tmp_path / "nasty.ts").write_bytes(render_export(snap, "typescript"))
    (tmp_path / "use.ts").write_text(
        'import { ERRORS, CATALOGUE_SOURCE } from "./nasty";\n'
        "console.log(JSON.stringify([ERRORS.ALPHA_NASTY.description, CATALOGUE_SOURCE]));\n"
    )
    built = run(
        tsc(),
        "--strict",
        "--module",
        "commonjs",
        "--outDir",
        "out",
        "nasty.ts",
        "use.ts",
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    ran = run(node(), "out/use.js", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == [NASTY, NASTY]
