"""POST /validate-envelope and POST /decode answered before routing give the handlers' bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from app.catalogue.decode import MAX_INPUT_BYTES
from app.main import create_app
from tests.served_client import ServedClient

VARYING = {"x-request-id", "date"}  # the request's own id; the server's clock
SAME_ID = {"X-Request-ID": "req-compare"}  # error envelopes carry it


def _comparable(response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in VARYING]
    return response.status_code, headers, response.content


class _Counting:
    """Stands between the front and the Litestar app, counting what passes."""

    def __init__(self, app) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def clients(seeded_db) -> Iterator[tuple[TestClient, TestClient, _Counting]]:
    with (
        ServedClient(app=create_app(seeded_db.settings())) as hot,
        ServedClient(app=create_app(seeded_db.settings(response_cache=False))) as plain,
    ):
        hot.front.app = counting = _Counting(hot.front.app)
        yield hot, plain, counting


def _envelope(**error) -> bytes:
    return json.dumps({"error": error}).encode()


ENVELOPES = [
    _envelope(
        message="Authentication refresh required",
        code=1205,
        slug="TriggerInstance_AuthRefreshRequired",
        status=422,
        request_id="req_1",
    ),
    _envelope(message="Tool not found", code=2401, slug="Tool_ToolNotFound", status=404),
    _envelope(message="x", code=1205, slug="Tool_ToolNotFound", status=500),  # disagreements
    _envelope(message="", code="1205", status=422, extra=True),  # wrong types, unknown member
    _envelope(message="Unknown", code=99999, status=418),  # a code the page lacks
    _envelope(code=1810, status=401),  # an amendment, message missing
    b'{"error": null}',
    b"[1, 2, 3]",
    b'"just a string"',
    b"42",
    b"null",
    json.dumps(
        {"error": {"message": "\u00e9\u4e2d\U0001f600", "code": 10404, "status": 404}}
    ).encode(),
    b"[" * 600 + b"]" * 600,  # nested too deeply: the handler's 400
    b"",  # empty: the handler's 400
    b"{not json",  # the handler's 400
    b'{"error": {"code": 1205}}   \n',
    b"\xff\xfe{}",  # not UTF-8
]
TEXTS = [
    b"{'error': {'code': 1201, 'message': 'Trigger failed', 'request_id': None}}",
    b"ToolRouterV2_NoActiveConnection: no active connection",
    b'502 Bad Gateway: {"error": {"message": "Upstream failed", "code": 10502}}',
    b"nothing to see here",
    b"",
    "caf\u00e9 \u2014 1205".encode(),
    b"\xff\xfe\xfd invalid utf-8 1810",
]


def _post_both(hot, plain, path, body, content_type, params=None, headers=None):
    sent = {"Content-Type": content_type, **SAME_ID, **(headers or {})}
    ours = hot.post(path, content=body, headers=sent, params=params)
    theirs = plain.post(path, content=body, headers=sent, params=params)
    return ours, theirs


@pytest.mark.parametrize("body", ENVELOPES, ids=range(len(ENVELOPES)))
def test_validate_envelope_answers_as_the_handler(clients, body) -> None:
    hot, plain, _ = clients
    for _ in range(2):  # the first may teach the headers; the second is answered before routing
        ours, theirs = _post_both(hot, plain, "/validate-envelope", body, "application/json")
        assert _comparable(ours) == _comparable(theirs), body[:60]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [*((b, "application/json") for b in ENVELOPES), *((t, "text/plain") for t in TEXTS)],
)
def test_decode_answers_as_the_handler(clients, body, content_type) -> None:
    hot, plain, _ = clients
    for _ in range(2):
        ours, theirs = _post_both(hot, plain, "/decode", body, content_type)
        assert _comparable(ours) == _comparable(theirs), body[:60]


def test_the_common_case_does_not_reach_the_application(clients) -> None:
    hot, _, counting = clients
    for path in ("/validate-envelope", "/decode"):
        hot.post(path, content=ENVELOPES[0], headers={"Content-Type": "application/json"})
        before = counting.calls
        for body in ENVELOPES[:6]:
            answer = hot.post(path, content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 200
            assert answer.headers["x-request-id"].startswith("req_")
        assert counting.calls == before, path
        # A body the validator refuses goes to the handler, which answers 400 (decode reports on
        # anything).
        refused = hot.post(path, content=b"{", headers={"Content-Type": "application/json"})
        assert refused.status_code == (400 if path == "/validate-envelope" else 200)
        assert counting.calls == before + (1 if path == "/validate-envelope" else 0)


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/validate-envelope", {"params": {"profile": "strict"}}),
        ("/validate-envelope", {"params": {"http_status": "422"}}),
        ("/validate-envelope", {"params": {"nope": "1"}}),  # the handler's 400
        ("/validate-envelope", {"headers": {"Origin": "https://dashboard.example"}}),
        ("/validate-envelope", {"content_type": "application/json; charset=utf-8"}),
        ("/validate-envelope", {"content_type": "application/problem+json"}),
        ("/validate-envelope", {"content_type": "text/plain"}),  # the handler's 415
        ("/decode", {"content_type": "text/plain; charset=latin-1"}),
        ("/decode", {"content_type": "text/csv"}),  # the handler's 415
    ],
)
def test_other_requests_go_to_the_application_unchanged(clients, path, kwargs) -> None:
    hot, plain, counting = clients
    hot.post(path, content=ENVELOPES[0], headers={"Content-Type": "application/json"})  # teach
    content_type = kwargs.get("content_type", "application/json")
    before = counting.calls
    ours, theirs = _post_both(
        hot, plain, path, ENVELOPES[1], content_type, kwargs.get("params"), kwargs.get("headers")
    )
    assert _comparable(ours) == _comparable(theirs)
    assert counting.calls == before + 1


def test_a_chunked_body_goes_to_the_application(clients) -> None:
    hot, plain, counting = clients
    before = counting.calls

    def chunks() -> Iterator[bytes]:
        yield ENVELOPES[0][:20]
        yield ENVELOPES[0][20:]

    sent = {"Content-Type": "application/json", **SAME_ID}
    ours = hot.post("/validate-envelope", content=chunks(), headers=sent)
    theirs = plain.post("/validate-envelope", content=chunks(), headers=sent)
    assert _comparable(ours) == _comparable(theirs)
    assert counting.calls == before + 1


def test_an_oversized_body_gets_the_handlers_413(seeded_db) -> None:
    settings = seeded_db.settings(max_body_bytes=2048)
    with (
        ServedClient(app=create_app(settings)) as hot,
        ServedClient(
            app=create_app(seeded_db.settings(max_body_bytes=2048, response_cache=False))
        ) as plain,
    ):
        # The app's limit for /validate-envelope; /decode has its own, MAX_INPUT_BYTES.
        for path, size in (("/validate-envelope", 5000), ("/decode", MAX_INPUT_BYTES + 1)):
            big = _envelope(message="x" * size, code=1205, status=422)
            hot.post(path, content=ENVELOPES[0], headers={"Content-Type": "application/json"})
            ours, theirs = _post_both(hot, plain, path, big, "application/json")
            assert ours.status_code == 413, path
            assert _comparable(ours) == _comparable(theirs), path


def test_hot_answers_are_counted_under_their_route_in_metrics(clients) -> None:
    hot, _, _ = clients

    def count() -> float:
        for line in hot.get("/metrics").text.splitlines():
            if line.startswith(
                'errcat_requests_total{method="POST",path="/decode",status_code="200"}'
            ):
                return float(line.split()[-1])
        return 0.0

    hot.post("/decode", content=b"1205", headers={"Content-Type": "text/plain"})
    before = count()
    for _ in range(3):
        hot.post("/decode", content=b"1205", headers={"Content-Type": "text/plain"})
    assert count() == before + 3
