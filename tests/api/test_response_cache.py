"""The pre-routing response cache replays exactly what the handlers answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import ClassVar

import msgspec
import pytest
from litestar.testing import TestClient

from app.api.common import parse_int
from app.api.response_cache import Computed, ResponseCache
from app.main import create_app
from tests.served_client import ServedClient

VARYING = {"x-request-id", "date"}  # the request's own id; the server's clock


def _comparable(response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in VARYING]
    return response.status_code, headers, response.content


@pytest.fixture(scope="module")
def clients(seeded_db) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        ServedClient(app=create_app(seeded_db.settings())) as cached,
        ServedClient(app=create_app(seeded_db.settings(response_cache=False))) as plain,
    ):
        yield cached, plain


def _paths(client: TestClient) -> list[str]:
    entries = client.get("/codes?limit=500").json()["items"]
    codes = sorted({e["code"] for e in entries})
    platform = sorted({e["code"] for e in entries if e["namespace"] == "platform"})
    return [
        *(f"/codes/{c}" for c in codes),
        *(f"/codes/{c}?namespace=platform" for c in platform[:20]),
        "/codes?status=422",
        "/codes?status=4xx&limit=7&offset=3",
        "/ranges/resolve?code=1810",
        "/ranges/resolve?code=1141",
        "/statuses",
        "/services/auth-config",
    ]


def test_every_code_is_replayed_byte_for_byte(clients) -> None:
    cached, plain = clients
    for path in _paths(plain):
        expected = _comparable(plain.get(path))
        assert expected[0] == 200, path
        assert _comparable(cached.get(path)) == expected, f"first answer of {path}"
        assert _comparable(cached.get(path)) == expected, f"replayed answer of {path}"


def test_a_replay_carries_the_requests_own_id(clients) -> None:
    cached, _ = clients
    cached.get("/codes/1205")
    first = cached.get("/codes/1205", headers={"X-Request-ID": "dash-1"})
    second = cached.get("/codes/1205")
    assert first.headers["x-request-id"] == "dash-1"
    assert re.fullmatch(r"req_[0-9a-f]{24}", second.headers["x-request-id"])


def test_conditional_gets_answer_as_without_the_cache(clients) -> None:
    cached, plain = clients
    etag = plain.get("/codes/1205").headers["etag"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": 'W/"other"'}, {}):
        expected = _comparable(plain.get("/codes/1205", headers=headers))
        cached.get("/codes/1205")  # kept
        assert _comparable(cached.get("/codes/1205", headers=headers)) == expected, headers
    assert cached.get("/codes/1205", headers={"If-None-Match": etag}).status_code == 304


def test_errors_and_uncacheable_routes_answer_as_without_the_cache(clients) -> None:
    cached, plain = clients
    same_id = {"X-Request-ID": "req-compare"}  # error envelopes carry the request id
    for path in ("/codes/99999", "/codes/abc", "/codes?status=9", "/health", "/nowhere"):
        for _ in range(2):
            ours = _comparable(cached.get(path, headers=same_id))
            assert ours == _comparable(plain.get(path, headers=same_id)), path


def test_a_sibling_route_of_a_computed_one_is_answered_by_routing(clients) -> None:
    """GET /codes/lookup is not a code: POST /codes/lookup's route answers 405 (schemathesis's
    ST204), as without the cache, and never the 400 of a malformed code."""
    for client in clients:
        for _ in range(2):
            answer = client.get("/codes/lookup")
            assert answer.status_code == 405, answer.text
            assert "POST" in answer.headers["allow"]


ERROR_PATHS = (
    "/codes/99999",  # a code the page lacks
    "/codes/abc",
    "/codes?status=9",
    "/ranges/resolve?code=4321",  # in no range
    "/services/nowhere",
)


@pytest.mark.parametrize("accept", [None, "application/problem+json", "text/html"])
def test_errors_are_replayed_with_the_requests_own_id(clients, accept) -> None:
    cached, plain = clients
    sent = {"Accept": accept} if accept else {}
    for path in ERROR_PATHS:
        for rid in ("first-id", "req_0123456789abcdef01234567", "a-much-longer-request-id-" * 4):
            headers = {**sent, "X-Request-ID": rid}
            ours, theirs = cached.get(path, headers=headers), plain.get(path, headers=headers)
            assert ours.status_code in (400, 404), path
            assert _comparable(ours) == _comparable(theirs), (path, rid)
            assert ours.headers["x-request-id"] == rid
        # A generated id is the request's own, in the header and the envelope alike.
        first, second = cached.get(path, headers=sent), cached.get(path, headers=sent)
        assert first.headers["x-request-id"] != second.headers["x-request-id"]
        for answer in (first, second):
            if "html" not in answer.headers["content-type"]:
                assert answer.headers["x-request-id"] in answer.text


def test_an_id_occurring_twice_in_an_error_is_not_templated(clients) -> None:
    cached, plain = clients
    # "4" occurs in the message as well as in request_id: splitting there would be wrong.
    for _ in range(3):
        ours = cached.get("/ranges/resolve?code=4321", headers={"X-Request-ID": "4"})
        theirs = plain.get("/ranges/resolve?code=4321", headers={"X-Request-ID": "4"})
        assert _comparable(ours) == _comparable(theirs)


def test_replays_are_counted_under_their_route_in_metrics(clients) -> None:
    cached, _ = clients

    def count() -> float:
        text = cached.get("/metrics").text
        found = re.search(
            r'errcat_requests_total\{method="GET",path="/codes/\{code\}",status_code="200"\} (\S+)',
            text,
        )
        return float(found.group(1)) if found else 0.0

    before = count()
    for _ in range(3):
        cached.get("/codes/1205")
    assert count() == before + 3


def test_a_new_snapshot_empties_the_cache(clients) -> None:
    cached, _ = clients
    live = cached.front.state["live"]
    old = cached.get("/codes/1205")
    import msgspec

    swapped = msgspec.structs.replace(
        live.loaded,
        version=msgspec.structs.replace(live.loaded.version, revision=999),
    )
    original, live._snapshot = live._snapshot, swapped  # what LiveCatalogue.reload does
    try:
        new = cached.get("/codes/1205")
        assert new.headers["etag"] != old.headers["etag"]
        assert new.headers["etag"] == cached.get("/codes/1205").headers["etag"]
    finally:
        live._snapshot = original


# --- the cache's own bounds, over a stub application ---------------------------------------------


class _Live:
    loaded = object()


class _Handler:
    opt: ClassVar[dict[str, bool]] = {"cacheable": True}


async def _stub_app(scope, receive, send) -> None:
    scope["route_handler"] = _Handler()
    scope["path_template"] = "/stub"
    body = scope["path"].encode() * (2000 if scope["path"] == "/big" else 1)
    headers = [(b"content-type", b"text/plain"), (b"etag", b'W/"1"')]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _get(cache: ResponseCache, path: str, app=None) -> bytes:
    """What the front does with a GET: the cache's answer, else the application's, kept."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "state": {},
    }
    answer = cache.lookup(scope)
    if answer is not None:
        return answer.body
    await (app or _stub_app)(scope, None, cache.keeping(scope, send))
    return sent[-1]["body"]


def test_the_cache_is_bounded_in_entries_and_body_size() -> None:
    cache = ResponseCache(_Live(), max_entries=3, max_body=1000)

    async def scenario() -> None:
        for i in range(10):
            assert await _get(cache, f"/p{i}") == f"/p{i}".encode()
        assert len(cache) == 3
        assert await _get(cache, "/big") == b"/big" * 2000
        assert len(cache) == 3  # too big to keep

    asyncio.run(scenario())


# --- found by review: a header sent twice must not poison the cache -----------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_repeated_accept_header_cannot_poison_the_cache(clients) -> None:
    cached, _ = clients
    for path in ("/services/auth-config", "/codes/1205"):
        for first, second in (("text/html", "application/json"), ("application/json", BROWSER)):
            cached.get(path, headers=[("Accept", first), ("Accept", second)])
            json_answer = cached.get(path, headers={"Accept": "application/json"})
            html_answer = cached.get(path, headers={"Accept": BROWSER})
            assert json_answer.headers["content-type"].startswith("application/json"), path
            assert html_answer.headers["content-type"].startswith("text/html"), path


def test_a_repeated_origin_header_cannot_poison_the_cache(seeded_db) -> None:
    settings = seeded_db.settings(cors_origins=("http://a.example",))
    with ServedClient(app=create_app(settings)) as client:
        client.get(
            "/codes/1205",
            headers=[("Origin", "http://evil.example"), ("Origin", "http://a.example")],
        )
        answer = client.get("/codes/1205", headers={"Origin": "http://a.example"})
        assert answer.headers["access-control-allow-origin"] == "http://a.example"
        # CORS sets Vary: Origin; the negotiated route still varies on Accept too.
        vary = {v.strip().lower() for v in answer.headers["vary"].split(",")}
        assert vary == {"origin", "accept"}


def test_the_cache_is_bounded_in_total_bytes() -> None:
    cache = ResponseCache(_Live(), max_entries=100, max_body=10_000, max_total=20)

    async def scenario() -> None:
        for i in range(10):
            await _get(cache, f"/p{i}")  # 3 bytes each
        assert len(cache) == 6  # 6 x 3 bytes <= 20 < 7 x 3

    asyncio.run(scenario())


# --- computed answers: a miss on GET /codes/{code} answered without the application ---------------


class _Lookup(msgspec.Struct):
    code: int


def _answer(_snap, rest: str) -> _Lookup:
    return _Lookup(parse_int(rest, "code"))


async def _numbers_app(scope, receive, send) -> None:
    _numbers_app.calls += 1  # type: ignore[attr-defined]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"routed"})


def test_a_computed_route_answers_without_the_application() -> None:
    _numbers_app.calls = 0  # type: ignore[attr-defined]
    cache = ResponseCache(_Live(), computed=(Computed("/n/", "/n/{n}", _answer),), max_entries=2)

    async def scenario() -> None:
        for n in range(1, 50):  # far more than the cache keeps
            assert await _get(cache, f"/n/{n}", _numbers_app) == f'{{"code":{n}}}'.encode()
        assert _numbers_app.calls == 0  # type: ignore[attr-defined]
        assert await _get(cache, "/elsewhere", _numbers_app) == b"routed"
        assert _numbers_app.calls == 1  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_every_code_is_computed_byte_for_byte(seeded_db) -> None:
    """Every lookup is computed from the snapshot, none kept or taught by an earlier answer."""
    with (
        ServedClient(app=create_app(seeded_db.settings())) as cached,
        ServedClient(app=create_app(seeded_db.settings(response_cache=False))) as plain,
    ):
        cache = cached.front.cache
        codes = sorted({e["code"] for e in plain.get("/codes?limit=500").json()["items"]})
        for code in codes:
            expected = _comparable(plain.get(f"/codes/{code}"))
            assert _comparable(cached.get(f"/codes/{code}")) == expected, code
        assert len(cache) == 0
