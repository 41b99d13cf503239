"""A batch's bounds: every value within them fits the byte limit, every value beyond one is
refused naming where; and the batch's report. No HTTP, no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalogue.build import build_snapshot
from app.catalogue.envelope import BodyError
from app.catalogue.envelope_batch import (
    BATCH_ITEM,
    MAX_BATCH,
    MAX_BATCH_BYTES,
    MAX_BATCH_FINDINGS,
    MAX_NUMBER,
    NUMBER_BYTES,
    ArrayOf,
    Bound,
    ObjectOf,
    Scalar,
    batch_items,
    bound_problem,
    max_batch_bytes,
    max_json_bytes,
    validate_batch,
)
from app.catalogue.envelope_fields import ENVELOPE_FIELDS
from app.catalogue.model import CatalogueVersion
from app.seeds import load_seed
from tests.envelope_assertions import GOOD_ENVELOPE

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
GOOD = GOOD_ENVELOPE
# The longest a number within the bounds is written: the smallest normal double, negated.
LONGEST_NUMBER = -2.2250738585072014e-308
ASTRAL = "\U0001f600"  # written "\ud83d\ude00" by json.dumps: 12 bytes for one character


# Floats within +-MAX_NUMBER (10**18 - 1 itself rounds to 1e18, which is beyond it).
FLOATS = st.floats(-1e18, 1e18, exclude_min=True, exclude_max=True)


def largest(bound: Bound) -> Any:
    """The value within ``bound`` that json.dumps writes longest."""
    scalar = bound if isinstance(bound, Scalar) else bound.scalar
    candidates: list[Any] = [ASTRAL * scalar.max_length, LONGEST_NUMBER, False]
    if isinstance(bound, ArrayOf):
        candidates.append([largest(bound.items)] * bound.max_items)
    elif isinstance(bound, ObjectOf):
        members = {key: largest(value) for key, value in bound.known.items()}
        for i in range(bound.max_members):
            # distinct names of the longest kind: each starts with another character
            members[chr(0x1F300 + i) + ASTRAL * (bound.max_name - 1)] = largest(bound.other)
        by_size = sorted(members.items(), key=lambda kv: len(json.dumps(dict([kv]))))
        candidates.append(dict(by_size[-bound.max_members :]))
    return max(candidates, key=lambda value: len(json.dumps(value)))


def within(bound: Bound) -> st.SearchStrategy[Any]:
    """Any value within ``bound``, from the whole of Unicode."""
    scalar = bound if isinstance(bound, Scalar) else bound.scalar
    scalars = (
        st.text(max_size=scalar.max_length)
        | st.integers(-MAX_NUMBER, MAX_NUMBER)
        | FLOATS
        | st.booleans()
        | st.none()
    )
    if isinstance(bound, ArrayOf):
        return st.lists(within(bound.items), max_size=bound.max_items) | scalars
    if isinstance(bound, ObjectOf):
        known = st.fixed_dictionaries(
            {}, optional={key: within(value) for key, value in bound.known.items()}
        )
        others = st.dictionaries(
            st.text(max_size=bound.max_name).filter(lambda name: name not in bound.known),
            within(bound.other),
            max_size=bound.max_members,
        )
        objects = st.tuples(known, others).map(
            lambda pair: dict(list({**pair[1], **pair[0]}.items())[: bound.max_members])
        )
        return objects | scalars
    return scalars


def test_the_largest_batch_the_bounds_allow_fits_the_byte_limit() -> None:
    body = [largest(BATCH_ITEM)] * MAX_BATCH
    assert batch_items(body) is body
    written = json.dumps(body)  # as Python clients (and schemathesis) write it
    assert len(written) == max_batch_bytes() <= MAX_BATCH_BYTES
    assert len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()) < len(written)


@settings(max_examples=300, deadline=None)
@given(within(BATCH_ITEM))
def test_every_element_within_the_bounds_is_taken_and_written_within_its_bytes(value) -> None:
    assert bound_problem(value, BATCH_ITEM) is None
    assert len(json.dumps(value)) <= max_json_bytes(BATCH_ITEM)


@settings(max_examples=300)
@given(st.integers(-MAX_NUMBER, MAX_NUMBER) | FLOATS)
def test_a_number_within_the_bounds_is_written_in_at_most_number_bytes(number) -> None:
    assert len(json.dumps(number)) <= NUMBER_BYTES


def test_every_envelope_field_has_its_bound_and_fits_a_member_name() -> None:
    error = BATCH_ITEM.known["error"]
    assert isinstance(error, ObjectOf)
    assert set(error.known) == {f.name for f in ENVELOPE_FIELDS}
    assert len(error.known) <= error.max_members
    assert max(map(len, error.known)) <= error.max_name


def with_error(**members: Any) -> dict[str, Any]:
    return {"error": {**GOOD["error"], **members}}


@pytest.mark.parametrize(
    ("element", "says"),
    [
        (with_error(message="m" * 161), "/error/message is a string of 161 characters, at most 1"),
        (with_error(errors=["e"] * 5), "/error/errors has 5 elements, at most 4"),
        (with_error(errors=["e" * 49]), "/error/errors/0 is a string of 49 characters, at most 48"),
        (with_error(errors=[["nested"]]), "/error/errors/0 is an array of 1 element, which"),
        (with_error(code={"n": 1205}), "/error/code is an object with 1 member, which"),
        (with_error(code=10**18), "/error/code is a number beyond"),
        (with_error(status=-1e300), "/error/status is a number beyond"),
        (with_error(**{"x" * 25: 1}), "/error has a member name of 25 characters, at most 24"),
        (with_error(a=1, b=2, c=3, d=4, e=5), "/error has 10 members, at most 9"),
        ({**GOOD, "x": 1, "y": 2}, "the element has 3 members, at most 2"),
        ({**GOOD, "trace": "t" * 17}, "/trace is a string of 17 characters, at most 16"),
        ("s" * 33, "the element is a string of 33 characters, at most 32"),
        ([GOOD], "the element is an array of 1 element, which"),
    ],
)
def test_an_element_beyond_a_bound_is_refused_naming_where(element: Any, says: str) -> None:
    with pytest.raises(BodyError) as caught:
        batch_items([GOOD, element])
    assert caught.value.message.startswith("Envelope 1 of the batch is larger than a batch takes")
    assert says in caught.value.message
    assert caught.value.errors[0].startswith("body/1: ")


def test_batch_reports_in_order_with_totals() -> None:
    batch = [GOOD, with_error(status=400), "nope", with_error(code=1810)]
    report = validate_batch(SNAP, batch, profile="strict")
    assert [r.valid for r in report.items] == [True, False, False, True]
    assert (report.total, report.valid, report.invalid) == (4, 2, 2)


def test_empty_batch() -> None:
    report = validate_batch(SNAP, [])
    assert (report.items, report.total, report.valid, report.invalid) == ((), 0, 0, 0)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"error": {}}, "must be a JSON array"),
        ([{}] * (MAX_BATCH + 1), f"at most {MAX_BATCH}"),
    ],
)
def test_batch_bodies_that_are_not_batches(value: Any, says: str) -> None:
    with pytest.raises(BodyError) as caught:
        batch_items(value)
    assert says in caught.value.message


def test_a_batch_of_the_limit_is_accepted() -> None:
    assert len(batch_items([{}] * MAX_BATCH)) == MAX_BATCH


def test_the_documentation_states_the_bounds_the_code_keeps() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "envelope-validation.md").read_text()
    error = BATCH_ITEM.known["error"]
    assert isinstance(error, ObjectOf)
    assert f"is {max_batch_bytes():,} bytes" in docs
    assert f"| envelopes per batch | {MAX_BATCH} |" in docs
    assert f"| bytes per batch body | {MAX_BATCH_BYTES} " in docs
    assert f"| findings listed per batch | {MAX_BATCH_FINDINGS} |" in docs
    lengths = {
        name: bound.max_length for name, bound in error.known.items() if isinstance(bound, Scalar)
    }
    stated = "`message` {message} characters, `suggested_fix` {suggested_fix}, `slug` {slug}, "
    stated += "`request_id` {request_id}, `code` and `status` {code}"
    assert lengths["status"] == lengths["code"]
    assert stated.format(**lengths) in docs
