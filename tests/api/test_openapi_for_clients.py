"""The OpenAPI document as client generators read it: operation ids, typed path parameters,
shared enums, documented headers, the validator's rule ids."""

from __future__ import annotations

import re

import pytest

from app.catalogue.envelope_report import RULES
from app.catalogue.model import NAMESPACES
from app.catalogue.vocabulary import Namespace

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(client):
    return client.get("/schema/openapi.json").json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_operation_ids_are_readable_camel_case_and_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i) for i in ids), ids
    by_route = {(m, p): op["operationId"] for p, m, op in operations(document)}
    assert by_route[("get", "/codes/{code}")] == "getCode"
    assert by_route[("get", "/codes")] == "listCodes"
    assert by_route[("get", "/ranges/resolve")] == "resolveRange"
    assert by_route[("post", "/validate-envelope")] == "validateEnvelope"
    assert by_route[("post", "/validate-envelope/batch")] == "validateEnvelopeBatch"
    assert by_route[("post", "/convert/problem-details")] == "convertToProblemDetails"


def test_integer_path_parameters_are_typed_integer(document, client):
    for path in ("/codes/{code}", "/statuses/{status}"):
        (parameter,) = [
            p for p in document["paths"][path]["get"]["parameters"] if p["in"] == "path"
        ]
        assert parameter["schema"]["type"] == "integer"
        assert "pattern" not in parameter["schema"]
        assert parameter["schema"]["minimum"] == 0  # no sign: ASCII digits only
    # What the schema calls an integer is answered; the rest keeps errcat's own 400.
    assert client.get("/codes/999999999999999999").status_code == 404
    for bad in ("abc", "1.5", "1e3", "%D9%A1%D9%A2", "1000000000000000000", "-5", "+5"):
        response = client.get(f"/codes/{bad}")
        assert response.status_code == 400, bad
        assert response.json()["error"]["errors"] == [
            "code: expected an integer of at most 18 ASCII digits, with no sign"
        ]


def test_shared_enums_are_components(document):
    schemas = document["components"]["schemas"]
    assert schemas["Namespace"]["enum"] == list(NAMESPACES) == [n.value for n in Namespace]
    assert schemas["Profile"]["enum"] == ["lenient", "strict"]
    refs = {
        (path, method): [
            p["schema"] for p in op.get("parameters", []) if p["name"] in ("namespace", "profile")
        ]
        for path, method, op in operations(document)
    }
    ref_namespace = {"oneOf": [{"$ref": "#/components/schemas/Namespace"}, {"type": "null"}]}
    for route in (("/codes", "get"), ("/codes/{code}", "get"), ("/services", "get")):
        assert {k: v for k, v in refs[route][0].items() if k != "description"} == ref_namespace
    for route in (("/validate-envelope", "post"), ("/validate-envelope/batch", "post")):
        assert refs[route][0]["allOf"] == [{"$ref": "#/components/schemas/Profile"}]


def test_finding_rule_is_an_enum_of_the_rule_ids(document):
    schemas = document["components"]["schemas"]
    assert schemas["EnvelopeFinding"]["properties"]["rule"] == {
        "$ref": "#/components/schemas/EnvelopeRule"
    }
    assert schemas["EnvelopeRule"]["enum"] == list(RULES)


def test_request_and_cache_headers_are_documented(document):
    for path, method, op in operations(document):
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        assert headers["X-Request-ID"]["required"] is False, (method, path)
        for status, response in op["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (method, path, status)
    code = document["paths"]["/codes/{code}"]["get"]
    assert {p["name"] for p in code["parameters"] if p["in"] == "header"} == {
        "If-None-Match",
        "X-Request-ID",
    }
    assert {"ETag", "Cache-Control", "X-Request-ID"} <= set(code["responses"]["200"]["headers"])
    assert "304" in code["responses"]
    validate = document["paths"]["/validate-envelope"]["post"]
    assert "If-None-Match" not in {p["name"] for p in validate["parameters"]}
    assert "ETag" not in validate["responses"]["200"]["headers"]


def test_documented_headers_are_what_the_service_sends(client):
    first = client.get("/codes/1205", headers={"X-Request-ID": "doc-1"})
    assert first.headers["x-request-id"] == "doc-1"
    assert first.headers["etag"] and first.headers["cache-control"]
    again = client.get("/codes/1205", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]


def test_error_answers_document_problem_details_too(document):
    response = document["paths"]["/codes/{code}"]["get"]["responses"]["404"]
    assert response["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    assert "ProblemDetails" in document["components"]["schemas"]
