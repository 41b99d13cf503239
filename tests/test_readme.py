"""The README and docs/*.md render as meant (CommonMark): no code block swallows the text after
it, every section is a heading, every JSON example is JSON. And the README's examples are real:
every curl command in it is sent to errcat, and its answer compared with what the README claims
(the JSON shown, or the claim its comment makes: CLAIMS)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.readme_examples import CurlExample, curl_examples

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

README_SECTIONS = {
    "Quick start",
    "A tour of the API",
    "Checking error envelopes",
    "Integrity report and the change workflow",
    "Run with Docker",
    "Operations",
    "Database schema",
    "Configuration (environment)",
    "Command line",
    "Layout",
}
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BARE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")


def _tokens(text: str):
    return MarkdownIt("commonmark").parse(text)


def fence_problems(text: str) -> list[str]:
    """Fenced blocks that do not close on a bare fence line, or that hold a fence line."""
    lines = text.splitlines()
    problems = []
    for token in _tokens(text):
        if token.type != "fence":
            continue
        start, end = token.map
        closing = lines[end - 1] if end - 1 > start else ""
        if not _BARE_FENCE.match(closing) or not closing.strip().startswith(token.markup):
            problems.append(
                f"line {start + 1}: the block opened here is not closed by a bare fence"
            )
        for offset, line in enumerate(token.content.splitlines(), start=start + 2):
            if _FENCE_LINE.match(line):
                problems.append(f"line {offset}: a fence line inside a code block: {line!r}")
    return problems


def headings(text: str) -> list[str]:
    tokens = _tokens(text)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_code_block_closes_on_a_bare_fence(page):
    assert fence_problems(page.read_text()) == []


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_heading_line_renders_as_a_heading(page):
    text = page.read_text()
    written = [
        line.lstrip("#").strip() for line in text.splitlines() if re.match(r"^#{2,6} \S", line)
    ]
    assert written, "the page has sections"
    assert set(written) <= set(headings(text))


def test_the_readme_s_sections_are_all_headings():
    assert set(headings(README.read_text())) >= README_SECTIONS


def test_the_check_catches_a_closing_fence_with_text_after_it():
    broken = "# T\n\n```json\n{}\n``` and more text\n\n## Next\n\nprose\n\n```sh\nls\n```\n"
    assert fence_problems(broken)
    assert "Next" not in headings(broken)


def _json_blocks(page: Path) -> list[str]:
    return [
        t.content
        for t in _tokens(page.read_text())
        if t.type == "fence" and t.info.split()[:1] == ["json"]
    ]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_json_block_is_json(page):
    for block in _json_blocks(page):
        json.loads(block)


INGEST_TOKEN = "readme-token"


@pytest.fixture(scope="module")
def served(empty_db):
    """What `errcat serve` serves by default: the page and seeds/amendments.json; with
    INGEST_TOKEN set, as the README's observations examples need."""
    from litestar.testing import TestClient

    from app.main import create_app
    from app.seeds import DEFAULT_AMENDMENTS_PATH

    empty_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    settings = empty_db.settings(ingest_token=INGEST_TOKEN)
    with TestClient(app=create_app(settings)) as client:
        yield client


def test_the_readme_s_report_example_is_what_the_api_answers(served):
    text = README.read_text()
    assert "jq '{ok, total, counts, findings: .findings[8:9]}'" in text
    (shown,) = [json.loads(b) for b in _json_blocks(README) if '"findings"' in b]
    report = served.get("/catalogue/report").json()
    assert shown == {
        "ok": report["ok"],
        "total": report["total"],
        "counts": report["counts"],
        "findings": report["findings"][8:9],
    }
    assert f"{report['total']} findings: 14 error, 26 warning, 4 info" in text


# --- every curl example, sent -------------------------------------------------------------


def _entries_total(client) -> int:
    return client.get("/codes?limit=1").json()["total"]


def _items(answer) -> list[dict]:
    return answer.json()["items"]


def _all(items: list[dict], **expected: Any) -> bool:
    """``items`` is not empty and every one has the ``expected`` members."""
    return bool(items) and all({k: item[k] for k in expected} == expected for item in items)


def _observed(client, example, answer) -> bool:
    # Counts are written every OBSERVATIONS_FLUSH_SECONDS: read until the README's POST shows.
    for _ in range(200):
        if {1205, 4302} <= {item["code"] for item in _items(answer)}:
            break
        time.sleep(0.05)
        answer = client.get(example.target)
    keys = {"code", "slug", "status", "confidence", "count"}
    items = _items(answer)
    return {1205, 4302} <= {i["code"] for i in items} and all(keys <= set(i) for i in items)


def _not_modified(client, example, answer) -> bool:
    etag = answer.headers["etag"]  # W/"1-...": the README's placeholder stands for the hash
    again = client.get(example.target, headers={"If-None-Match": etag})
    placeholder = example.headers["If-None-Match"].removesuffix('..."')
    return etag.startswith(placeholder) and again.status_code == 304 and again.content == b""


def _csv_columns(client, example, answer) -> bool:
    listed = example.comment.split("one row per entry:", 1)[1].replace(" ", "").split(",")
    rows = list(csv.reader(io.StringIO(answer.text)))
    return rows[0] == listed and len(rows) - 1 == _entries_total(client)


def _python_constants(client, example, answer) -> bool:
    namespace: dict = {}
    exec(compile(answer.text, "errcat_codes.py", "exec"), namespace)
    return namespace["TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED"] == 1205


def _page_order(client, example, answer) -> bool:
    page = [s["name"] for s in client.get("/catalogue.json").json()["sections"] if s["entries"]]
    served = [x["name"] for x in _items(answer)]
    return [name for name in served if name in page] == page


def _text_search(client, example, answer) -> bool:
    fields = ("name", "description", "service", "slug")
    return bool(_items(answer)) and all(
        "magic link" in " ".join(x[f] for f in fields).lower() for x in _items(answer)
    )


def _catalogue_json(client, example, answer) -> bool:
    body = answer.json()
    return (
        {"revision", "content_hash"} <= set(body["version"])
        and {"envelope", "ranges", "sections", "error_types"} <= set(body)
        and all("slug" in entry for s in body["sections"] for entry in s["entries"])
    )


DRIFT_LISTS = {"unknown_codes", "unknown_slugs", "slug_mismatches", "status_mismatches"}

# What each curl example's comment claims, for those whose answer the README does not show as
# JSON: the example's key (method, path and query, jq filter) -> whether its answer (with the
# client, to ask more) bears the claim out.
CLAIMS: dict[str, Callable[[Any, CurlExample, Any], bool]] = {
    "GET /codes/10503": lambda c, e, a: [x["code"] for x in a.json()["entries"]] == [10503] * 2,
    "GET /codes/2?namespace=thermos": lambda c, e, a: _all(
        a.json()["entries"], namespace="thermos"
    ),
    "GET /codes?status=422": lambda c, e, a: _all(_items(a), status=422, origin="page"),
    "GET /codes?status=5xx&service=auth-config&limit=10&offset=0": lambda c, e, a: (
        _all(_items(a), service="Auth_Config")
        and all(500 <= x["status"] <= 599 for x in _items(a))
        and a.json()["limit"] == 10
    ),
    "GET /codes?q=magic%20link": _text_search,
    "GET /codes?q=1205": lambda c, e, a: _all(_items(a), code=1205),
    "GET /codes?slug=Tool_ToolNotFound": lambda c, e, a: _all(_items(a), slug="Tool_ToolNotFound"),
    "GET /statuses": lambda c, e, a: sum(x["entries"] for x in _items(a)) == _entries_total(c),
    "GET /statuses/404": lambda c, e, a: _all(a.json()["entries"], status=404),
    "GET /services": _page_order,
    "GET /services/auth-config": lambda c, e, a: c.get("/services/Auth_Config").json() == a.json(),
    "GET /ranges": lambda c, e, a: all(
        {"start", "end", "service", "sections", "entry_count"} <= set(x) for x in _items(a)
    ),
    "GET /ranges/resolve?code=1850": lambda c, e, a: (
        a.json()["documented"] is False
        and [r["service"] for r in a.json()["ranges"]] == ["ActionExecute"]
    ),
    "GET /ranges/resolve?code=1141": lambda c, e, a: (
        "MCP" in {x["service"] for x in a.json()["entries"]}
        and "Pusher" in {r["service"] for r in a.json()["ranges"]}
    ),
    "GET /error-types/json_decode": lambda c, e, a: a.json()["namespace"] == "thermos",
    "GET /codes?code=1205&code=1800": lambda c, e, a: (
        {x["code"] for x in _items(a)} == {1205, 1800}
    ),
    "POST /codes/lookup": lambda c, e, a: (
        [x["code"] for x in _items(a)] == json.loads(e.body)["codes"]
    ),
    "GET /codes/1205": _not_modified,  # the If-None-Match example (the quick start shows JSON)
    "GET /codes/1850": lambda c, e, a: (
        a.status_code == 404
        and a.headers["content-type"] == "application/problem+json"
        and a.json()["type"].endswith("/codes/10424")
    ),
    "POST /convert/problem-details": lambda c, e, a: (
        a.json()["status"] == 422 and a.json()["type"].endswith("/codes/1205")
    ),
    "POST /convert/envelope": lambda c, e, a: (
        a.json()["error"]["code"] == 1205 and a.json()["error"]["status"] == 422
    ),
    "GET /catalogue.json": _catalogue_json,
    "GET /catalogue.md": lambda c, e, a: (
        a.headers["content-type"].startswith("text/markdown") and "| 1205 |" in a.text
    ),
    "GET /catalogue.csv": _csv_columns,
    "GET /exports/python": _python_constants,
    "GET /exports/typescript": lambda c, e, a: (
        "TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED = 1205" in a.text
    ),
    "GET /observations?limit=20": _observed,
    "GET /observations/drift": lambda c, e, a: DRIFT_LISTS | {"never_seen"} <= set(a.json()),
    "GET /codes?origin=amendment": lambda c, e, a: (
        a.json()["total"] == 13 and _all(_items(a), origin="amendment")
    ),
    "GET /codes?slug=ToolRouterV2_InvalidConnectedAccountIds": lambda c, e, a: _all(
        _items(a), code=None
    ),
    # "e.g. 4399, seen with a slug": whichever unknown code comes first; null before any
    "GET /observations/drift | jq .unknown_codes[0].code": lambda c, e, a: (
        e.output(a.json()) is None or isinstance(e.output(a.json()), int)
    ),
}


def _examples() -> list[CurlExample]:
    return curl_examples(README.read_text(), {"INGEST_TOKEN": INGEST_TOKEN})


def _check(client, example: CurlExample) -> None:
    answer = client.request(
        example.method, example.target, headers=example.headers, content=example.body
    )
    assert answer.status_code < 500, answer.text
    if example.shown_status is not None:
        assert answer.status_code == example.shown_status, answer.text
    if example.shown_json is not None:
        output = example.output(answer.json())
        if example.shown_partially:
            output = {k: output.get(k) for k in example.shown_json}
        assert output == example.shown_json
    else:
        assert CLAIMS[example.key](client, example, answer), answer.text[:500]


def test_every_curl_example_is_read_and_has_a_claim_to_check():
    examples = _examples()
    assert len(examples) >= 38
    unchecked = [
        f"line {e.line}: {e.command}"
        for e in examples
        if e.shown_json is None and e.key not in CLAIMS
    ]
    assert unchecked == []
    assert {e.key for e in examples} >= set(CLAIMS), "CLAIMS names an example the README lacks"


def test_every_curl_example_answers_what_the_readme_claims(served):
    problems = []
    for example in _examples():  # in the README's order: the observations are posted first
        try:
            _check(served, example)
        except (AssertionError, KeyError, ValueError) as exc:
            problems.append(f"README line {example.line}: {example.command}\n{exc!r}")
    assert not problems, "\n\n".join(problems)


def test_the_readme_s_error_envelope_is_what_the_api_answers(served):
    (shown,) = [json.loads(b) for b in _json_blocks(README) if '"Code 1850 is not documented"' in b]
    answer = served.get("/codes/1850").json()
    assert {**shown["error"], "request_id": None} == {**answer["error"], "request_id": None}
