"""The README and docs/*.md render as meant (CommonMark): no code block swallows the text after
it, every section is a heading, every JSON example is JSON, and the report example is real."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

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


@pytest.fixture(scope="module")
def served(empty_db):
    """What `errcat serve` serves by default: the page and seeds/amendments.json."""
    from litestar.testing import TestClient

    from app.main import create_app
    from app.seeds import DEFAULT_AMENDMENTS_PATH

    empty_db.migrate_and_seed(amendments=DEFAULT_AMENDMENTS_PATH)
    with TestClient(app=create_app(empty_db.settings())) as client:
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


def test_the_readme_s_amendment_examples_are_what_the_api_answers(served):
    section = README.read_text().split("## Three sources of truth", 1)[1].split("\n## ", 1)[0]
    blocks = [json.loads(b) for b in _json_blocks(README) if '"origin"' in b]
    (code_1810, note_1803) = blocks[:2]
    assert code_1810 == served.get("/codes/1810").json()["entries"][0]
    entry = next(
        e for e in served.get("/codes/1803").json()["entries"] if e["service"] == "ActionExecute"
    )
    assert note_1803 == {"slug": entry["slug"], "origin": entry["origin"], "notes": entry["notes"]}
    assert "?origin=amendment" in section and "errcat propose" in section
