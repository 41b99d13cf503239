"""app.catalogue.problem: envelope <-> RFC 9457 problem details, pure."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.catalogue.build import build_snapshot
from app.catalogue.errors import InvalidBody, NotFound
from app.catalogue.model import CatalogueVersion
from app.catalogue.problem import (
    code_page_url,
    envelope_to_problem,
    problem_to_envelope,
    title_for,
)
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
BASE = "https://errcat.example/"


def test_type_is_the_code_page_on_the_base_url():
    assert code_page_url(BASE, 1205) == "https://errcat.example/codes/1205"
    assert code_page_url("http://h:8000", 3) == "http://h:8000/codes/3"


def test_title_is_the_entry_the_envelope_designates():
    assert title_for(SNAP, 1205, 422, None) == "AuthRefreshRequired"
    # 10503 is listed twice: the slug (else the status) picks the entry.
    entries = SNAP.by_code[10503]
    assert len(entries) == 2
    for entry in entries:
        assert title_for(SNAP, 10503, 0, entry.slug) == entry.name
    assert title_for(SNAP, 99999999, 418, None) == "I'm a Teapot"  # undocumented: the phrase
    assert title_for(None, 1205, 404, None) == "Not Found"
    assert title_for(SNAP, 99999999, 599, None) == "Error"


def test_envelope_to_problem_keeps_every_field():
    problem = envelope_to_problem(
        SNAP,
        {"error": {"message": "m", "code": 1205, "status": 422, "errors": ["a"]}},
        BASE,
    )
    assert msgspec.to_builtins(problem) == {
        "type": "https://errcat.example/codes/1205",
        "title": "AuthRefreshRequired",
        "status": 422,
        "detail": "m",
        "code": 1205,
        "errors": ["a"],
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], ["body: expected an object, got an array of 0 elements"]),
        ({}, ["error: expected an object, got null"]),
        (
            {"error": {"message": "", "code": True, "status": 99}},
            [
                'error.message: expected a non-empty string, got the string ""',
                "error.code: expected an integer from 0 to 999999999999999999, "
                "got the boolean true",
                "error.status: expected an integer from 100 to 599, got the integer 99",
            ],
        ),
        (
            {"error": {"message": "m", "code": 1, "status": 400, "errors": [1]}},
            ["error.errors: expected an array of strings, got an array of 1 element"],
        ),
    ],
)
def test_a_bad_envelope_names_every_problem(body, errors):
    with pytest.raises(InvalidBody) as caught:
        envelope_to_problem(SNAP, body, BASE)
    assert caught.value.errors == errors


def test_problem_to_envelope_reads_the_code_from_type_and_the_id_from_instance():
    envelope = problem_to_envelope(
        SNAP,
        {"type": "https://x/codes/1205/", "title": "T", "status": 422, "instance": "urn:request:r"},
    )
    assert msgspec.to_builtins(envelope) == {
        "error": {
            "message": "T",
            "code": 1205,
            "slug": "TriggerInstance_AuthRefreshRequired",
            "status": 422,
            "request_id": "r",
        }
    }


def test_problem_without_slug_for_an_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        problem_to_envelope(SNAP, {"status": 404, "detail": "d", "code": 99999999})


_text = st.text(min_size=1, max_size=20)


@given(
    code=st.sampled_from(sorted(SNAP.by_code)),
    message=_text,
    request_id=st.none() | _text,
    suggested_fix=st.none() | st.text(max_size=20),
    errors=st.lists(st.text(max_size=10), max_size=3),
)
def test_envelope_to_problem_and_back_is_the_same_envelope(
    code, message, request_id, suggested_fix, errors
):
    entry = SNAP.by_code[code][0]
    error = {"message": message, "code": code, "slug": entry.slug, "status": entry.status}
    if request_id is not None:
        error["request_id"] = request_id
    if suggested_fix is not None:
        error["suggested_fix"] = suggested_fix
    if errors:
        error["errors"] = errors
    problem = msgspec.to_builtins(envelope_to_problem(SNAP, {"error": error}, BASE))
    assert problem["type"] == f"https://errcat.example/codes/{code}"
    back = msgspec.to_builtins(problem_to_envelope(SNAP, problem))
    assert back == {"error": error}
