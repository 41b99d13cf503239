"""The decoder over made-up bodies in every shape: what it reads, matches and advises."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import msgspec
import pytest

from app.catalogue.build import build_snapshot
from app.catalogue.decode import SHAPES, DecodeReport, InputTooLarge, decode, decode_stream
from app.catalogue.extract import MAX_INPUT_BYTES, MAX_REPR_CHARS, MAX_REPR_DEPTH
from app.catalogue.model import CatalogueVersion
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "decode.md"

# (body, shape, extracted fields expected (a subset), matched slugs, confidence, action, retryable)
CASES = [
    # --- the page's envelope
    (
        '{"error":{"message":"Connected account error","code":1803,"status":400,'
        '"request_id":"req_a1"}}',
        "page_envelope",
        {"code": 1803, "status": 400, "request_id": "req_a1", "slug": None},
        ["ActionExecute_ConnectedAccountError", "Project_ResourceNotFound"],
        "code",
        "fix_request",
        False,
    ),
    (
        '{"error":{"message":"Service down","code":10503,"status":503,"suggested_fix":"Wait"}}',
        "page_envelope",
        {"code": 10503, "status": 503, "suggested_fix": "Wait", "message": "Service down"},
        ["HTTP_ServiceUnavailable"],  # 10503 is listed twice; the status picks one
        "code",
        "retry",
        True,
    ),
    # --- the Platform API's envelope (with slug)
    (
        '{"error":{"message":"Tool not found","code":2401,"slug":"Tool_ToolNotFound",'
        '"status":404,"request_id":"req_b2"}}',
        "platform_envelope",
        {"code": 2401, "slug": "Tool_ToolNotFound", "status": 404},
        ["Tool_ToolNotFound"],
        "exact",
        "not_found",
        False,
    ),
    (
        '{"error":{"message":"m","code":1803,"slug":"project_resourcenotfound","status":400}}',
        "platform_envelope",
        {"code": 1803, "slug": "project_resourcenotfound"},
        ["Project_ResourceNotFound"],  # the slug picks one of the two 1803s
        "exact",
        "fix_request",
        False,
    ),
    # --- error_code instead of code, no status
    (
        '{"error":{"error_code":1205,"message":"Authentication refresh required"}}',
        "error_code_variant",
        {"code": 1205, "status": None},
        ["TriggerInstance_AuthRefreshRequired"],
        "code",
        "fix_request",
        False,
    ),
    (
        '{"error":{"error_code":10429,"message":"slow down","request_id":"req_c3"}}',
        "error_code_variant",
        {"code": 10429, "request_id": "req_c3"},
        ["HTTP_TooManyRequests"],
        "code",
        "retry_later",
        True,
    ),
    # --- code as a string
    (
        '{"error":{"code":"403","message":"Forbidden","status":403}}',
        "string_code",
        {"code": 403, "status": 403},
        [],  # no entry is numbered 403: the status decides
        "none",
        "permission",
        False,
    ),
    (
        '{"error":{"code":"2401","message":"Tool not found","status":"404"}}',
        "string_code",
        {"code": 2401, "status": 404},
        ["Tool_ToolNotFound"],
        "code",
        "not_found",
        False,
    ),
    # --- error as a plain string
    (
        '{"error": "Invalid consumer API key"}',
        "plain_string_error",
        {"message": "Invalid consumer API key", "code": None, "slug": None},
        [],
        "none",
        None,
        None,
    ),
    (
        '{"error": "Rate limited", "status": 429}',
        "plain_string_error",
        {"message": "Rate limited", "status": 429},
        [],
        "none",
        "retry_later",
        True,
    ),
    (
        '{"error": "HTTP_TooManyRequests: slow down"}',
        "plain_string_error",
        {"slug": "HTTP_TooManyRequests"},
        ["HTTP_TooManyRequests"],
        "text",  # read from the string's words, not from a keyed field
        "retry_later",
        True,
    ),
    # --- no error wrapper (an edge rate limiter)
    (
        '{"code": 10429, "slug": "HTTP_TooManyRequests"}',
        "unwrapped",
        {"code": 10429, "slug": "HTTP_TooManyRequests", "status": None},
        ["HTTP_TooManyRequests"],
        "exact",
        "retry_later",
        True,
    ),
    (
        '{"code": 1201, "message": "Trigger service error"}',
        "unwrapped",
        {"code": 1201, "message": "Trigger service error"},
        ["TriggerInstance_InternalServerError"],
        "code",
        "retry",
        True,
    ),
    # --- a Python dict as printed
    (
        "{'error': {'code': 1201, 'message': 'x', 'request_id': None}}",
        "python_repr",
        {"code": 1201, "message": "x", "request_id": None},
        ["TriggerInstance_InternalServerError"],
        "code",
        "retry",
        True,
    ),
    (
        "{'error': {'code': 2401, 'slug': 'Tool_ToolNotFound', 'status': 404, 'retry': False}}",
        "python_repr",
        {"code": 2401, "slug": "Tool_ToolNotFound", "status": 404},
        ["Tool_ToolNotFound"],
        "exact",
        "not_found",
        False,
    ),
    # --- JSON inside a gateway's text
    (
        '502 Bad Gateway: {"error": {"message": "Upstream failed", "code": 10502}}',
        "embedded_json",
        {"code": 10502, "status": 502, "message": "Upstream failed"},
        ["HTTP_Unreachable"],
        "code",
        "retry",
        True,
    ),
    (
        'Error code: 404 - {"error": {"message": "Tool not found", "code": 2401, '
        '"slug": "Tool_ToolNotFound"}}',
        "embedded_json",
        {"code": 2401, "status": 404, "slug": "Tool_ToolNotFound"},
        ["Tool_ToolNotFound"],
        "exact",
        "not_found",
        False,
    ),
    # --- a Python dict inside text
    (
        "Error code: 429 - {'error': {'message': 'Too many', 'code': 10429, 'status': 429}}",
        "embedded_python_repr",
        {"code": 10429, "status": 429},
        ["HTTP_TooManyRequests"],
        "code",
        "retry_later",
        True,
    ),
    (
        "ComposioError: {'code': 1205, 'message': 'refresh', 'request_id': 'req_x'}",
        "embedded_python_repr",
        {"code": 1205, "request_id": "req_x"},
        ["TriggerInstance_AuthRefreshRequired"],
        "code",
        "fix_request",
        False,
    ),
    # --- cut short (a truncated log line)
    (
        '{"error": {"message": "Tool not found", "code": 2401, "slug": "Tool_ToolNotFound", '
        '"status": 404, "request_id": "req_1", "sugg',
        "truncated",
        {"code": 2401, "slug": "Tool_ToolNotFound", "status": 404, "request_id": "req_1"},
        ["Tool_ToolNotFound"],
        "exact",
        "not_found",
        False,
    ),
    (
        '2026-11-25T10:00:00Z ERROR upstream said {"error": {"code": 10429, "message": "Rate lim',
        "truncated",
        {"code": 10429, "message": "Rate lim"},
        ["HTTP_TooManyRequests"],
        "code",
        "retry_later",
        True,
    ),
    # --- balanced but neither JSON nor a Python literal
    (
        "{'error': {'code': 1201, 'at': datetime.datetime(2026, 1, 1)}}",
        "unparseable_object",
        {"code": 1201},
        ["TriggerInstance_InternalServerError"],
        "code",
        "retry",
        True,
    ),
    (
        '{"code": 2401, "slug": "Tool_ToolNotFound", "when": new Date()}',
        "unparseable_object",
        {"code": 2401, "slug": "Tool_ToolNotFound"},
        ["Tool_ToolNotFound"],
        "exact",
        "not_found",
        False,
    ),
    # --- free text: exception strings, status lines
    (
        "ToolRouterV2_NoActiveConnection: no active connection",
        "text",
        {"slug": "ToolRouterV2_NoActiveConnection", "message": "no active connection"},
        [],  # the live platform's slug is not in the page's catalogue
        "none",
        None,
        None,
    ),
    (
        "Tool failed with code 2401 (Tool not found)",
        "text",
        {"code": 2401, "status": None},
        ["Tool_ToolNotFound"],
        "text",
        "not_found",
        False,
    ),
    (
        "HTTP_TooManyRequests: slow down",
        "text",
        {"slug": "HTTP_TooManyRequests", "message": "slow down"},
        ["HTTP_TooManyRequests"],
        "text",
        "retry_later",
        True,
    ),
    (
        "503 Service Unavailable",
        "text",
        {"status": 503, "code": None},
        [],
        "none",
        "retry",
        True,
    ),
    # --- other JSON objects, empty bodies
    (
        '{"detail": "Not authenticated"}',
        "unrecognised_object",
        {"message": "Not authenticated"},
        [],
        "none",
        None,
        None,
    ),
    ('{"foo": 1}', "unrecognised_object", {"code": None}, [], "none", None, None),
    ("", "empty", {"message": None}, [], "none", None, None),
    ("  \n\t ", "empty", {"code": None}, [], "none", None, None),
]


def slugs(entries) -> list[str]:
    return [e.slug for e in entries]


@pytest.mark.parametrize(
    ("body", "shape", "fields", "matched", "confidence", "action", "retryable"),
    CASES,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_decode_table(body, shape, fields, matched, confidence, action, retryable):
    for raw in (body, body.encode()):
        report = decode(SNAP, raw)
        assert report.shape == shape
        extracted = msgspec.structs.asdict(report.extracted)
        assert {k: extracted[k] for k in fields} == fields
        assert slugs(report.matches) == matched
        assert report.confidence == confidence
        assert (report.action, report.retryable) == (action, retryable)


def test_every_shape_is_covered_by_at_least_two_cases_and_documented():
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case[1]] = counts.get(case[1], 0) + 1
    assert set(counts) == set(SHAPES)
    assert min(counts.values()) >= 2
    text = DOCS.read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE)) >= set(SHAPES)


def test_code_and_slug_naming_different_entries_is_a_disagreement():
    body = '{"error":{"message":"m","code":1803,"slug":"Tool_ToolNotFound","status":404}}'
    report = decode(SNAP, body)
    assert report.confidence == "slug"
    assert slugs(report.matches) == ["Tool_ToolNotFound"]
    assert slugs(report.by_code) == [
        "ActionExecute_ConnectedAccountError",
        "Project_ResourceNotFound",
    ]
    assert slugs(report.by_slug) == ["Tool_ToolNotFound"]
    assert report.disagreement is not None
    assert "1803" in report.disagreement and "Tool_ToolNotFound" in report.disagreement
    assert report.action == "not_found"


def test_agreement_reports_no_disagreement():
    report = decode(SNAP, '{"code": 10429, "slug": "HTTP_TooManyRequests"}')
    assert report.disagreement is None
    assert slugs(report.by_code) == slugs(report.by_slug) == ["HTTP_TooManyRequests"]


def test_a_slug_with_an_undocumented_code_disagrees_too():
    report = decode(SNAP, '{"code": 99999, "slug": "Tool_ToolNotFound"}')
    assert report.confidence == "slug" and "not documented" in report.disagreement


def test_an_unknown_slug_with_a_known_code_matches_by_code_and_says_so():
    report = decode(SNAP, '{"error": {"code": 2401, "slug": "ToolRouterV2_ToolMissing"}}')
    assert report.confidence == "code" and slugs(report.matches) == ["Tool_ToolNotFound"]
    assert any("ToolRouterV2_ToolMissing is not in the catalogue" in n for n in report.notes)


@pytest.mark.parametrize(
    "text",
    [
        "request failed: HTTP 2401",
        "status 2401",
        "status_code=2401",
        "2401 Tool not found",
        '{"error": {"code": 2401}}',
        "Error code: 2401 - tool",
        "upstream 12401 Thing",
        "HTTP/1.1 2401 Tool",
    ],
)
def test_a_status_is_never_read_inside_a_longer_number(text):
    report = decode(SNAP, text)
    assert report.extracted.status is None
    assert report.action != "reauthenticate"


def test_error_code_before_a_dash_is_the_http_status_not_a_catalogue_code():
    # 502 is also SecurityProvider's DecryptionError: the "Error code: N -" form is a status.
    report = decode(SNAP, "Error code: 502 - upstream failed")
    assert (report.extracted.status, report.extracted.code) == (502, None)
    assert report.matches == () and report.action == "retry"


def test_a_status_line_inside_text_gives_the_status():
    report = decode(SNAP, "upstream answered HTTP/1.1 502 Bad Gateway")
    assert (report.extracted.status, report.action, report.guidance_from) == (
        502,
        "retry",
        "status",
    )


def test_a_status_word_is_not_a_code():
    report = decode(SNAP, "request failed, status code 404")
    assert (report.extracted.status, report.extracted.code) == (404, None)
    assert report.action == "not_found" and report.guidance_from == "status"


def test_entries_disagreeing_on_guidance_without_a_status_give_no_action():
    report = decode(SNAP, '{"code": 10503}')  # ServiceUnavailable (503) and BadState (422)
    assert len(report.matches) == 2 and report.action is None and report.retryable is None
    assert any("different actions" in n for n in report.notes)


def test_a_status_that_contradicts_the_entry_is_noted():
    report = decode(SNAP, '{"error": {"code": 2401, "status": 500}}')
    assert slugs(report.matches) == ["Tool_ToolNotFound"] and report.action == "not_found"
    assert any("says status 500" in n for n in report.notes)


def test_a_json_string_and_a_json_array_are_read():
    as_string = decode(SNAP, json.dumps("HTTP_TooManyRequests: slow down"))
    assert as_string.shape == "text" and as_string.action == "retry_later"
    as_array = decode(SNAP, '[{"code": 10429, "slug": "HTTP_TooManyRequests"}, 1]')
    assert as_array.shape == "unwrapped" and as_array.confidence == "exact"


def test_python_literals_are_never_executed():
    # If this were evaluated, exit() would raise SystemExit and fail the test.
    report = decode(SNAP, "{'code': 1201, 'x': exit(), 'y': __import__('os').getcwd()}")
    assert report.shape == "unparseable_object" and report.extracted.code == 1201


def test_python_repr_is_parsed_only_under_the_caps():
    long_one = "{'code': 1201, 'pad': '" + "x" * MAX_REPR_CHARS + "'}"
    report = decode(SNAP, long_one)
    assert report.shape == "unparseable_object" and report.extracted.code == 1201
    deep = "{'code': 1201, 'n': " + "[" * MAX_REPR_DEPTH + "]" * MAX_REPR_DEPTH + "}"
    assert decode(SNAP, deep).shape == "unparseable_object"
    shallow = "{'code': 1201, 'n': " + "[" * 3 + "]" * 3 + "}"
    assert decode(SNAP, shallow).shape == "python_repr"


def test_input_over_the_limit_is_refused():
    assert decode(SNAP, b"x" * MAX_INPUT_BYTES).shape == "text"
    with pytest.raises(InputTooLarge) as caught:
        decode(SNAP, b"x" * (MAX_INPUT_BYTES + 1))
    assert caught.value.limit == MAX_INPUT_BYTES
    with pytest.raises(InputTooLarge):
        decode(SNAP, "{" * (1 << 20))


def _adversarial_lines() -> list[bytes]:
    """Inputs at the size cap built to hurt backtracking, quote tracking and literal parsing."""
    n = MAX_INPUT_BYTES
    chunks = [
        "{" * n,
        "}" * n,
        '{"a":' * (n // 5),
        "{'a': [" * (n // 7),
        '"code": ' * (n // 8),
        "code" + " " * (n - 5),
        "status" + "\t" * (n - 7),
        "Error code:" + " " * (n - 12),
        "A_" * (n // 2),
        "Ab" * (n // 2 - 1) + "_",
        "Abc_Def" * (n // 8),
        "\\" * n,
        '{"message": "' + "a\\" * (n // 2 - 8),
        "{'message': '" + "'" * (n - 14),
        "9" * n,
        "HTTP/1.1 " + "5" * (n - 10),
        "502 Bad Gateway: " + '{"error": {"code": ' * (n // 20),
        "x" * n,
    ]
    lines = [c.encode()[:n] for c in chunks]
    assert sum(len(line) for line in lines) >= 1 << 20  # 1 MiB in all
    return lines


def test_one_mebibyte_of_adversarial_text_completes():
    lines = _adversarial_lines()
    for line in lines:
        assert isinstance(decode(SNAP, line), DecodeReport)
    # The same megabyte through the log-pipeline reader: one report per line, in order.
    out = io.StringIO()
    assert decode_stream(SNAP, io.BytesIO(b"\n".join(lines) + b"\n"), out, lines=True) == 0
    reports = out.getvalue().splitlines()
    assert len(reports) == len(lines)
    assert all("shape" in json.loads(r) for r in reports)


def test_decode_stream_lines_keeps_alignment_for_an_oversized_line():
    source = b'{"code": 10429}\n' + b"x" * (MAX_INPUT_BYTES + 1) + b"\n\nToolRouterV2_X: y\n"
    out = io.StringIO()
    assert decode_stream(SNAP, io.BytesIO(source), out, lines=True) == 0
    reports = [json.loads(r) for r in out.getvalue().splitlines()]
    assert [r.get("shape") for r in reports] == ["unwrapped", None, "empty", "text"]
    assert reports[1]["line"] == 2 and str(MAX_INPUT_BYTES) in reports[1]["error"]


def test_decode_stream_one_body():
    out = io.StringIO()
    body = b"{'error': {'code': 1201,\n 'message': 'x'}}"
    assert decode_stream(SNAP, io.BytesIO(body), out) == 0
    report = json.loads(out.getvalue())
    assert report["shape"] == "python_repr" and report["action"] == "retry"
    too_big = io.BytesIO(b"x" * (MAX_INPUT_BYTES + 1))
    assert decode_stream(SNAP, too_big, io.StringIO()) == 1


def test_errcat_decode_reads_standard_input(monkeypatch, capsys):
    from app.cli import main
    from app.seeds import DEFAULT_SEED_PATH

    lines = b'{"code": 10429, "slug": "HTTP_TooManyRequests"}\nToolRouterV2_X: y\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines)))
    assert main(["decode", "--lines", "--file", str(DEFAULT_SEED_PATH)]) == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["shape"], r["confidence"], r["action"]) for r in reports] == [
        ("unwrapped", "exact", "retry_later"),
        ("text", "none", None),
    ]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"503 Service Unavailable")))
    assert main(["decode", "--file", str(DEFAULT_SEED_PATH)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["extracted"]["status"], report["action"]) == (503, "retry")
