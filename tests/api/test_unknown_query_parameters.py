"""Unknown or misspelt query parameters: a 400 in the envelope naming them and the accepted ones."""

from __future__ import annotations

from tests.envelope_assertions import assert_envelope


def test_a_misspelt_parameter_is_named_with_the_accepted_ones(client):
    error = assert_envelope(client.get("/codes?stauts=404"), 400, 10400, "HTTP_BadRequest")
    assert error["message"] == "Unknown query parameter 'stauts'"
    assert error["errors"] == [
        "query parameter 'stauts': not accepted",
        "accepted query parameters of GET /codes: action, code, limit, name, namespace, "
        "offset, origin, q, retryable, service, slug, status",
    ]
    assert "status" in error["suggested_fix"]


def test_several_unknown_parameters_are_each_named_once(client):
    error = assert_envelope(
        client.get("/codes/1205?a=1&b=2&a=3&namespace=platform"), 400, 10400, "HTTP_BadRequest"
    )
    assert error["message"] == "Unknown query parameters 'a', 'b'"
    assert error["errors"][-1] == "accepted query parameters of GET /codes/{code}: namespace"


def test_public_names_count_not_python_names(client):
    assert client.get("/catalogue/changes?from=1").status_code in (200, 404)
    error = assert_envelope(client.get("/catalogue/changes?start=1"), 400)
    assert "'start'" in error["message"] and "from" in error["errors"][-1]


def test_a_route_without_parameters_accepts_none(client):
    error = assert_envelope(client.get("/statuses?verbose=1"), 400)
    assert error["errors"][-1] == "accepted query parameters of GET /statuses: none"
    response = client.post("/validate-envelope?profil=strict", json={"error": {}})
    error = assert_envelope(response, 400)
    assert error["errors"][-1] == (
        "accepted query parameters of POST /validate-envelope: http_status, profile"
    )


def test_declared_parameters_repeated_or_empty_still_pass(client):
    assert client.get("/codes?code=1205&code=1800&service=").status_code == 200
    assert client.get("/codes/1205?namespace=platform").status_code == 200


def test_hostile_names_are_quoted_and_capped(client):
    query = "&".join(f"x{i}=1" for i in range(30)) + "&%0a%1b=1"
    error = assert_envelope(client.get(f"/codes?{query}"), 400)
    assert error["message"].endswith("and 21 more")
    assert "\n" not in error["message"]
    assert len(error["errors"]) == 11


def test_pages_are_not_checked(client):
    assert client.get("/?utm_source=mail&q=auth").status_code == 200
    page = client.get("/codes/1205?utm_source=mail", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/schema/openapi.json?v=1").status_code == 200


def test_unknown_parameters_answer_problem_details_when_asked(client):
    response = client.get("/codes?limt=5", headers={"Accept": "application/problem+json"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown query parameter 'limt'"
