"""Facts declared once: the envelope's fields, the breaking-change rules, quoting, the ETag."""

from __future__ import annotations

import re
import string

import msgspec
import pytest

from app.api.caching import etag_of
from app.api.envelopes import ENVELOPE_SCHEMA
from app.catalogue.breaking import BREAKING_KINDS, CHANGE_RULES, BreakingChange
from app.catalogue.build import build_snapshot
from app.catalogue.envelope import field_rules
from app.catalogue.envelope_fields import (
    ENVELOPE_FIELDS,
    PLATFORM_OPENAPI_ERROR,
    REQUIRED_BY_BOTH,
)
from app.catalogue.model import CatalogueVersion
from app.catalogue.text import quote
from app.error_envelope import ErrorBody, error_responses
from app.seeds import load_seed

SEED = load_seed()
NAMES = [f.name for f in ENVELOPE_FIELDS]


def test_error_body_is_the_field_table() -> None:
    assert list(ErrorBody.__struct_fields__) == NAMES
    python = {"string": str, "integer": int, "array": list[str]}
    for field, info in zip(ENVELOPE_FIELDS, msgspec.structs.fields(ErrorBody), strict=True):
        assert info.type == python[field.type]
    # errcat's own errors satisfy both descriptions: everything is sent, arrays default empty.
    assert [f.name for f in msgspec.structs.fields(ErrorBody) if not f.required] == ["errors"]


def test_the_validator_reads_the_field_table() -> None:
    rules = field_rules(SEED.envelope)
    assert [r.name for r in rules] == NAMES
    for field, rule in zip(ENVELOPE_FIELDS, rules, strict=True):
        assert rule.type == field.type
        page = "the catalogue page" in rule.required_by
        platform = "the Platform API's Error schema" in rule.required_by
        assert (page, platform) == (bool(field.page), field.platform), field.name
    assert [(f.name, f.type, f.required) for f in PLATFORM_OPENAPI_ERROR] == [
        (f.name, f.type, f.platform) for f in ENVELOPE_FIELDS
    ]


def test_the_tables_page_column_is_the_seeded_page() -> None:
    seeded = {f.name: (f.type, f.required) for f in SEED.envelope}
    declared = {f.name: (f.type, f.page) for f in ENVELOPE_FIELDS if f.page is not None}
    assert declared == seeded


def test_documentation_derives_from_the_field_table() -> None:
    error = ENVELOPE_SCHEMA.properties["error"]
    assert list(error.properties) == NAMES
    assert error.required == list(REQUIRED_BY_BOTH) == ["message", "code", "status"]
    for status, spec in error_responses(400, 404).items():
        example = spec.examples[0].value["error"]
        assert list(example) == NAMES and example["status"] == status
        msgspec.convert(example, ErrorBody)  # a valid body of the declared type


def test_breaking_kinds_come_from_the_rule_table() -> None:
    breaking = [r for r in CHANGE_RULES if r.breaking]
    assert tuple(r.kind for r in breaking) == BREAKING_KINDS
    assert len({r.kind for r in CHANGE_RULES}) == len(CHANGE_RULES)
    kind_schema = msgspec.json.schema(BreakingChange)["$defs"]["BreakingChange"]
    assert sorted(kind_schema["properties"]["kind"]["enum"]) == sorted(BREAKING_KINDS)
    for rule in breaking:
        assert rule.facts is not None and rule.message, rule.kind
        fields = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        assert fields, rule.kind
    for rule in CHANGE_RULES:
        if not rule.breaking:
            assert rule.facts is None and not rule.message, rule.kind


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("abc",), "'abc'"),
        (("a" * 41,), repr("a" * 40) + "…"),
        (("a" * 40,), repr("a" * 40)),
        (("a" * 61, 60), repr("a" * 60) + "…"),
    ],
)
def test_quote_repr_style(args, expected) -> None:
    assert quote(*args) == expected


def test_quote_variants() -> None:
    assert quote("a" * 45, mark_cut=False) == repr("a" * 40)
    assert quote('say "hi"', as_json=True) == '"say \\"hi\\""'
    assert quote("é" * 70, 60, as_json=True) == '"' + "\\u00e9" * 60 + '"…'


def _snapshot(revision: int, digest: str):
    version = CatalogueVersion(revision=revision, content_hash=digest, loaded_at="x")
    return build_snapshot(SEED, version)


def test_the_etag_is_made_at_the_edge_from_the_version() -> None:
    assert "etag" not in {f.name for f in msgspec.structs.fields(type(_snapshot(1, "a" * 64)))}
    first = _snapshot(3, "0123456789abcdef" + "f" * 48)
    assert etag_of(first) == b'W/"3-0123456789abcdef"'
    second = _snapshot(4, "fedcba9876543210" + "0" * 48)
    assert re.fullmatch(rb'W/"4-fedcba9876543210"', etag_of(second))
