"""Many codes at once: GET /codes?code=...&code=... and POST /codes/lookup, on both databases."""

from __future__ import annotations

import json

import pytest

from tests.envelope_assertions import assert_envelope


def _names(entries):
    return [(e["code"], e["service"], e["name"]) for e in entries]


# --- GET /codes?code= -------------------------------------------------------------------------


def test_repeated_code_parameter_answers_exactly_those_entries(client):
    body = client.get("/codes?code=1205&code=1800").json()
    assert _names(body["items"]) == [
        (1205, "TriggerInstance", "AuthRefreshRequired"),
        (1800, "ActionExecute", "ToolNotFound"),
        (1800, "Project", "BadRequest"),
    ]
    assert body["total"] == 3


def test_code_parameter_combines_with_the_other_filters(client):
    both = client.get("/codes?code=10503").json()["items"]
    assert _names(both) == [(10503, "HTTP", "ServiceUnavailable"), (10503, "HTTP", "BadState")]
    one = client.get("/codes?code=10503&status=422").json()["items"]
    assert _names(one) == [(10503, "HTTP", "BadState")]
    assert client.get("/codes?code=1810").json() == {
        "items": [],
        "total": 0,
        "limit": 100,
        "offset": 0,
    }


def test_an_empty_code_parameter_filters_nothing(client):
    assert client.get("/codes?code=&limit=500").json()["total"] == 202


@pytest.mark.parametrize("raw", ["abc", "12.5", "١٢٠٥", "99999999999999999999999"])
def test_a_non_integer_code_parameter_is_a_400(client, raw):
    error = assert_envelope(client.get("/codes", params={"code": ["1205", raw]}), 400, 10400)
    assert "code must be an integer" in error["message"]


def test_more_than_1000_code_parameters_is_a_400(client):
    ok = client.get("/codes", params={"code": [str(1200 + i % 7) for i in range(1000)]})
    assert ok.status_code == 200 and ok.json()["total"] == 7
    error = assert_envelope(client.get("/codes", params={"code": ["1205"] * 1001}), 400, 10400)
    assert "At most 1000" in error["message"]


# --- POST /codes/lookup -----------------------------------------------------------------------


def lookup(client, body, **headers):
    return client.post(
        "/codes/lookup",
        content=json.dumps(body),
        headers={"content-type": "application/json", **headers},
    )


def test_lookup_answers_each_number_in_request_order(client):
    response = lookup(client, {"codes": [1810, 1205, 10503, 99999, 1450, 1205]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["code"] for i in body["items"]] == [1810, 1205, 10503, 99999, 1450, 1205]
    assert (body["total"], body["documented"], body["undocumented"]) == (6, 3, 3)
    undocumented, documented, twice, far, between, again = body["items"]
    # Undocumented but inside a declared range: the range, no entries.
    assert undocumented["documented"] is False and undocumented["entries"] == []
    assert undocumented["ranges"] == [{"start": 1800, "end": 1899, "service": "ActionExecute"}]
    assert undocumented["nearest_ranges"] == []
    # Documented: the entries as GET /codes/{code} gives them.
    assert documented["documented"] is True
    assert documented["entries"] == client.get("/codes/1205").json()["entries"]
    assert documented == again
    # A number the page lists twice: both entries.
    assert _names(twice["entries"]) == [
        (10503, "HTTP", "ServiceUnavailable"),
        (10503, "HTTP", "BadState"),
    ]
    # In no range: the nearest declared ranges, below and above.
    assert far["ranges"] == [] and far["documented"] is False
    assert far["nearest_ranges"] == [{"start": 10000, "end": 10999, "service": "HTTP"}]
    assert [r["service"] for r in between["nearest_ranges"]] == ["JWT", "Stripe"]


def test_lookup_namespace_narrows_every_number(client):
    thermos = lookup(client, {"codes": [2, 1205], "namespace": "thermos"}).json()["items"]
    assert [i["documented"] for i in thermos] == [True, False]
    assert thermos[0]["entries"][0]["namespace"] == "thermos"
    platform = lookup(client, {"codes": [2], "namespace": "platform"}).json()["items"]
    assert platform[0]["documented"] is False


def test_lookup_takes_1000_codes_and_refuses_1001(client):
    ok = lookup(client, {"codes": list(range(1000, 2000))})
    assert ok.status_code == 200 and ok.json()["total"] == 1000
    error = assert_envelope(lookup(client, {"codes": list(range(1001))}), 400, 10400)
    assert error["message"] == "At most 1000 codes per lookup; the body has 1001"
    assert error["errors"] == ["codes: 1001 items, at most 1000"]


def test_an_empty_lookup_answers_nothing(client):
    assert lookup(client, {"codes": []}).json() == {
        "items": [],
        "total": 0,
        "documented": 0,
        "undocumented": 0,
    }


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("1205", 'the string "1205"'),
        (1205.5, "the number 1205.5"),
        (True, "the boolean true"),
        (None, "null"),
        ([1205], "an array of 1 element"),
        (10**18, "the integer 1000000000000000000"),
        (-1, "the integer -1"),
    ],
)
def test_a_non_integer_is_a_400_naming_its_index(client, value, described):
    error = assert_envelope(lookup(client, {"codes": [1205, 1810, value]}), 400, 10400)
    assert error["message"] == (
        f"codes[2] must be an integer of at most 18 digits and no sign, not {described}"
    )
    assert error["errors"] == [f"codes[2]: expected an integer, got {described}"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1205], 'The body must be an object with a "codes" array, not an array of 1 element'),
        ({}, '"codes" must be an array of integers, not missing'),
        ({"codes": 1205}, '"codes" must be an array of integers, not the integer 1205'),
        ({"codes": [1], "code": [2]}, "Invalid lookup body: Object contains unknown field `code`"),
        ({"codes": [1], "namespace": "galaxy"}, "Invalid lookup body at namespace: Invalid enum"),
    ],
)
def test_a_malformed_body_is_a_400(client, body, message):
    error = assert_envelope(lookup(client, body), 400, 10400)
    assert error["message"].startswith(message)


def test_invalid_json_and_wrong_content_type(client):
    bad = client.post(
        "/codes/lookup", content=b"{codes", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in assert_envelope(bad, 400, 10400)["message"]
    text = client.post("/codes/lookup", content=b"{}", headers={"content-type": "text/plain"})
    assert_envelope(text, 415)


def test_openapi_documents_the_bulk_lookup(client):
    spec = client.get("/schema/openapi.json").json()
    post = spec["paths"]["/codes/lookup"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["codes"]
    assert schema["properties"]["codes"]["maxItems"] == 1000
    assert schema["properties"]["codes"]["items"]["type"] == "integer"
    assert schema["properties"]["codes"]["items"]["minimum"] == 0  # no sign
    assert {"200", "400", "413", "415"} <= set(post["responses"])
    params = {p["name"]: p for p in spec["paths"]["/codes"]["get"]["parameters"]}
    assert params["code"]["schema"]["maxItems"] == 1000
    assert params["code"]["schema"]["items"]["pattern"] == r"^[ \t]*([0-9]{1,18})?[ \t]*$"


def test_a_whole_number_written_with_a_fraction_is_an_integer(client):
    # JSON Schema's "integer", which the OpenAPI documents, includes 1205.0 (schemathesis found
    # the lookup refusing it).
    answer = lookup(client, {"codes": [1205.0]})
    assert answer.status_code == 200
    assert answer.json()["items"][0]["code"] == 1205
