"""One rule for every integer a request names: 1 to 18 ASCII digits, only spaces or tabs around
them, no sign. Paths, query parameters, the HTML pages and bulk lookup all keep it (a 400 in the
envelope otherwise), and ?offset= is bounded as ?limit= is. On both databases."""

from __future__ import annotations

import pytest

from app.api.common import MAX_OFFSET
from tests.envelope_assertions import assert_envelope

HTML = {"Accept": "text/html"}
NOT_DIGITS = ["code: expected an integer of at most 18 ASCII digits, with no sign"]


@pytest.mark.parametrize("raw", ["+1205", "-1", "%2B1205", "-0", "+0"])
def test_a_signed_code_in_the_path_is_a_400_like_any_malformed_integer(client, raw):
    client.get("/codes/1205")  # the computed fast path has learnt the route's answer
    for _ in range(2):  # and a second time, when the cache could answer
        error = assert_envelope(client.get(f"/codes/{raw}"), 400, 10400, "HTTP_BadRequest")
        assert error["errors"] == NOT_DIGITS
        assert "no sign" in error["message"]
    assert client.get(f"/codes/{raw}", headers=HTML).status_code == 400


@pytest.mark.parametrize("raw", ["+404", "-404", "%2B404"])
def test_a_signed_status_in_the_path_is_a_400(client, raw):
    error = assert_envelope(client.get(f"/statuses/{raw}"), 400, 10400)
    assert error["errors"] == [
        "status: expected an integer of at most 18 ASCII digits, with no sign"
    ]


@pytest.mark.parametrize("query", ["code=%2B5", "code=-5", "code=-0"])
def test_a_signed_code_to_resolve_is_a_400(client, query):
    error = assert_envelope(client.get(f"/ranges/resolve?{query}"), 400, 10400)
    assert error["errors"] == NOT_DIGITS


def test_a_plus_in_a_query_string_is_a_space_as_forms_encode_it(client):
    # ?code=+5 is the form encoding of " 5": ASCII digits with a space around them.
    assert client.get("/ranges/resolve?code=+5").json()["code"] == 5
    assert client.get("/ranges/resolve?code=%205").json()["code"] == 5


@pytest.mark.parametrize("query", ["code=-1", "code=%2B1205", "code=1205&code=-1800"])
def test_a_signed_code_filter_is_a_400(client, query):
    error = assert_envelope(client.get(f"/codes?{query}"), 400, 10400)
    assert error["errors"] == NOT_DIGITS


def test_a_negative_code_to_look_up_in_bulk_is_a_400_naming_its_index(client):
    error = assert_envelope(client.post("/codes/lookup", json={"codes": [1205, -1]}), 400, 10400)
    assert error["errors"] == ["codes[1]: expected an integer, got the integer -1"]


@pytest.mark.parametrize("parameter", ["offset", "limit"])
def test_offset_and_limit_past_their_bound_are_a_400(client, parameter):
    error = assert_envelope(client.get(f"/codes?{parameter}=99999999999999999999"), 400, 10400)
    assert any(f"'{parameter}'" in line for line in error["errors"]), error


def test_the_largest_offset_is_answered_and_one_more_is_a_400(client):
    body = client.get(f"/codes?offset={MAX_OFFSET}").json()
    assert body["items"] == [] and body["offset"] == MAX_OFFSET and body["total"] > 0
    error = assert_envelope(client.get(f"/codes?offset={MAX_OFFSET + 1}"), 400, 10400)
    assert error["errors"] == [f"query parameter 'offset': Expected `int` <= {MAX_OFFSET}"]
    parameters = client.get("/schema/openapi.json").json()["paths"]["/codes"]["get"]["parameters"]
    (offset,) = [p for p in parameters if p["name"] == "offset"]
    assert offset["schema"]["maximum"] == MAX_OFFSET


@pytest.mark.parametrize("code", [-6378749, 10**18])
def test_a_conversion_refuses_a_code_whose_page_would_not_answer(client, code):
    envelope = {"error": {"message": "m", "code": code, "status": 422}}
    error = assert_envelope(client.post("/convert/problem-details", json=envelope), 400, 10400)
    assert error["errors"] == [
        f"error.code: expected an integer from 0 to {10**18 - 1}, got the integer {code}"
    ]
    problem = {"status": 422, "detail": "d", "code": code}
    headers = {"Content-Type": "application/problem+json"}
    assert_envelope(client.post("/convert/envelope", json=problem, headers=headers), 400, 10400)
    signed_type = {"status": 422, "detail": "d", "type": "https://errcat.example/codes/-5"}
    assert_envelope(client.post("/convert/envelope", json=signed_type, headers=headers), 400)


def test_a_converted_problem_s_type_is_a_page_that_answers(client):
    for code in (1205, 0, 10**18 - 1):
        envelope = {"error": {"message": "m", "code": code, "status": 422}}
        problem = client.post("/convert/problem-details", json=envelope).json()
        path = problem["type"].removeprefix(str(client.base_url))
        assert path == f"/codes/{code}"
        assert client.get(path).status_code in (200, 404)
