"""POST /validate-envelope/batch keeps to its OpenAPI document both ways: the document bounds
every value of a batch, a body it allows is never refused for its size, and a body beyond one
of its bounds is a 400 naming where. On both databases."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from app.catalogue.envelope_batch import BATCH_ITEM, MAX_BATCH, MAX_BATCH_BYTES, max_batch_bytes
from tests.envelope_assertions import assert_envelope
from tests.unit.test_envelope_batch import GOOD, largest

BATCH = "/validate-envelope/batch"
FUZZ_CONFIG = Path(__file__).resolve().parents[2] / "scripts" / "schemathesis.toml"


def unbounded(schema: dict[str, Any], where: str = "") -> list[str]:
    """The places where ``schema`` allows a value of no bounded size."""
    if "anyOf" in schema:
        branches = enumerate(schema["anyOf"])
        return [p for i, branch in branches for p in unbounded(branch, f"{where}/anyOf/{i}")]
    if "type" not in schema:
        return [f"{where}: any value"]
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    problems = []
    if "string" in types and "maxLength" not in schema:
        problems.append(f"{where}: a string of any length")
    if {"number", "integer"} & set(types) and not {"minimum", "maximum"} <= set(schema):
        problems.append(f"{where}: a number of any size")
    if "array" in types:
        if "maxItems" not in schema:
            problems.append(f"{where}: an array of any length")
        problems += unbounded(schema.get("items", {}), f"{where}/items")
    if "object" in types:
        if "maxProperties" not in schema or "maxLength" not in schema.get("propertyNames", {}):
            problems.append(f"{where}: an object of any size")
        for name, member in schema.get("properties", {}).items():
            problems += unbounded(member, f"{where}/properties/{name}")
        problems += unbounded(schema.get("additionalProperties", {}), f"{where}/additional")
    return problems


def test_the_document_bounds_every_value_of_a_batch(client):
    operation = client.get("/schema/openapi.json").json()["paths"][BATCH]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["maxItems"] == MAX_BATCH
    assert unbounded(schema) == []


def test_the_largest_batch_the_document_allows_is_answered_not_refused(client):
    body = json.dumps([largest(BATCH_ITEM)] * MAX_BATCH).encode()
    assert len(body) == max_batch_bytes() <= MAX_BATCH_BYTES
    response = client.post(BATCH, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["total"] == MAX_BATCH


def test_an_envelope_beyond_a_bound_is_a_400_naming_it(client):
    long_message = {"error": {**GOOD["error"], "message": "m" * 161}}
    error = assert_envelope(client.post(BATCH, json=[GOOD, long_message]), 400, 10400)
    assert error["message"] == (
        "Envelope 1 of the batch is larger than a batch takes: "
        "/error/message is a string of 161 characters, at most 160"
    )
    assert "/validate-envelope" in error["suggested_fix"]
    # the same envelope alone is reported on, as any JSON is
    assert client.post("/validate-envelope", json=long_message).json()["valid"] is True


def test_the_fuzzing_configuration_makes_no_exception():
    assert tomllib.loads(FUZZ_CONFIG.read_text()) == {}
