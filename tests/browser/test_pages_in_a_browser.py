"""A person's visit, in a real browser: Playwright driving Debian's Chromium (no browser download)
against a real uvicorn server on a seeded SQLite database.

Screenshots go to ``ERRCAT_TEST_ARTIFACTS`` (default ``tests/artifacts/``, ignored by git).
Chromium is ``ERRCAT_CHROMIUM`` (default ``/usr/bin/chromium``). Where it or Playwright is
missing the test is skipped with the reason, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import serve_seeded

CHROMIUM = os.environ.get("ERRCAT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("ERRCAT_TEST_ARTIFACTS", Path(__file__).parent.parent / "artifacts")
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI runs the browser tests, it never skips them")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (make test installs it from uv.lock)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """errcat served by uvicorn on a free port of 127.0.0.1, from a freshly seeded SQLite file."""
    with serve_seeded(tmp_path_factory.mktemp("browser")) as url:
        yield url


class Visit:
    """A browser tab that records every request to another origin and every CSP complaint."""

    def __init__(self, browser, base_url: str, viewport: dict[str, int]) -> None:
        self.base_url = base_url
        self.foreign: list[str] = []
        self.complaints: list[str] = []
        self.context = browser.new_context(viewport=viewport, base_url=base_url)
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("console", self._console)

    def _request(self, request) -> None:
        if not request.url.startswith(self.base_url + "/"):
            self.foreign.append(request.url)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            self.complaints.append(message.text)

    def shot(self, name: str, full_page: bool = False) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)

    def close(self) -> None:
        self.context.close()


def test_search_for_a_code_then_read_its_page_and_the_api_reference(browser, base_url):
    from playwright.sync_api import expect

    visit = Visit(browser, base_url, LAPTOP)
    page = visit.page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The HTTP error catalogue")

    # The first Tab reaches the skip link, and it shows itself.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0

    page.get_by_label("Search", exact=True).fill("1205")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/?q=1205**")
    expect(page.get_by_role("heading", name="1 entry found")).to_be_visible()
    rows = page.locator("table.entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("TriggerInstance_AuthRefreshRequired")
    visit.shot("catalogue-search-1205")

    page.get_by_role("link", name="1205", exact=True).click()
    page.wait_for_url("**/codes/1205")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code 1205: AuthRefreshRequired")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("TriggerInstance")
    expect(facts).to_contain_text("422 Unprocessable Entity")
    expect(facts).to_contain_text("TriggerInstance_AuthRefreshRequired")
    expect(facts).to_contain_text("1200\u20131299")
    expect(page.locator("pre.envelope")).to_contain_text('"code": 1205')
    visit.shot("code-1205", full_page=True)

    # The integrity findings are one click from the catalogue.
    page.goto("/")
    page.get_by_role("link", name="see the integrity findings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Integrity findings")

    # The API reference renders from errcat's own copy of Swagger UI.
    page.goto("/schema")
    operation = page.locator(".opblock-summary-path", has_text="/codes/{code}").first
    expect(operation).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock")).not_to_have_count(0)
    visit.shot("api-reference")

    assert visit.foreign == [], "requests to other hosts"
    assert visit.complaints == []
    visit.close()


def test_pages_fit_a_phone(browser, base_url):
    visit = Visit(browser, base_url, PHONE)
    page = visit.page
    for path, name in (("/", "phone-catalogue"), ("/codes/10503", "phone-code-10503")):
        page.goto(path)
        # Nothing wider than the screen: wide tables and envelopes scroll inside themselves.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if path == "/":
            assert page.get_by_label("Search", exact=True).bounding_box()["width"] < PHONE["width"]
        visit.shot(name)
    assert visit.foreign == []
    assert visit.complaints == []
    visit.close()
