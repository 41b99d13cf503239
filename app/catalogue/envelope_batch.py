"""POST /validate-envelope/batch: the bounds a batch keeps, and the batch's report.

A byte limit cannot be written in JSON Schema, so a batch is bounded by what can: at most
``MAX_BATCH`` elements, each an envelope or a scalar whose strings, member names, arrays and
numbers are bounded (``BATCH_ITEM``). The OpenAPI document states these bounds (built from this
table by app.api.envelopes) and ``batch_items`` refuses a body outside them with a 400, so the
document and the route agree both ways. The largest body the bounds allow, as an encoder writes
it, is ``max_json_bytes``: the route's byte limit ``MAX_BATCH_BYTES`` is above it, so no body
the document allows is refused for its size. Pure.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from app.catalogue.envelope import Profile, validate_envelope
from app.catalogue.envelope_report import BatchReport, EnvelopeReport
from app.catalogue.jsondoc import BodyError, describe, pointer
from app.catalogue.model import Snapshot

MAX_BATCH = 100  # elements per batch
MAX_BATCH_BYTES = 1_048_576  # bytes of a batch body (above the largest the bounds allow)
# A batch's answer is bounded too: at most this many findings per envelope, and this many in
# all; what is cut is counted in `omitted` and the envelopes concerned listed in `truncated`.
MAX_BATCH_ITEM_FINDINGS = 10
MAX_BATCH_FINDINGS = 500
MAX_NUMBER = 10**18 - 1  # numbers in a batch lie within +-MAX_NUMBER

# The longest a bounded value can be written (Python's json.dumps: ", " and ": ", ASCII only):
# one character outside the BMP is a surrogate pair of escapes, "\ud83d\ude00"; a number
# within +-MAX_NUMBER is at most 24 characters (-2.2250738585072014e-308); false is 5.
CHARACTER_BYTES = 12
NUMBER_BYTES = 24
SEPARATOR_BYTES = 2


class Scalar(msgspec.Struct, frozen=True):
    """A string of at most ``max_length`` characters, a number, true, false or null."""

    max_length: int


class ArrayOf(msgspec.Struct, frozen=True):
    """An array of at most ``max_items`` ``items``, or a scalar as ``scalar`` bounds it."""

    items: Scalar
    max_items: int
    scalar: Scalar


class ObjectOf(msgspec.Struct, frozen=True):
    """An object of at most ``max_members`` members whose names have at most ``max_name``
    characters; a member named in ``known`` is bounded there, any other by ``other``. Or a
    scalar as ``scalar`` bounds it."""

    known: dict[str, Scalar | ArrayOf | ObjectOf]
    other: Scalar
    max_members: int
    max_name: int
    scalar: Scalar


Bound = Scalar | ArrayOf | ObjectOf

_SHORT = Scalar(32)
# A batch element: an envelope, {"error": {...}}, with its fields' usual lengths and room for a
# few unknown members (reported on, as /validate-envelope does), or a scalar (reported as not
# an envelope). Strings are capped so that MAX_BATCH of the largest fit in MAX_BATCH_BYTES.
ERROR_MEMBERS = ObjectOf(
    known={
        "message": Scalar(160),
        "code": Scalar(24),
        "slug": Scalar(64),
        "status": Scalar(24),
        "request_id": Scalar(64),
        "suggested_fix": Scalar(160),
        "errors": ArrayOf(items=Scalar(48), max_items=4, scalar=_SHORT),
    },
    other=Scalar(16),
    max_members=9,
    max_name=24,
    scalar=Scalar(64),
)
BATCH_ITEM = ObjectOf(
    known={"error": ERROR_MEMBERS}, other=Scalar(16), max_members=2, max_name=24, scalar=_SHORT
)


# --- the largest body -------------------------------------------------------------------------


def max_json_bytes(bound: Bound) -> int:
    """The most bytes a value within ``bound`` takes, written as Python's json.dumps does."""
    scalar = bound if isinstance(bound, Scalar) else bound.scalar
    longest = max(2 + CHARACTER_BYTES * scalar.max_length, NUMBER_BYTES, len("false"))
    if isinstance(bound, ArrayOf):
        longest = max(longest, _container(bound.max_items * [max_json_bytes(bound.items)]))
    elif isinstance(bound, ObjectOf):
        name = 2 + CHARACTER_BYTES * bound.max_name
        other = name + SEPARATOR_BYTES + max_json_bytes(bound.other)
        members = [
            len(json.dumps(key)) + SEPARATOR_BYTES + max_json_bytes(value)
            for key, value in bound.known.items()
        ]
        members += bound.max_members * [other]
        longest = max(longest, _container(sorted(members)[-bound.max_members :]))
    return longest


def _container(elements: list[int]) -> int:
    return 2 + sum(elements) + SEPARATOR_BYTES * max(len(elements) - 1, 0)


def max_batch_bytes() -> int:
    """The largest batch body the bounds allow: MAX_BATCH of the largest element."""
    return _container(MAX_BATCH * [max_json_bytes(BATCH_ITEM)])


# --- checking a body against the bounds -------------------------------------------------------


def bound_problem(value: Any, bound: Bound, where: tuple[str | int, ...] = ()) -> str | None:
    """Where and how ``value`` exceeds ``bound`` (the first place found), or None."""
    if isinstance(value, dict) and isinstance(bound, ObjectOf):
        if len(value) > bound.max_members:
            return f"{_at(where)} has {len(value)} members, at most {bound.max_members}"
        for key, member in value.items():
            if len(key) > bound.max_name:
                return (
                    f"{_at(where)} has a member name of {len(key)} characters, "
                    f"at most {bound.max_name}"
                )
            problem = bound_problem(member, bound.known.get(key, bound.other), (*where, key))
            if problem:
                return problem
        return None
    if isinstance(value, list) and isinstance(bound, ArrayOf):
        if len(value) > bound.max_items:
            return f"{_at(where)} has {len(value)} elements, at most {bound.max_items}"
        for index, element in enumerate(value):
            problem = bound_problem(element, bound.items, (*where, index))
            if problem:
                return problem
        return None
    return _scalar_problem(value, bound if isinstance(bound, Scalar) else bound.scalar, where)


def _scalar_problem(value: Any, bound: Scalar, where: tuple[str | int, ...]) -> str | None:
    if isinstance(value, str):
        if len(value) > bound.max_length:
            length, most = len(value), bound.max_length
            return f"{_at(where)} is a string of {length} characters, at most {most}"
        return None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if abs(value) > MAX_NUMBER:
            return f"{_at(where)} is a number beyond +-{MAX_NUMBER}"
        return None
    return f"{_at(where)} is {describe(value)}, which a batch does not take there"


def _at(where: tuple[str | int, ...]) -> str:
    return pointer(*where) or "the element"


def batch_items(value: Any) -> list[Any]:
    """The envelopes of a batch body: a JSON array of at most MAX_BATCH elements, each within
    BATCH_ITEM; a BodyError (400) naming the first element that is not."""
    if not isinstance(value, list):
        raise BodyError(
            f"A batch must be a JSON array of envelopes, not {describe(value)}",
            errors=["body: expected an array"],
            suggested_fix="Wrap the envelopes in [...], or POST one to /validate-envelope.",
        )
    if len(value) > MAX_BATCH:
        raise BodyError(
            f"A batch holds at most {MAX_BATCH} envelopes, this one {len(value)}",
            errors=[f"body: {len(value)} elements, the limit is {MAX_BATCH}"],
            suggested_fix=f"Split the batch into requests of at most {MAX_BATCH} envelopes.",
        )
    for index, element in enumerate(value):
        problem = bound_problem(element, BATCH_ITEM)
        if problem:
            raise BodyError(
                f"Envelope {index} of the batch is larger than a batch takes: {problem}",
                errors=[f"body/{index}: {problem}"],
                suggested_fix="POST that envelope alone to /validate-envelope, which takes any "
                "JSON; docs/envelope-validation.md lists a batch's bounds.",
            )
    return value


def validate_batch(
    snap: Snapshot, values: list[Any], *, profile: Profile = "lenient"
) -> BatchReport:
    reports: list[EnvelopeReport] = []
    truncated: list[int] = []
    budget = MAX_BATCH_FINDINGS
    omitted = 0
    for i, value in enumerate(values):
        report = validate_envelope(snap, value, profile=profile)
        found = len(report.errors) + len(report.warnings)
        keep = min(found, MAX_BATCH_ITEM_FINDINGS, budget)
        if keep < found:
            errors = report.errors[:keep]
            warnings = report.warnings[: keep - len(errors)]
            report = msgspec.structs.replace(report, errors=errors, warnings=warnings)
            truncated.append(i)
            omitted += found - keep
        budget -= keep
        reports.append(report)
    valid = sum(r.valid for r in reports)
    return BatchReport(
        items=tuple(reports),
        total=len(reports),
        valid=valid,
        invalid=len(reports) - valid,
        truncated=tuple(truncated),
        omitted=omitted,
    )
