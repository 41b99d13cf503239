"""RFC 9457 problem details: negotiated for errcat's own errors, and the two conversions."""

from __future__ import annotations

from tests.envelope_assertions import assert_envelope

PROBLEM = "application/problem+json"


def test_accept_problem_json_turns_an_error_into_problem_details(client):
    response = client.get(
        "/codes/99999999", headers={"Accept": PROBLEM, "X-Request-ID": "trace-pd-1"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "trace-pd-1"
    assert response.headers["cache-control"] == "no-store"
    problem = response.json()
    assert problem["type"] == "http://testserver.local/codes/10424"
    assert problem["title"] == "ResourceNotFound"
    assert problem["status"] == 404
    assert problem["detail"] == "Code 99999999 is not documented"
    assert problem["instance"] == "urn:request:trace-pd-1"
    assert (problem["code"], problem["slug"]) == (10424, "HTTP_ResourceNotFound")
    assert problem["request_id"] == "trace-pd-1"
    assert "nearest" in problem["suggested_fix"]
    assert "error" not in problem


def test_validation_errors_keep_their_errors_list_as_an_extension(client):
    response = client.get("/codes/abc", headers={"Accept": PROBLEM})
    problem = response.json()
    assert response.status_code == 400 and problem["status"] == 400
    assert problem["title"] == "BadRequest" and problem["type"].endswith("/codes/10400")
    assert problem["errors"] == [
        "code: expected an integer of at most 18 ASCII digits, with no sign"
    ]


def test_a_route_that_does_not_exist_answers_problem_details_too(client):
    response = client.get("/no/such/route", headers={"Accept": f"{PROBLEM}, */*;q=0.1"})
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "URLNotFound"


def test_the_envelope_stays_the_default(client):
    for accept in (
        None,
        "*/*",
        "application/json",
        "application/*",
        f"application/json, {PROBLEM}",
    ):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/codes/99999999", headers=headers)
        assert_envelope(response, 404, 10424, "HTTP_ResourceNotFound")
        assert response.headers["content-type"] == "application/json"
        # /codes/{code} answers HTML, JSON or problem details by Accept: it says so.
        assert "accept" in response.headers["vary"].lower()
    ranked = client.get("/codes/abc", headers={"Accept": f"application/json;q=0.5, {PROBLEM}"})
    assert ranked.headers["content-type"] == PROBLEM


def test_successful_answers_are_unchanged_by_the_problem_accept(client):
    response = client.get("/codes/1205", headers={"Accept": f"{PROBLEM}, application/json;q=0.9"})
    assert response.status_code == 200
    assert response.json()["code"] == 1205


ENVELOPE = {
    "error": {
        "message": "Authentication refresh required",
        "code": 1205,
        "slug": "TriggerInstance_AuthRefreshRequired",
        "status": 422,
        "request_id": "req_abc123",
        "suggested_fix": "Reconnect",
        "errors": ["token expired"],
    }
}


def test_convert_an_envelope_to_problem_details_and_back(client):
    response = client.post("/convert/problem-details", json=ENVELOPE)
    assert response.status_code == 200
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem == {
        "type": "http://testserver.local/codes/1205",
        "title": "AuthRefreshRequired",
        "status": 422,
        "detail": "Authentication refresh required",
        "instance": "urn:request:req_abc123",
        "code": 1205,
        "slug": "TriggerInstance_AuthRefreshRequired",
        "request_id": "req_abc123",
        "suggested_fix": "Reconnect",
        "errors": ["token expired"],
    }
    back = client.post("/convert/envelope", json=problem, headers={"Content-Type": PROBLEM})
    assert back.status_code == 200 and back.headers["content-type"] == "application/json"
    assert back.json() == ENVELOPE


def test_convert_envelope_derives_code_slug_and_request_id(client):
    problem = {
        "type": "https://errcat.example/codes/1205",
        "title": "AuthRefreshRequired",
        "status": 422,
        "instance": "urn:request:req_9",
    }
    envelope = client.post("/convert/envelope", json=problem).json()
    assert envelope == {
        "error": {
            "message": "AuthRefreshRequired",
            "code": 1205,
            "slug": "TriggerInstance_AuthRefreshRequired",
            "status": 422,
            "request_id": "req_9",
        }
    }


def test_convert_names_every_missing_member(client):
    error = assert_envelope(
        client.post("/convert/problem-details", json={"error": {"code": "1205"}}),
        400,
        10400,
        "HTTP_BadRequest",
    )
    assert error["errors"] == [
        "error.message: required, missing",
        'error.code: expected an integer from 0 to 999999999999999999, got the string "1205"',
        "error.status: required, missing",
    ]
    error = assert_envelope(
        client.post("/convert/envelope", json={"type": "about:blank"}),
        400,
        10400,
        "HTTP_BadRequest",
    )
    assert error["errors"] == [
        "status: required, missing",
        "detail: required (or title), both missing",
        "code: required, missing (neither a code member nor a type ending /codes/<code>)",
    ]
    for body in ([], "x", {"error": 3}):
        assert client.post("/convert/problem-details", json=body).status_code == 400


def test_convert_envelope_without_a_slug_needs_a_documented_code(client):
    body = {"status": 404, "detail": "gone", "code": 99999999}
    error = assert_envelope(
        client.post("/convert/envelope", json=body), 404, 10424, "HTTP_ResourceNotFound"
    )
    assert error["errors"] == ["slug: missing, and code 99999999 with status 404 names no entry"]
    body["slug"] = "Gateway_Gone"
    envelope = client.post("/convert/envelope", json=body).json()["error"]
    assert (envelope["code"], envelope["slug"]) == (99999999, "Gateway_Gone")


def test_null_members_are_refused_and_whole_numbers_are_integers(client):
    body = {"status": 422.0, "detail": "x", "code": 1205, "slug": None}
    error = assert_envelope(client.post("/convert/envelope", json=body), 400)
    assert error["errors"] == ["slug: expected a string, got null"]
    del body["slug"]
    assert client.post("/convert/envelope", json=body).json()["error"]["status"] == 422
    envelope = {"error": {"message": "m", "code": 1205.0, "status": 422, "request_id": None}}
    error = assert_envelope(client.post("/convert/problem-details", json=envelope), 400)
    assert error["errors"] == ["error.request_id: expected a string, got null"]
    error = assert_envelope(
        client.post("/convert/envelope", json={"status": 400, "detail": "", "code": 1}), 400
    )
    assert error["errors"] == ['detail: expected a non-empty string, got the string ""']


def test_convert_refuses_what_is_not_json(client):
    response = client.post(
        "/convert/envelope", content=b"status=404", headers={"Content-Type": "text/plain"}
    )
    assert_envelope(response, 415, 10415, "HTTP_UnsupportedMediaType")
    response = client.post(
        "/convert/problem-details", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 400, 10400, "HTTP_BadRequest")
