"""Checks that used Python's backtracking `re` over a client's text were rewritten with str
methods or RE2; each accepts exactly what its pattern did (the patterns are kept here only as
the specification)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from app.catalogue.envelope import is_numeric_text
from app.catalogue.names import service_key, slug_service
from app.catalogue.query import has_control_characters, is_status_text

ALPHABET = st.sampled_from(list("0123456789+-xX \t\n\u00a0\u0663\u00b2a_/\x1c\x7f\x85é"))
TEXT = st.text(ALPHABET, max_size=24) | st.text(max_size=24)


@given(TEXT)
@example(" -12 ")
@example("\u0663\u0663")
@example("1" * 19)
def test_numeric_text(value: str) -> None:
    spec = re.fullmatch(r"\s*[+-]?\d{1,18}\s*", value) is not None
    assert is_numeric_text(value) == spec


@given(TEXT)
@example("4xx")
@example("4\u0660\u0660")
def test_status_text(value: str) -> None:
    assert is_status_text(value) == (re.fullmatch(r"[1-5](?:[0-9][0-9]|xx)", value) is not None)


@given(TEXT)
def test_control_characters(value: str) -> None:
    spec = re.search(r"[\x00-\x1f\x7f-\x9f]", value) is not None
    assert has_control_characters(value) == spec


@given(TEXT)
@example("Prisma/Database")
@example("Auth_Config")
def test_names(value: str) -> None:
    assert service_key(value) == re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    assert slug_service(value) == re.sub(r"[^A-Za-z0-9_]", "", value)
