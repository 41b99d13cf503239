"""The core's domain exceptions and the one table that maps them to HTTP answers."""

from __future__ import annotations

import inspect
import logging

import msgspec
import pytest
from litestar import Request

from app.api.errors import DOMAIN_ERRORS, domain_status, make_exception_handler
from app.catalogue import errors
from app.catalogue.build import build_snapshot
from app.catalogue.errors import (
    CatalogueNotLoaded,
    CatalogueProblem,
    CodeNotFound,
    ErrorTypeNotFound,
    InvalidBody,
    InvalidFilter,
    InvalidInteger,
    NumberUnknown,
    RevisionNotFound,
    ServiceNotFound,
    StatusNotFound,
    StoreUnavailable,
)
from app.catalogue.jsondoc import BodyError
from app.catalogue.model import CatalogueVersion
from app.catalogue.query import filter_entries, find_code, resolve_number, undocumented_code_fix
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)


def request(headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    return Request(
        scope={
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": headers or [],
            "query_string": b"",
            "state": {},
        }
    )


def answer(exc: Exception, snapshot=SNAP, headers=None) -> tuple[int, dict, dict]:
    response = make_exception_handler(lambda: snapshot)(request(headers), exc)
    body = msgspec.to_builtins(response.content)["error"]
    return response.status_code, body, {k.lower(): v for k, v in response.headers.items()}


# The identity each status carries on the seeded catalogue (10424 is ResourceNotFound).
IDENTITY = {
    503: (10503, "HTTP_ServiceUnavailable"),
    404: (10424, "HTTP_ResourceNotFound"),
    400: (10400, "HTTP_BadRequest"),
}
CASES = [
    (CatalogueNotLoaded(), 503, "The catalogue is not loaded"),
    (StoreUnavailable("OSError"), 503, "Database unavailable: OSError"),
    (CodeNotFound(1810, None, "fix"), 404, "Code 1810 is not documented"),
    (NumberUnknown(99999, "x"), 404, "99999 lies in no declared range and is not documented"),
    (StatusNotFound(299), 404, "No entry of the catalogue has status 299"),
    (ServiceNotFound("nope"), 404, "No service is named 'nope'"),
    (ErrorTypeNotFound("nope"), 404, "No error type is named 'nope'"),
    (RevisionNotFound(7), 404, "No revision 7"),
    (
        InvalidInteger("code", "abc", 1205),
        400,
        "code must be an integer in ASCII digits (at most 18, no sign), not 'abc'",
    ),
    (InvalidFilter("status", "bad status"), 400, "Invalid value for status"),
    (
        BodyError("The body is empty", errors=["body: x"], suggested_fix="Send"),
        400,
        "The body is empty",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: type(c[0]).__name__)
def test_each_domain_exception_becomes_its_envelope(case) -> None:
    exc, status, message = case
    code, slug = IDENTITY[status]
    got_status, body, headers = answer(exc, headers=[(b"x-request-id", b"req-42")])
    assert (got_status, body["status"], body["code"], body["slug"]) == (status, status, code, slug)
    assert body["message"] == message == exc.message
    assert body["errors"] == exc.errors
    assert body["suggested_fix"] == exc.suggested_fix
    assert body["request_id"] == "req-42" == headers["x-request-id"]
    assert headers["cache-control"] == "no-store"


def test_before_the_catalogue_loads_the_rule_for_undocumented_statuses_applies() -> None:
    status, body, _ = answer(CatalogueNotLoaded(), snapshot=None)
    assert (status, body["code"], body["slug"]) == (503, 10503, "HTTP_ServiceUnavailable")


def test_every_domain_exception_is_mapped_by_the_table() -> None:
    kinds = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, CatalogueProblem) and cls is not CatalogueProblem
    ]
    assert len(kinds) >= 12
    for cls in kinds:
        assert any(base in DOMAIN_ERRORS for base in cls.__mro__), cls.__name__


def test_an_unknown_kind_is_an_unhandled_error(caplog) -> None:
    class Surprise(CatalogueProblem):
        pass

    assert domain_status(Surprise("secret detail")) is None
    with caplog.at_level(logging.ERROR, logger="errcat"):
        status, body, _ = answer(Surprise("secret detail"))
    assert (status, body["message"]) == (500, "Internal server error")
    assert "unhandled error" in caplog.text


def test_the_core_raises_domain_exceptions() -> None:
    with pytest.raises(CodeNotFound) as caught:
        find_code(SNAP, 1810)
    assert caught.value.number == 1810 and caught.value.namespace is None
    with pytest.raises(NumberUnknown):
        resolve_number(SNAP, 99999)
    with pytest.raises(InvalidFilter) as bad:
        filter_entries(SNAP, status="6xx")
    assert bad.value.field == "status" and bad.value.errors[0].startswith("status: status must")
    assert isinstance(BodyError("m", errors=[], suggested_fix="f"), InvalidBody)


def test_undocumented_code_fix_says_where_the_number_lies() -> None:
    assert undocumented_code_fix(SNAP, 1810) == (
        "1810 is undocumented but lies in the declared range 1800-1899 (ActionExecute); "
        "GET /ranges/resolve?code=1810 tells more."
    )
    assert undocumented_code_fix(SNAP, 2, "platform") == (
        "2 is documented in namespace thermos; leave out ?namespace= to see every entry."
    )
    assert undocumented_code_fix(SNAP, 99999).startswith(
        "99999 lies in no declared range; the nearest are "
    )
    with pytest.raises(CodeNotFound) as caught:
        find_code(SNAP, 1810, "thermos")
    assert caught.value.message == "Code 1810 is not documented in namespace thermos"
    assert caught.value.suggested_fix == undocumented_code_fix(SNAP, 1810, "thermos")
