"""The lookup API (statuses, services, ranges, resolution, slugs, Thermos), on both databases."""

from __future__ import annotations

import pytest

from tests.envelope_assertions import assert_envelope


def pairs(entries):
    return [(e["code"], e["service"], e["name"]) for e in entries]


# --- GET /codes ----------------------------------------------------------------------------


def test_status_422_lists_exactly_the_pages_422_entries(client):
    body = client.get("/codes?status=422").json()
    assert body["total"] == 6
    assert pairs(body["items"]) == [
        (1205, "TriggerInstance", "AuthRefreshRequired"),
        (1700, "Tool_Auth", "BadState"),
        (1704, "Tool_Auth", "BadCallbackState"),
        (1706, "Tool_Auth", "BadConnectedAccountState"),
        (3104, "TriggerRefresh", "RefreshNotPossible"),
        (10503, "HTTP", "BadState"),
    ]


def test_status_class_and_pagination(client):
    first = client.get("/codes?status=5xx&limit=3").json()
    assert (first["total"], first["limit"], first["offset"]) == (62, 3, 0)
    assert all(500 <= e["status"] <= 599 for e in first["items"])
    second = client.get("/codes?status=5xx&limit=3&offset=3").json()
    assert [e["code"] for e in first["items"] + second["items"]] == [
        e["code"] for e in client.get("/codes?status=5xx&limit=6").json()["items"]
    ]


def test_unfiltered_listing_covers_every_row_sorted_by_code_then_service(client):
    body = client.get("/codes?limit=500").json()
    assert body["total"] == 202
    keys = [(e["code"], e["service"]) for e in body["items"]]
    assert keys == sorted(keys)


def test_filters_combine(client):
    body = client.get("/codes?service=auth-config&status=400").json()
    assert [e["code"] for e in body["items"]] == [300, 301, 302, 303]
    assert client.get("/codes?service=Auth_Config&status=400").json() == body
    assert client.get("/codes?service=auth-config&status=5xx").json()["total"] == 1
    thermos = client.get("/codes?namespace=thermos").json()
    assert [e["code"] for e in thermos["items"]] == [1, 2, 3, 4, 5, 6]
    named = client.get("/codes?name=toolnotfound").json()
    assert pairs(named["items"]) == [
        (1800, "ActionExecute", "ToolNotFound"),
        (2301, "Labs", "ToolNotFound"),
        (2401, "Tool", "ToolNotFound"),
        (3703, "ComposioTools", "ToolNotFound"),
    ]


def test_text_search_is_case_insensitive_over_name_description_and_service(client):
    body = client.get("/codes?q=MAGIC%20LINK").json()
    assert {e["service"] for e in body["items"]} == {"MagicLink"}
    assert body["total"] == 4
    assert client.get("/codes?q=stripe").json()["total"] == 5  # Stripe + OrgStripeMapping


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("Tool_ToolNotFound", [(2401, "Tool", "ToolNotFound")]),
        ("ConnectedAccount_BadRequest", [(600, "ConnectedAccount", "BadRequest")]),
        (
            "ActionExecute_ConnectedAccountEntityIdMismatch",
            None,  # seen in the wild, not on the page: no entry
        ),
        ("HTTP_ResourceNotFound", [(10424, "HTTP", "ResourceNotFound")]),
        ("PrismaDatabase_ResourceNotFound", [(103, "Prisma/Database", "ResourceNotFound")]),
        ("Auth_Config_NotFound", [(302, "Auth_Config", "NotFound")]),
        ("tool_toolnotfound", [(2401, "Tool", "ToolNotFound")]),
    ],
)
def test_slug_lookup(client, slug, expected):
    items = client.get("/codes", params={"slug": slug}).json()["items"]
    assert pairs(items) == (expected or [])
    for item in items:
        assert item["slug"].lower() == slug.lower()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=abc", "status"),
        ("status=7xx", "status"),
        ("status=600", "status"),
        ("limit=-1", "limit"),
        ("limit=100000", "limit"),
        ("offset=-5", "offset"),
        ("namespace=moon", "namespace"),
        ("status=%D9%A4%D9%A0%D9%A4", "status"),  # Arabic-Indic digits
        ("status=%1C404%1F", "status"),  # control characters are not blanks
        ("service=Auth%01", "service"),
        ("name=" + "n" * 201, "name"),
        ("slug=a%00b", "slug"),
    ],
)
def test_invalid_filters_answer_400_naming_the_field(client, query, field):
    error = assert_envelope(client.get(f"/codes?{query}"), 400, 10400, "HTTP_BadRequest")
    assert any(field in e for e in error["errors"]), error


@pytest.mark.parametrize(
    "query",
    [
        "service=NoSuchService",
        "service=7q",
        "name=NoSuchName",
        "slug=No_Such",
        "q=zzzqqq",
        "status=418",
    ],
)
def test_well_formed_filters_that_match_nothing_answer_200_with_no_items(client, query):
    response = client.get(f"/codes?{query}")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["total"] == 0


@pytest.mark.parametrize(
    "path", ["/codes/%1C1205%1F", "/codes/%D9%A1%D9%A2%D9%A0%D9%A5", "/statuses/%E2%80%83404"]
)
def test_integers_are_ascii_digits_with_only_spaces_or_tabs_around(client, path):
    assert_envelope(client.get(path), 400, 10400, "HTTP_BadRequest")
    assert client.get("/codes/%201205%09").json()["code"] == 1205


# --- statuses ------------------------------------------------------------------------------


def test_statuses_count_entries(client):
    body = client.get("/statuses").json()
    counts = {s["status"]: s["entries"] for s in body["items"]}
    assert counts[422] == 6 and counts[503] == 1 and counts[429] == 1
    assert sum(counts.values()) == 202
    assert (
        client.get("/statuses/422").json()["entries"]
        == client.get("/codes?status=422").json()["items"]
    )
    assert_envelope(client.get("/statuses/418"), 404, 10424)
    assert_envelope(client.get("/statuses/teapot"), 400, 10400)


# --- services ------------------------------------------------------------------------------


def test_services_list_in_page_order(client):
    body = client.get("/services").json()
    assert body["total"] == 43
    names = [s["name"] for s in body["items"]]
    assert names[:3] == ["HTTP", "Auth", "Prisma/Database"] and names[-1] == "Database"
    project = next(s for s in body["items"] if s["name"] == "Project")
    assert (project["range_start"], project["range_end"], project["declared_ranges"]) == (
        1800,
        1899,
        [],
    )


@pytest.mark.parametrize("name", ["Auth_Config", "auth-config", "AUTH_CONFIG", "auth_config"])
def test_service_by_printed_or_url_friendly_name(client, name):
    body = client.get(f"/services/{name}").json()
    assert body["name"] == "Auth_Config"
    assert (body["range_start"], body["range_end"]) == (200, 299)
    assert body["declared_ranges"] == [{"start": 200, "end": 299, "service": "Auth_Config"}]
    assert [e["code"] for e in body["entries"]] == [300, 301, 302, 303, 304]


def test_service_with_a_slash_in_its_name(client):
    for path in (
        "/services/Prisma/Database",
        "/services/Prisma%2FDatabase",
        "/services/prisma-database",
    ):
        assert client.get(path).json()["name"] == "Prisma/Database"
    assert_envelope(client.get("/services/Nope"), 404, 10424, "HTTP_ResourceNotFound")


# --- ranges --------------------------------------------------------------------------------


def test_ranges_with_sections_and_counts(client):
    body = client.get("/ranges").json()
    assert body["total"] == 40
    by_start = {r["start"]: r for r in body["items"]}
    assert by_start[200]["entry_count"] == 0  # Auth_Config's codes are printed as 300-304
    assert by_start[300]["sections"] == [{"service": "Auth_Config", "entries": 5}]
    assert by_start[1800]["sections"] == [
        {"service": "ActionExecute", "entries": 7},
        {"service": "Project", "entries": 5},
    ]
    assert by_start[1100]["sections"] == [
        {"service": "Pusher", "entries": 2},
        {"service": "MCP", "entries": 6},
    ]


def test_resolve_a_code_documented_outside_its_heading_range(client):
    body = client.get("/ranges/resolve?code=1141").json()
    assert body["ranges"] == [{"start": 1100, "end": 1199, "service": "Pusher"}]
    assert pairs(body["entries"]) == [(1141, "MCP", "AuthConfigNotFound")]
    assert body["documented"] is True


@pytest.mark.parametrize("code", [1810, 1812])
def test_resolve_an_undocumented_code_names_its_range(client, code):
    body = client.get(f"/ranges/resolve?code={code}").json()
    assert body == {
        "code": code,
        "ranges": [{"start": 1800, "end": 1899, "service": "ActionExecute"}],
        "entries": [],
        "documented": False,
    }


def test_resolve_thermos_codes_have_no_platform_range(client):
    body = client.get("/ranges/resolve?code=2&namespace=thermos").json()
    assert body["ranges"] == [] and pairs(body["entries"]) == [(2, "Database", "DbNotFoundError")]


def test_resolve_outside_every_range_names_the_nearest(client):
    error = assert_envelope(client.get("/ranges/resolve?code=2950"), 404, 10424)
    assert "2800-2899 (ExternalProxy)" in error["suggested_fix"]
    assert "3000-3099 (Axios)" in error["suggested_fix"]
    assert_envelope(client.get("/ranges/resolve?code=x"), 400, 10400)
    assert_envelope(client.get("/ranges/resolve"), 400, 10400)


# --- Thermos error types --------------------------------------------------------------------


def test_error_types(client):
    body = client.get("/error-types").json()
    assert body["total"] == 10
    assert body["items"][0] == {
        "type": "json_decode",
        "description": "JSON decoding error",
        "namespace": "thermos",
    }
    assert client.get("/error-types/trigger_spec_not_found").json()["description"] == (
        "Trigger specification not found"
    )
    assert_envelope(client.get("/error-types/nope"), 404, 10424)


# --- shared behaviour ----------------------------------------------------------------------


def test_unknown_route_and_wrong_method_use_the_envelope(client):
    assert_envelope(client.get("/no/such/route"), 404, 10404, "HTTP_URLNotFound")
    error = assert_envelope(client.delete("/codes/1205"), 405, 10405, "HTTP_MethodNotAllowed")
    assert "DELETE" in error["message"]


def test_etag_and_conditional_get(client):
    first = client.get("/codes/1205")
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "public, no-cache"
    again = client.get("/codes/1205", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["x-request-id"]
    assert client.get("/ranges", headers={"If-None-Match": etag}).status_code == 304  # one version
    assert client.get("/codes/1205", headers={"If-None-Match": 'W/"0-stale"'}).status_code == 200
    # A condition never turns an error into a 304 (RFC 9110: only a 2xx answer is replaced).
    assert_envelope(client.get("/codes/99999", headers={"If-None-Match": etag}), 404, 10424)
    assert_envelope(client.get("/codes/abc", headers={"If-None-Match": "*"}), 400, 10400)
    assert client.get("/codes/1205", headers={"If-None-Match": "*"}).status_code == 304
    assert "etag" not in client.get("/health").headers


def test_head_is_answered_wherever_get_is(client):
    get = client.get("/codes/1205")
    head = client.head("/codes/1205")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["etag"] == get.headers["etag"] and head.headers["x-request-id"]
    assert client.head("/health").status_code == 200
    assert client.head("/codes/99999").status_code == 404
    assert (
        client.head("/codes/1205", headers={"If-None-Match": get.headers["etag"]}).status_code
        == 304
    )


def test_openapi_documents_every_route_with_its_error_envelope(client):
    schema = client.get("/schema/openapi.json").json()
    app_routes = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    for expected in [
        ("GET", "/codes/{code}"), ("GET", "/codes"), ("GET", "/statuses"),
        ("GET", "/statuses/{status}"), ("GET", "/services"), ("GET", "/services/{service}"),
        ("GET", "/ranges"), ("GET", "/ranges/resolve"), ("GET", "/error-types"),
        ("GET", "/error-types/{error_type}"), ("GET", "/ready"),
    ]:  # fmt: skip
        assert expected in app_routes
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if path == "/health":
                continue
            errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
            assert "500" in errors and "503" in errors, (method, path)
            for status, response in errors.items():
                content = response["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/ErrorEnvelope"), (method, path, status)
                assert content["examples"], (method, path, status)
    assert schema["paths"]["/codes/{code}"]["get"]["responses"].keys() >= {"200", "400", "404"}
    assert "ErrorBody" in schema["components"]["schemas"]
    assert client.get("/schema/swagger").status_code == 200


def test_integers_are_read_one_way_everywhere(client):
    for path in ("/codes/%D9%A1%D9%A2", "/ranges/resolve?code=1e3", "/ranges/resolve?code=%D9%A1"):
        error = assert_envelope(client.get(path), 400, 10400, "HTTP_BadRequest")
        assert "integer" in error["message"]
    assert "e.g. 422" in client.get("/statuses/abc").json()["error"]["suggested_fix"]


def test_errors_name_the_parameter_the_client_sent(client):
    error = assert_envelope(client.get("/catalogue/changes?from=0"), 400, 10400)
    assert error["errors"] == ["query parameter 'from': Expected `int` >= 1"]


def test_echoed_values_are_cut_short(client):
    error = assert_envelope(client.get("/codes", params={"service": "x" * 6000}), 400, 10400)
    assert len(error["suggested_fix"]) < 200 and all(len(e) < 200 for e in error["errors"])


def test_a_code_documented_in_another_namespace_says_so(client):
    error = assert_envelope(client.get("/codes/1205?namespace=thermos"), 404, 10424)
    assert "documented in namespace platform" in error["suggested_fix"]


def test_empty_filters_filter_nothing(client):
    everything = client.get("/codes?limit=5").json()
    assert client.get("/codes?limit=5&service=&status=&q=&name=&slug=").json() == everything
