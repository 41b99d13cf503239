"""Pages for people (HTML), content negotiation on /codes/{code} and /services/{service}, the
offline API reference, and the q search over code numbers and slugs."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.envelope_assertions import assert_envelope

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
HTML = {"Accept": BROWSER}
DASH = "\u2013"  # an en dash: the pages print ranges as 1200, dash, 1299

PAGES = [
    "/",
    "/?q=1205",
    "/?status=4xx&service=auth-config",
    "/findings",
    "/codes/1205",
    "/codes/10503",
    "/services/auth-config",
    "/services/Prisma%2FDatabase",
    "/schema",
    "/schema/swagger",
]


class Page(HTMLParser):
    """What the tests look at in a page: tags with their attributes, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.h1: list[str] = []
        self._in_h1 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_h1:
            self.h1[-1] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())

    def urls(self) -> list[str]:
        return [a[k] for _, a in self.tags for k in ("src", "href", "action") if k in a]


def page(client, path: str, status: int = 200) -> Page:
    response = client.get(path, headers=HTML)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return Page(response.text)


def assert_same_origin(url: str) -> None:
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, url  # no http:, data:, //host


# --- q: code numbers and slugs ----------------------------------------------------------------


def test_q_finds_a_code_number_exactly(client):
    body = client.get("/codes?q=1205").json()
    assert [(e["code"], e["service"]) for e in body["items"]] == [(1205, "TriggerInstance")]
    assert client.get("/codes?q=%201205%20").json()["items"] == body["items"]
    # Both entries of a number printed twice, and no other code that merely contains the digits.
    assert [e["name"] for e in client.get("/codes?q=10503").json()["items"]] == [
        "ServiceUnavailable",
        "BadState",
    ]


def test_q_searches_slugs_ignoring_case(client):
    body = client.get("/codes?q=tool_toolnotfound").json()
    assert (2401, "Tool_ToolNotFound") in {(e["code"], e["slug"]) for e in body["items"]}
    # Only the slug spells "PrismaDatabase" (the service is printed Prisma/Database).
    prisma = client.get("/codes?q=prismadatabase_").json()
    assert prisma["total"] > 0
    assert {e["service"] for e in prisma["items"]} == {"Prisma/Database"}


def test_q_still_searches_names_descriptions_and_services(client):
    assert client.get("/codes?q=MAGIC%20LINK").json()["total"] == 4
    assert client.get("/codes?q=stripe").json()["total"] == 5


# --- content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/codes/1205", "/codes/10503", "/services/auth-config"])
@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/html", "text/html;q=0.5, */*"],
)
def test_json_stays_the_default_byte_for_byte(client, path, accept):
    plain = client.get(path)
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == plain.content
    assert response.headers["vary"] == "Accept"


def test_json_errors_stay_envelopes(client):
    assert_envelope(client.get("/codes/1810"), 404, 10424, "HTTP_ResourceNotFound")
    assert_envelope(client.get("/codes/abc", headers={"Accept": "*/*"}), 400, 10400)
    assert_envelope(client.get("/services/nope"), 404, 10424)


@pytest.mark.parametrize(
    "accept", [BROWSER, "text/html", "text/html, application/json;q=0.9", "text/*"]
)
def test_a_browser_gets_the_code_page(client, accept):
    response = client.get("/codes/1205", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    assert response.headers["x-request-id"]
    assert "etag" in response.headers


def test_head_of_a_page(client):
    response = client.head("/codes/1205", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == b""


# --- what the pages show ----------------------------------------------------------------------


def test_code_page_shows_everything_about_the_code(client):
    p = page(client, "/codes/1205")
    assert p.h1 == ["Code 1205: AuthRefreshRequired"]
    words = p.words
    for expected in (
        "TriggerInstance",
        "422 Unprocessable Entity",
        "Authentication refresh required",
        "TriggerInstance_AuthRefreshRequired",
        f"1200{DASH}1299 ( TriggerInstance )",
        "nothing on the page contradicts itself about 1205",
    ):
        assert expected in words
    assert {"href": "/services/triggerinstance"} in p.all("a")


def test_the_example_envelope_passes_errcats_strict_validator(client):
    text = client.get("/codes/1205", headers=HTML).text
    envelopes = re.findall(r'<pre class="envelope"[^>]*><code>(.*?)</code></pre>', text, re.S)
    assert len(envelopes) == 1
    body = html.unescape(envelopes[0])
    report = client.post(
        "/validate-envelope?profile=strict",
        content=body,
        headers={"Content-Type": "application/json"},
    ).json()
    assert report["valid"] is True, report
    assert report["errors"] == [] and report["warnings"] == []
    assert [(e["code"], e["service"]) for e in report["entries"]] == [(1205, "TriggerInstance")]


def test_a_number_printed_twice_shows_both_entries_and_the_finding(client):
    p = page(client, "/codes/10503")
    assert p.h1 == ["Code 10503"]
    words = p.words
    assert "documents this number 2 times" in words
    assert "ServiceUnavailable" in words and "BadState" in words
    assert "503 Service Unavailable" in words and "422 Unprocessable Entity" in words
    assert "code.duplicate_in_section" in words
    text = client.get("/codes/10503", headers=HTML).text
    assert len(re.findall(r'<pre class="envelope"', text)) == 2


def test_an_undocumented_code_page_is_a_404_naming_its_range(client):
    p = page(client, "/codes/1810", 404)
    assert p.h1 == ["Code 1810 is not documented"]
    assert f"1800{DASH}1899 ( ActionExecute )" in p.words
    outside = page(client, "/codes/99999", 404)
    assert "lies in no declared range; the nearest are" in outside.words


def test_a_bad_code_page_is_a_400(client):
    p = page(client, "/codes/abc", 400)
    assert p.h1 == ["Not a code number"]


def test_service_page(client):
    p = page(client, "/services/auth-config")
    assert p.h1 == ["Auth_Config"]
    links = {a.get("href") for a in p.all("a")}
    assert {f"/codes/{code}" for code in range(300, 305)} <= links
    assert "entry.outside_heading_range" in p.words
    assert page(client, "/services/Prisma%2FDatabase").h1 == ["Prisma/Database"]
    assert page(client, "/services/nope", 404).h1 == ["No such service"]


def test_catalogue_search_finds_a_code_number(client):
    p = page(client, "/?q=1205")
    assert "1 entry found" in p.words
    rows = re.findall(r'<a href="/codes/(\d+)">', client.get("/?q=1205").text)
    assert rows == ["1205"]
    assert {"type": "search", "id": "q", "name": "q", "value": "1205"}.items() <= (
        p.all("input")[0].items()
    )


def test_catalogue_filters_by_status_class_and_service(client):
    text = client.get("/?status=4xx&service=auth-config").text
    assert re.findall(r'<a href="/codes/(\d+)">', text) == ["300", "301", "302", "303"]
    assert '<option value="4xx" selected>' in text
    assert '<option value="auth-config" selected>' in text
    everything = client.get("/").text
    assert len(re.findall(r'<a href="/codes/(\d+)">', everything)) == 202


def test_catalogue_explains_a_bad_filter(client):
    p = page(client, "/?status=abc", 400)
    assert "status must be an HTTP status" in p.words
    # One rule for every filter: a well-formed value that matches nothing finds nothing.
    assert not page(client, "/?service=nope").all("tbody")
    p = page(client, "/?q=" + "x" * 201, 400)
    assert "at most 200" in p.words


def test_findings_are_one_click_from_the_catalogue(client):
    assert {"href": "/findings"} in page(client, "/").all("a")
    p = page(client, "/findings")
    report = client.get("/catalogue/report").json()
    assert f"{len(report['findings'])} findings" in p.words
    for finding in report["findings"]:
        assert finding["rule"] in p.words
    links = {a.get("href") for a in p.all("a")}
    assert {"/services/auth-config", "/services/prisma-database", "/codes/10503"} <= links


def test_pages_are_not_part_of_the_api_schema(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert not {"/", "/findings"} & paths.keys()
    assert not any(p.startswith(("/static", "/vendor")) for p in paths)


# --- every page: structure, accessibility basics, headers, same origin ------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_self_contained_and_well_formed(client, path):
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    p = Page(response.text)
    assert p.all("html") == [{"lang": "en"}]
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in p.all("meta")
    assert len(p.h1) == 1
    # A skip link to the main landmark.
    assert p.all("a")[0] == {"class": "skip-link", "href": "#main"}
    assert any(m.get("id") == "main" for m in p.all("main"))
    # No inline script: every script is a file.
    assert all(s.get("src") for s in p.all("script"))
    assert "<script>" not in response.text
    # Every form control has a label.
    labelled = {label["for"] for label in p.all("label")}
    for control in p.all("input") + p.all("select"):
        assert control["id"] in labelled
    # Every URL the page refers to is errcat's own, and answers.
    for url in p.urls():
        assert_same_origin(url)
        if url.startswith("/") and "?" not in url:
            assert client.get(url, headers=HTML).status_code == 200, url


def test_the_api_reference_uses_the_installed_swagger_ui(client):
    text = client.get("/schema").text
    assert text == client.get("/schema/swagger").text
    assert '<script src="/vendor/swagger-ui/swagger-ui-bundle.js">' in text
    assert 'data-spec-url="/schema/openapi.json"' in text
    bundle = client.get("/vendor/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["content-type"]
    assert len(bundle.content) > 500_000
    css = client.get("/vendor/swagger-ui/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    # The stylesheet's own images are inline data, never another host.
    assert not re.findall(r"url\(\s*(?!['\"]?data:)", css.text)
    assert "validatorUrl: null" in client.get("/static/swagger-init.js").text
    assert client.get("/schema/oauth2-redirect.html").status_code == 404


def test_static_files_are_errcats_own(client):
    css = client.get("/static/errcat.css")
    assert css.status_code == 200
    assert css.headers["x-content-type-options"] == "nosniff"
    assert "url(" not in css.text  # nothing fetched from anywhere
    assert_envelope(client.get("/static/nothing.css"), 404)


# --- found by review -------------------------------------------------------------------------


def test_an_unusable_accept_quality_is_answered_with_json_not_a_500(client):
    for path in ("/codes/1205", "/services/auth-config"):
        for accept in ("text/html;q=inf", "text/html;q=1e999"):
            answer = client.get(path, headers={"Accept": accept})
            assert answer.status_code == 200, (path, accept)
            assert answer.headers["content-type"].startswith("application/json"), (path, accept)


@pytest.mark.parametrize(
    ("raw", "status"),
    [("%1C1205%1F", 400), ("%E2%80%831205", 400), ("+1205", 400), ("-5", 400), ("abc", 400)],
)
def test_the_code_page_reads_numbers_as_the_api_does(client, raw, status):
    assert client.get(f"/codes/{raw}", headers=HTML).status_code == status
    assert client.get(f"/codes/{raw}").status_code == status


def test_html_and_json_answers_have_different_validators(client):
    json_tag = client.get("/codes/1205").headers["etag"]
    html = client.get("/codes/1205", headers=HTML)
    assert html.headers["etag"] != json_tag
    assert client.get("/codes/1205", headers={**HTML, "If-None-Match": json_tag}).status_code == 200
    again = client.get("/codes/1205", headers={**HTML, "If-None-Match": html.headers["etag"]})
    assert again.status_code == 304
