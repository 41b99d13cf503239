"""The envelope rules, table-driven over the real seed: no HTTP, no database."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import pytest

from app.catalogue.build import build_snapshot
from app.catalogue.envelope import (
    MAX_ITEM_FINDINGS,
    RULES,
    BodyError,
    decode_json,
    describe,
    field_rules,
    line_column,
    pointer,
    quote,
    validate_envelope,
)
from app.catalogue.model import CatalogueVersion
from app.catalogue.query import http_error_identity
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "envelope-validation.md"

DROP = object()  # a field value meaning "leave the field out"

# A well-formed envelope as the platform sends it, satisfying both descriptions (strict).
FULL = {
    "message": "Authentication refresh required",
    "code": 1205,
    "slug": "TriggerInstance_AuthRefreshRequired",
    "status": 422,
    "request_id": "req_7d1c0a9e4b2f",
}


def env(base: dict[str, Any] = FULL, **changes: Any) -> dict[str, Any]:
    """``{"error": base}`` with fields changed (or dropped with DROP)."""
    error = {**base, **changes}
    return {"error": {k: v for k, v in error.items() if v is not DROP}}


# As the catalogue page describes it: no slug (seen live from older services).
PAGE_STYLE = {
    "message": "Tool not found",
    "code": 1800,
    "status": 404,
    "request_id": "req_0f3b6e21",
    "suggested_fix": "Check the tool's name with GET /tools",
    "errors": [],
}
# As the Platform API's OpenAPI describes it: slug, no request_id.
OPENAPI_STYLE = {
    "message": "No route matches GET /api/v3/toolz",
    "code": 10404,
    "slug": "HTTP_URLNotFound",
    "status": 404,
}


class Case(NamedTuple):
    id: str
    body: Any
    errors: Sequence[tuple[str, str]]  # (path, rule)
    warnings: Sequence[tuple[str, str]] = ()
    profile: str = "lenient"
    http_status: int | None = None
    matched: str | None = None  # the matched entry's slug
    says: str = ""  # a phrase the findings' messages must contain


MISSING_BOTH = [("/error/slug", "shape.recommended"), ("/error/request_id", "shape.recommended")]

# A code sent twice: "a" and then 1205 (msgspec and the standard parser both keep the last).
TWICE = (
    b'{"error": {"message": "Authentication refresh required", "code": "a", "code": 1205, '
    b'"slug": "TriggerInstance_AuthRefreshRequired", "status": 422, "request_id": "req_1"}}'
)

CASES = [
    Case(
        "a member named twice, lenient: a warning",
        decode_json(TWICE),
        [],
        [("/error/code", "shape.duplicate_member")],
        matched=FULL["slug"],
        says="appears more than once",
    ),
    Case(
        "a member named twice, strict: an error",
        decode_json(TWICE),
        [("/error/code", "shape.duplicate_member")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "error named twice at the top level",
        decode_json(b'{"error": 1, "error": {"message": "m", "code": 1205, "status": 422}}'),
        [],
        [("/error", "shape.duplicate_member"), *MISSING_BOTH],
        matched=FULL["slug"],
    ),
    # --- well-formed envelopes: valid -----------------------------------------------------
    Case("full envelope, strict", env(), [], profile="strict", matched=FULL["slug"]),
    Case("full envelope, lenient", env(), [], matched=FULL["slug"]),
    Case(
        "full envelope with suggested_fix and errors",
        env(suggested_fix="Reconnect the account", errors=["token expired", "scope missing"]),
        [],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "page style (no slug), lenient: a warning; status tells 1800's two entries apart",
        {"error": PAGE_STYLE},
        [],
        [("/error/slug", "shape.recommended")],
        matched="ActionExecute_ToolNotFound",
        says="Platform API's Error schema requires it",
    ),
    Case(
        "page style (no slug), strict: slug is required",
        {"error": PAGE_STYLE},
        [("/error/slug", "shape.required")],
        profile="strict",
        matched="ActionExecute_ToolNotFound",
    ),
    Case(
        "OpenAPI style (no request_id), lenient: a warning",
        {"error": OPENAPI_STYLE},
        [],
        [("/error/request_id", "shape.recommended")],
        matched="HTTP_URLNotFound",
        says="the catalogue page requires it",
    ),
    Case(
        "OpenAPI style (no request_id), strict: request_id is required",
        {"error": OPENAPI_STYLE},
        [("/error/request_id", "shape.required")],
        profile="strict",
        matched="HTTP_URLNotFound",
    ),
    # --- a code listed twice: either entry may match, the report says which ---------------
    Case(
        "10503 with 503 matches ServiceUnavailable",
        env(code=10503, status=503, slug="HTTP_ServiceUnavailable", message="Unavailable"),
        [],
        profile="strict",
        matched="HTTP_ServiceUnavailable",
    ),
    Case(
        "10503 with 422 matches BadState",
        env(code=10503, status=422, slug="HTTP_BadState", message="Bad state"),
        [],
        profile="strict",
        matched="HTTP_BadState",
    ),
    Case(
        "10503 with 422 and no slug still tells which",
        env(code=10503, status=422, slug=DROP, request_id=DROP),
        [],
        MISSING_BOTH,
        matched="HTTP_BadState",
    ),
    Case(
        "10503 with 503 but BadState's slug: the slug is the intent, the status is wrong",
        env(code=10503, status=503, slug="HTTP_BadState"),
        [("/error/status", "catalogue.status_mismatch")],
        matched="HTTP_BadState",
        says="documented with status 422",
    ),
    Case(
        "1803 with 400 fits both sections' entries: ambiguous without slug",
        env(code=1803, status=400, slug=DROP),
        [],
        [("/error/slug", "shape.recommended"), ("/error/code", "catalogue.ambiguous")],
        says="ActionExecute_ConnectedAccountError (400), Project_ResourceNotFound (400)",
    ),
    Case(
        "1803 with a slug says which",
        env(code=1803, status=400, slug="Project_ResourceNotFound"),
        [],
        matched="Project_ResourceNotFound",
    ),
    Case(
        "1800 with 400 is Project's BadRequest",
        env(code=1800, status=400, slug="Project_BadRequest"),
        [],
        matched="Project_BadRequest",
    ),
    # --- codes the page does not list -----------------------------------------------------
    Case(
        "undocumented code inside a declared range: valid, with a warning naming the range",
        env(code=1810, status=400, slug="ActionExecute_SomethingNew"),
        [],
        [("/error/code", "catalogue.code_undocumented")],
        says="1800-1899 (ActionExecute)",
    ),
    Case(
        "code in no declared range: an error naming the nearest ranges",
        env(code=1450, status=400),
        [("/error/code", "catalogue.code_unknown")],
        says="1300-1399 (JWT), 1500-1599 (Stripe)",
    ),
    Case(
        "a Thermos code (1-6) in a platform envelope matches nothing",
        env(code=2, status=404, slug="Database_DbNotFoundError"),
        [("/error/code", "catalogue.code_unknown")],
        says="Thermos database code",
    ),
    Case("a negative code", env(code=-1), [("/error/code", "catalogue.code_unknown")]),
    # --- status ---------------------------------------------------------------------------
    Case(
        "status disagrees with the catalogue",
        env(status=400),
        [("/error/status", "catalogue.status_mismatch")],
        matched=FULL["slug"],
        says="documented with status 422",
    ),
    Case(
        "status disagrees with both entries of a code listed twice, no slug",
        env(code=10503, status=500, slug=DROP),
        [("/error/status", "catalogue.status_mismatch")],
        [("/error/slug", "shape.recommended")],
        says="documented with status 503 or 422",
    ),
    # (the slug still designates the entry when the status cannot be read)
    Case(
        "status 999",
        env(status=999),
        [("/error/status", "shape.status_range")],
        matched=FULL["slug"],
        says="HTTP status (100-599)",
    ),
    Case(
        "status 99", env(status=99), [("/error/status", "shape.status_range")], matched=FULL["slug"]
    ),
    Case(
        "status true: a boolean is not an integer",
        env(status=True),
        [("/error/status", "shape.type")],
        matched=FULL["slug"],
        says="the boolean true",
    ),
    Case(
        "status 422.0",
        env(status=422.0),
        [("/error/status", "shape.type")],
        matched=FULL["slug"],
        says="send 422",
    ),
    Case(
        "status as a string",
        env(status="422"),
        [("/error/status", "shape.type")],
        matched=FULL["slug"],
    ),
    Case(
        "status unreadable and no slug: a code's only entry still matches",
        env(status="422", slug=DROP),
        [("/error/status", "shape.type")],
        [("/error/slug", "shape.recommended")],
        matched=FULL["slug"],
    ),
    Case(
        "status unreadable and no slug on a code listed twice: ambiguous",
        env(code=10503, status="503", slug=DROP),
        [("/error/status", "shape.type")],
        [("/error/slug", "shape.recommended"), ("/error/code", "catalogue.ambiguous")],
    ),
    # --- http_status ----------------------------------------------------------------------
    Case(
        "status differs from the status line",
        env(),
        [("/error/status", "http.status_mismatch")],
        http_status=400,
        matched=FULL["slug"],
        says="HTTP status 400",
    ),
    Case("status equals the status line", env(), [], http_status=422, matched=FULL["slug"]),
    Case(
        "status line checked even for an undocumented code",
        env(code=1810),
        [("/error/status", "http.status_mismatch")],
        [("/error/code", "catalogue.code_undocumented")],
        http_status=500,
    ),
    # --- code -----------------------------------------------------------------------------
    Case(
        'code "1205" (a string)',
        env(code="1205"),
        [("/error/code", "shape.type")],
        says="send it as the number 1205",
    ),
    Case("code true", env(code=True), [("/error/code", "shape.type")], says="boolean"),
    Case("code false", env(code=False), [("/error/code", "shape.type")]),
    Case("code 1205.5", env(code=1205.5), [("/error/code", "shape.type")]),
    Case("code null (required)", env(code=None), [("/error/code", "shape.type")]),
    Case(
        "code a Thermos error type",
        env(code="json_decode"),
        [("/error/code", "shape.type")],
        says="Thermos error type",
    ),
    Case("code an object", env(code={"value": 1205}), [("/error/code", "shape.type")]),
    # --- slug -----------------------------------------------------------------------------
    Case(
        "slug of another name",
        env(slug="TriggerInstance_Wrong"),
        [("/error/slug", "catalogue.slug_mismatch")],
        matched=FULL["slug"],
        says='expected "TriggerInstance_AuthRefreshRequired"',
    ),
    Case(
        "slug differing only in case",
        env(slug="triggerinstance_authrefreshrequired"),
        [("/error/slug", "catalogue.slug_mismatch")],
        matched=FULL["slug"],
        says='differs only in case from the expected "TriggerInstance_AuthRefreshRequired"',
    ),
    Case(
        "slug of another code",
        env(slug="HTTP_BadRequest"),
        [("/error/slug", "catalogue.slug_mismatch")],
        matched=FULL["slug"],
        says="slug of code 10400",
    ),
    Case(
        "slug and status both wrong",
        env(slug="Nope_Nope", status=500),
        [
            ("/error/status", "catalogue.status_mismatch"),
            ("/error/slug", "catalogue.slug_mismatch"),
        ],
    ),
    Case("slug empty", env(slug=""), [("/error/slug", "shape.empty")], matched=FULL["slug"]),
    Case("slug a number", env(slug=1205), [("/error/slug", "shape.type")], matched=FULL["slug"]),
    # --- message, request_id ----------------------------------------------------------------
    Case(
        "message empty", env(message=""), [("/error/message", "shape.empty")], matched=FULL["slug"]
    ),
    Case(
        "message blank",
        env(message=" \t"),
        [("/error/message", "shape.empty")],
        matched=FULL["slug"],
    ),
    Case(
        "message a number",
        env(message=42),
        [("/error/message", "shape.type")],
        matched=FULL["slug"],
    ),
    Case(
        "request_id empty",
        env(request_id=""),
        [("/error/request_id", "shape.empty")],
        matched=FULL["slug"],
    ),
    Case(
        "request_id null, lenient: read as absent, a warning",
        env(request_id=None),
        [],
        [("/error/request_id", "shape.null_optional")],
        matched=FULL["slug"],
    ),
    Case(
        "request_id null, strict: required, so a type error",
        env(request_id=None),
        [("/error/request_id", "shape.type")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "slug and request_id missing, lenient: warnings",
        env(slug=DROP, request_id=DROP),
        [],
        MISSING_BOTH,
        matched=FULL["slug"],
    ),
    Case(
        "slug and request_id missing, strict: errors",
        env(slug=DROP, request_id=DROP),
        [("/error/slug", "shape.required"), ("/error/request_id", "shape.required")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "message, code and status missing: required in both profiles (lenient)",
        env(message=DROP, code=DROP, status=DROP),
        [
            ("/error/message", "shape.required"),
            ("/error/code", "shape.required"),
            ("/error/status", "shape.required"),
        ],
        says="both descriptions of the envelope require it",
    ),
    Case(
        "message, code and status missing: required in both profiles (strict)",
        env(message=DROP, code=DROP, status=DROP),
        [
            ("/error/message", "shape.required"),
            ("/error/code", "shape.required"),
            ("/error/status", "shape.required"),
        ],
        profile="strict",
    ),
    # --- suggested_fix ----------------------------------------------------------------------
    Case(
        "suggested_fix empty: a warning (lenient)",
        env(suggested_fix=""),
        [],
        [("/error/suggested_fix", "shape.blank_suggested_fix")],
        matched=FULL["slug"],
    ),
    Case(
        "suggested_fix blank: a warning (strict too)",
        env(suggested_fix="   "),
        [],
        [("/error/suggested_fix", "shape.blank_suggested_fix")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "suggested_fix null, lenient",
        env(suggested_fix=None),
        [],
        [("/error/suggested_fix", "shape.null_optional")],
        matched=FULL["slug"],
    ),
    Case(
        "suggested_fix null, strict",
        env(suggested_fix=None),
        [("/error/suggested_fix", "shape.null_optional")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "suggested_fix a list",
        env(suggested_fix=["retry"]),
        [("/error/suggested_fix", "shape.type")],
        matched=FULL["slug"],
    ),
    # --- errors -----------------------------------------------------------------------------
    Case(
        "errors: each bad element reported with its index",
        env(errors=["field x is required", 7, None, {"field": "y"}, ["z"], True]),
        [
            ("/error/errors/1", "shape.type"),
            ("/error/errors/2", "shape.type"),
            ("/error/errors/3", "shape.type"),
            ("/error/errors/4", "shape.type"),
            ("/error/errors/5", "shape.type"),
        ],
        matched=FULL["slug"],
    ),
    Case(
        "errors a string",
        env(errors="field x is required"),
        [("/error/errors", "shape.type")],
        matched=FULL["slug"],
    ),
    Case(
        "errors an object",
        env(errors={"x": "required"}),
        [("/error/errors", "shape.type")],
        matched=FULL["slug"],
    ),
    Case("errors empty: fine", env(errors=[]), [], matched=FULL["slug"]),
    # --- unknown members ----------------------------------------------------------------------
    Case(
        "unknown members, lenient: warnings",
        {"error": {**FULL, "details": {"retry_after": 3}}, "meta": {"trace": "abc"}},
        [],
        [("/meta", "shape.unknown_field"), ("/error/details", "shape.unknown_field")],
        matched=FULL["slug"],
    ),
    Case(
        "unknown members, strict: errors",
        {"error": {**FULL, "details": {"retry_after": 3}}, "meta": {"trace": "abc"}},
        [("/meta", "shape.unknown_field"), ("/error/details", "shape.unknown_field")],
        profile="strict",
        matched=FULL["slug"],
    ),
    Case(
        "unknown member names are escaped in the pointer (RFC 6901)",
        env(**{"a/b~c": 1}),
        [("/error/a~1b~0c", "shape.unknown_field")],
        profile="strict",
        matched=FULL["slug"],
    ),
    # --- the top level --------------------------------------------------------------------------
    Case("body an array", [], [("", "shape.type")]),
    Case("body a string", "Internal Server Error", [("", "shape.type")]),
    Case("body null", None, [("", "shape.type")]),
    Case("body a number", 500, [("", "shape.type")]),
    Case("body an empty object", {}, [("/error", "shape.required")]),
    Case(
        "a flat envelope (no `error` wrapper)",
        dict(FULL),
        [("/error", "shape.required")],
        [(f"/{k}", "shape.unknown_field") for k in FULL],
    ),
    Case("error a string", {"error": "boom"}, [("/error", "shape.type")]),
    Case("error null", {"error": None}, [("/error", "shape.type")]),
    Case("error an array", {"error": [FULL]}, [("/error", "shape.type")]),
    # --- several problems at once: all reported -------------------------------------------------
    Case(
        "several problems at once",
        {
            "error": {
                "message": "",
                "code": "1205",
                "slug": 5,
                "status": 1000,
                "suggested_fix": "",
                "errors": ["ok", 2],
                "stack": "at x.js:1",
            },
            "ok": False,
        },
        [
            ("/error/message", "shape.empty"),
            ("/error/code", "shape.type"),
            ("/error/slug", "shape.type"),
            ("/error/status", "shape.status_range"),
            ("/error/errors/1", "shape.type"),
            ("/error/status", "http.status_mismatch"),
        ],
        [
            ("/ok", "shape.unknown_field"),
            ("/error/stack", "shape.unknown_field"),
            ("/error/suggested_fix", "shape.blank_suggested_fix"),
            ("/error/request_id", "shape.recommended"),
        ],
        http_status=500,
    ),
    Case(
        "several catalogue problems at once",
        env(code=10503, status=404, slug="HTTP_Unavailable", extra=1),
        [
            ("/error/status", "catalogue.status_mismatch"),
            ("/error/slug", "catalogue.slug_mismatch"),
            ("/error/status", "http.status_mismatch"),
            ("/error/extra", "shape.unknown_field"),
        ],
        profile="strict",
        http_status=503,
    ),
]


def pairs(findings) -> list[tuple[str, str]]:
    return sorted((f.path, f.rule) for f in findings)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rules(case: Case) -> None:
    report = validate_envelope(SNAP, case.body, profile=case.profile, http_status=case.http_status)
    assert pairs(report.errors) == sorted(case.errors)
    assert pairs(report.warnings) == sorted(case.warnings)
    assert report.valid is (not case.errors)
    assert (report.matched.slug if report.matched else None) == case.matched
    if report.matched is not None:
        assert report.matched in report.entries
    if case.says:
        assert any(case.says in f.message for f in (*report.errors, *report.warnings))
    for finding in (*report.errors, *report.warnings):
        assert finding.rule in RULES
        assert finding.message


def test_every_rule_is_exercised_in_both_profiles() -> None:
    for profile in ("lenient", "strict"):
        seen = set()
        for case in CASES:
            report = validate_envelope(
                SNAP, case.body, profile=profile, http_status=case.http_status
            )
            seen |= {f.rule for f in (*report.errors, *report.warnings)}
        expected = set(RULES) - ({"shape.recommended"} if profile == "strict" else set())
        assert seen == expected, profile


def test_strict_never_warns_about_missing_fields_it_requires() -> None:
    report = validate_envelope(SNAP, env(slug=DROP, request_id=DROP), profile="strict")
    assert not report.warnings


def test_entries_are_the_codes_platform_entries() -> None:
    report = validate_envelope(SNAP, env(code=10503, status=422, slug="HTTP_BadState"))
    assert [(e.slug, e.status) for e in report.entries] == [
        ("HTTP_ServiceUnavailable", 503),
        ("HTTP_BadState", 422),
    ]
    assert report.matched is not None and report.matched.name == "BadState"


def test_the_profiles_come_from_the_two_descriptions() -> None:
    rules = {r.name: r for r in field_rules(SNAP.head.envelope)}
    assert [n for n, r in rules.items() if r.required("lenient")] == ["message", "code", "status"]
    assert [n for n, r in rules.items() if r.required("strict")] == [
        "message",
        "code",
        "slug",
        "status",
        "request_id",
    ]
    assert set(rules) == {
        "message",
        "code",
        "slug",
        "status",
        "request_id",
        "suggested_fix",
        "errors",
    }


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 503])
@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_errcats_own_envelopes_pass_errcats_validator(status: int, profile: str) -> None:
    # The same identity app.api.errors uses for every error it answers with.
    code, slug = http_error_identity(SNAP, status)
    body = env(
        message="Something went wrong",
        code=code,
        slug=slug,
        status=status,
        request_id="req_3f2a9c1e5b7d4a60c2e8f1b3",
        suggested_fix="Retry later",
        errors=[],
    )
    report = validate_envelope(SNAP, body, profile=profile, http_status=status)
    assert report.valid, report.errors
    assert {f.rule for f in report.warnings} <= {"catalogue.code_undocumented"}


def test_many_bad_items_are_capped_with_a_summary() -> None:
    bad = [0] * (MAX_ITEM_FINDINGS + 5)
    extra = {f"x{i}": i for i in range(MAX_ITEM_FINDINGS + 3)}
    report = validate_envelope(SNAP, env(errors=bad, **extra), profile="strict")
    on_errors = [f for f in report.errors if f.path.startswith("/error/errors")]
    assert len(on_errors) == MAX_ITEM_FINDINGS + 1
    assert on_errors[-1].path == "/error/errors"
    assert "5 more" in on_errors[-1].message
    unknown = [f for f in report.errors if f.rule == "shape.unknown_field"]
    assert len(unknown) == MAX_ITEM_FINDINGS + 1
    assert unknown[-1].path == "/error" and "3 more" in unknown[-1].message


def test_user_values_in_messages_are_truncated_and_escaped() -> None:
    nasty = '</script><script>alert("x")</script>' + "A" * 500
    report = validate_envelope(SNAP, env(code=nasty, **{nasty: 1}))
    messages = [f.message for f in (*report.errors, *report.warnings)]
    assert len(messages) == 2
    for message in messages:
        assert '"</script><script>alert(\\"x\\")' in message  # JSON-escaped quotes
        assert "A" * 40 not in message  # cut at 60 characters
        assert "…" in message
    # The pointer keeps the exact member name: it must identify it.
    assert any(f.path == pointer("error", nasty) for f in report.warnings)


@pytest.mark.parametrize(
    "value",
    [
        {"error": {"code": 10**40, "status": 10**40, "message": "x"}},
        {"error": {"code": -(10**30), "status": -1, "message": "x"}},
        {"error": {"errors": [[[[[[[[[[]]]]]]]]]]}},
        {"error": {"": None, "~": [], "/": {}}},
        {"": {"error": {}}},
        {"error": {"message": "\u0000\ud7ff\U0001f600", "code": 1205, "status": 422}},
        [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]],
        1.5e308,
        "",
        True,
    ],
)
def test_any_json_value_gets_a_report(value: Any) -> None:
    for profile in ("lenient", "strict"):
        report = validate_envelope(SNAP, value, profile=profile, http_status=404)
        msgspec.json.encode(report)  # and the report itself always encodes


# --- decoding -----------------------------------------------------------------------------------


def body_error(raw: bytes) -> BodyError:
    with pytest.raises(BodyError) as caught:
        decode_json(raw)
    return caught.value


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        # msgspec's offset is at or just after the problem; line and column follow it exactly.
        (b'{"error": {"code": 12,}}', "line 1, column 23 (byte 22)"),
        (b'{\n  "error": {\n    "code": 12,\n  }\n}', "line 4, column 3 (byte 33)"),
        (b'{"error": {"message": "caf\xc3\xa9", x}}', "line 1, column 31 (byte 31)"),
        (b'{"error": 1}\n\n  x', "line 3, column 4 (byte 17)"),
        (b"\xef\xbb\xbf{}", "line 1, column 1 (byte 0)"),
        (b'{"error": {"message": "abc', "line 1, column 27 (byte 26)"),  # ends early
        (b'{"a": "\xff"}', "line 1, column 8 (byte 7)"),  # not UTF-8
        (b"Internal Server Error", "line 1, column 1 (byte 0)"),
        (b"<html><body>502 Bad Gateway</body></html>", "line 1, column 1 (byte 0)"),
    ],
)
def test_syntax_errors_say_where(raw: bytes, where: str) -> None:
    exc = body_error(raw)
    assert where in exc.message
    assert exc.errors and where in exc.errors[0]
    assert exc.suggested_fix


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n\t"])
def test_empty_bodies(raw: bytes) -> None:
    assert body_error(raw).message == "The body is empty"


def test_deep_nesting_is_refused_at_once() -> None:
    started = time.perf_counter()
    exc = body_error(b"[" * 100_000 + b"]" * 100_000)
    assert "nested too deeply" in exc.message
    assert time.perf_counter() - started < 1.0


def test_numbers_out_of_range_are_refused() -> None:
    assert "cannot be read" in body_error(b'{"error": {"status": 1e999}}').message


def test_line_column_counts_characters() -> None:
    raw = "é\nabé€x".encode()
    assert line_column(raw, raw.index(b"x")) == (2, 5)
    assert line_column(raw, 0) == (1, 1)
    assert line_column(raw, 10_000) == (2, 6)  # clamped to the end


# --- helpers and documentation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (("error", "code"), "/error/code"),
        (("error", "errors", 2), "/error/errors/2"),
        (("a/b",), "/a~1b"),
        (("m~n",), "/m~0n"),
        (("~1",), "/~01"),  # ~ first, so a literal "~1" stays distinguishable from "/"
        (("",), "/"),
        ((), ""),
    ],
)
def test_pointer_escaping(tokens, expected) -> None:
    assert pointer(*tokens) == expected


def test_quote_and_describe() -> None:
    assert quote("a" * 61) == '"' + "a" * 60 + '"…'
    assert quote('say "hi"') == '"say \\"hi\\""'
    assert describe(True) == "the boolean true"
    assert describe(1) == "the integer 1"
    assert describe(10**100).endswith("…")
    assert describe([1, [2]]) == "an array of 2 elements"
    assert describe({"a": 1}) == "an object with 1 member"


def test_the_docs_list_exactly_the_rules() -> None:
    documented = set(re.findall(r"`((?:shape|catalogue|http)\.[a-z_]+)`", DOCS.read_text()))
    assert documented == set(RULES)


def test_nesting_too_deep_for_the_duplicate_check_is_refused_not_half_checked() -> None:
    # Deep enough for the standard parser's limit, within msgspec's: duplicates must not be
    # dropped silently for the rest of the body.
    twice = b'{"error": {"message": "a", "message": "b", "code": 10400, "status": 400}}'
    for depth in range(900, 1100, 10):
        raw = b"[" + twice + b"," + b"[" * depth + b"]" * depth + b"]"
        try:
            value = decode_json(raw)
        except BodyError as exc:
            assert "nested too deeply" in exc.message
            continue
        assert value[0]["error"].duplicates == ("message",), depth
