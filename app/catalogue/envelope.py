"""Envelope validation: is this a well-formed error of the platform, and does it mean what the
catalogue says? One pass over already-decoded JSON; every finding carries a JSON Pointer.

Two published descriptions of the envelope exist and live responses follow one or the other:
the catalogue page's (``snapshot.head.envelope``: ``message``, ``code``, ``status``,
``request_id`` required) and the Platform API v3.1 OpenAPI ``Error`` schema
(``PLATFORM_OPENAPI_ERROR``, from the one field table in ``envelope_fields``: ``message``,
``code``, ``slug``, ``status`` required). Reading the body is ``jsondoc``'s part. The profiles
are derived from the two rather than written out by hand:

- ``lenient`` requires what *both* descriptions require (``message``, ``code``, ``status``) and
  warns about what only *one* requires (``slug``, ``request_id``);
- ``strict`` requires what *either* requires (all five).

Decisions worth knowing:
- Codes are looked up in the platform namespace only. Thermos's codes 1-6 belong to another
  system (Thermos reports string error types), so a platform envelope with code 1..6 matches no
  entry and lies in no declared range: an error, whose message says why.
- For a code the page lists twice (10503; 1800-1804 in Project and ActionExecute) any of its
  entries may match; ``matched`` says which one did, or is null when the envelope does not tell
  them apart (then ``catalogue.ambiguous`` says so).
- Values are never recursed into beyond the envelope's own depth (``error`` -> ``errors`` ->
  element), user text quoted in messages is truncated and JSON-escaped, and per-item findings
  (bad ``errors`` elements, unknown members) are capped, so a hostile body cannot blow up the
  report.

Pure: knows nothing of HTTP or SQL. Reading the body is ``jsondoc``'s part, the report's
shapes and rule ids ``envelope_report``'s (both re-exported here), batches
``envelope_batch``'s. What stays here is the walk over the envelope: shape and catalogue rules
share its findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import msgspec

from app.catalogue.envelope_fields import PLATFORM_OPENAPI_ERROR
from app.catalogue.envelope_report import MAX_ITEM_FINDINGS as MAX_ITEM_FINDINGS
from app.catalogue.envelope_report import RULES as RULES
from app.catalogue.envelope_report import BatchReport as BatchReport
from app.catalogue.envelope_report import EnvelopeFinding as EnvelopeFinding
from app.catalogue.envelope_report import EnvelopeReport as EnvelopeReport
from app.catalogue.envelope_report import Findings
from app.catalogue.jsondoc import QUOTE_LIMIT as QUOTE_LIMIT
from app.catalogue.jsondoc import BodyError as BodyError
from app.catalogue.jsondoc import decode_json as decode_json
from app.catalogue.jsondoc import describe, is_integer, number, pointer, quote
from app.catalogue.jsondoc import line_column as line_column
from app.catalogue.model import Entry, EnvelopeFieldDoc, Snapshot
from app.catalogue.query import (
    describe_nearest,
    describe_ranges,
    find_by_slug,
    lookup,
    ranges_containing,
)

Profile = Literal["strict", "lenient"]

_NON_EMPTY = frozenset({"message", "slug", "request_id"})
_NUMERIC_TEXT = re.compile(r"\s*[+-]?\d{1,18}\s*")


# --- small helpers ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _field_pointer(name: str) -> str:
    # Built once per known field name: every report needs the same few paths.
    return pointer("error", name)


def _has_type(value: Any, json_type: str) -> bool:
    if json_type == "integer":
        return is_integer(value)
    if json_type == "string":
        return isinstance(value, str)
    return isinstance(value, list)  # "array"


_ARTICLE = {"integer": "an integer", "string": "a string", "array": "an array of strings"}


def _entry_label(entry: Entry) -> str:
    return f"{entry.slug} ({entry.status})"


def _duplicate_members(out: Findings, obj: dict[str, Any], where: tuple[str, ...]) -> None:
    out.capped(
        out.by_profile,
        getattr(obj, "duplicates", ()),
        lambda key: (
            pointer(*where, key),
            "shape.duplicate_member",
            f"member {quote(key)} appears more than once; parsers disagree on which value "
            "counts (this report reads the last one)",
        ),
    )


# --- the fields both descriptions define ------------------------------------------------------


PAGE = "the catalogue page"
OPENAPI = "the Platform API's Error schema"


class FieldRule(msgspec.Struct, frozen=True):
    name: str
    type: str  # "string" | "integer" | "array"
    required_by: tuple[str, ...]  # which of the two descriptions require it (PAGE, OPENAPI)

    def required(self, profile: str) -> bool:
        """Strict requires what either description requires, lenient what both require."""
        return len(self.required_by) >= (1 if profile == "strict" else 2)

    def why_required(self) -> str:
        if len(self.required_by) == 2:
            return "both descriptions of the envelope require it"
        return f"{self.required_by[0]} requires it"


@lru_cache(maxsize=8)
def field_rules(page: tuple[EnvelopeFieldDoc, ...]) -> tuple[FieldRule, ...]:
    """The union of the page's fields and the OpenAPI's, in the OpenAPI's order."""
    sources = ((OPENAPI, PLATFORM_OPENAPI_ERROR), (PAGE, page))
    rules: dict[str, FieldRule] = {}
    for source, fields in sources:
        for f in fields:
            # The two descriptions agree on every type; the first one seen stands.
            known = rules.get(f.name, FieldRule(name=f.name, type=f.type, required_by=()))
            required_by = (*known.required_by, source) if f.required else known.required_by
            rules[f.name] = FieldRule(name=f.name, type=known.type, required_by=required_by)
    return tuple(rules.values())


# --- the walk ---------------------------------------------------------------------------------


def _unknown_members(
    out: Findings, obj: dict[str, Any], known: set[str], where: tuple[str, ...]
) -> None:
    unknown = [k for k in obj if k not in known]
    place = "in `error`" if where else "next to `error`"
    out.capped(
        out.by_profile,
        unknown,
        lambda key: (
            pointer(*where, key),
            "shape.unknown_field",
            f"unknown member {quote(key)} {place}: neither description of the envelope has it",
        ),
        lambda rest: (
            pointer(*where),
            "shape.unknown_field",
            f"and {rest} more unknown members (not listed)",
        ),
    )


def _type_hint(snap: Snapshot, rule: FieldRule, value: Any) -> str:
    """Why a value of the wrong type is wrong, when there is something useful to add."""
    if rule.type != "integer":
        return ""
    if isinstance(value, bool):
        return "; a boolean is not an integer"
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        return f"; send it as the number {int(value)}, without quotes"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return f"; send {int(value)}, without a fraction part"
    if rule.name == "code" and isinstance(value, str) and value in snap.error_type_index:
        return (
            "; that is a Thermos error type, which Thermos reports in its own format: a "
            "platform envelope carries an integer code"
        )
    return ""


def _check_fields(
    snap: Snapshot, out: Findings, body: dict[str, Any], profile: str
) -> dict[str, Any]:
    """Shape rules for every known field; returns the fields whose values have the right type."""
    usable: dict[str, Any] = {}
    for rule in field_rules(snap.head.envelope):
        path = _field_pointer(rule.name)
        if rule.name not in body:
            if rule.required(profile):
                out.error(
                    path, "shape.required", f"`{rule.name}` is missing; {rule.why_required()}"
                )
            elif rule.required_by:
                out.warn(
                    path,
                    "shape.recommended",
                    f"`{rule.name}` is missing; {rule.why_required()}, as does the strict profile",
                )
            continue
        value = body[rule.name]
        if value is None and not rule.required(profile):
            out.by_profile(
                path,
                "shape.null_optional",
                f"`{rule.name}` is null: leave it out, or send {_ARTICLE[rule.type]}",
            )
            continue
        if not _has_type(value, rule.type):
            out.error(
                path,
                "shape.type",
                f"`{rule.name}` must be {_ARTICLE[rule.type]}, not {describe(value)}"
                + _type_hint(snap, rule, value),
            )
            continue
        usable[rule.name] = value
        if rule.name == "status" and not 100 <= value <= 599:
            out.error(
                path,
                "shape.status_range",
                f"`status` must be an HTTP status (100-599), not {describe(value)}",
            )
        elif rule.name in _NON_EMPTY and not value.strip():
            out.error(path, "shape.empty", f"`{rule.name}` must not be empty or blank")
        elif rule.name == "suggested_fix" and not value.strip():
            out.warn(
                path,
                "shape.blank_suggested_fix",
                "`suggested_fix` is empty: leave it out or say what to do",
            )
        elif rule.type == "array":
            _check_string_items(out, value, ("error", rule.name))
    return usable


def _check_string_items(out: Findings, items: list[Any], where: tuple[str, ...]) -> None:
    bad = [i for i, item in enumerate(items) if not isinstance(item, str)]
    out.capped(
        out.error,
        bad,
        lambda i: (
            pointer(*where, i),
            "shape.type",
            f"element {i} of `{where[-1]}` must be a string, not {describe(items[i])}",
        ),
        lambda rest: (
            pointer(*where),
            "shape.type",
            f"and {rest} more elements of `{where[-1]}` are not strings",
        ),
    )


def _check_code(snap: Snapshot, out: Findings, code: int) -> tuple[Entry, ...]:
    """The platform entries of the code; when there are none, say where the code lies."""
    entries = lookup(snap, code, "platform")
    if entries:
        return entries
    path = pointer("error", "code")
    ranges = ranges_containing(snap, code)
    if ranges:
        out.warn(
            path,
            "catalogue.code_undocumented",
            f"code {code} is not documented but lies in the declared range "
            f"{describe_ranges(ranges)}; its status and slug cannot be checked",
        )
        return ()
    message = f"code {number(code)} is not documented and lies in no declared range"
    if lookup(snap, code, "thermos"):
        message += (
            f"; {code} is a Thermos database code, another system that reports string error "
            "types: a platform envelope cannot carry it"
        )
    else:
        near = describe_nearest(snap, code)
        if near:
            message += f"; the nearest are {near}"
    out.error(path, "catalogue.code_unknown", message)
    return ()


def _match_entry(
    snap: Snapshot,
    out: Findings,
    entries: tuple[Entry, ...],
    code: int,
    status: int | None,
    slug: str | None,
) -> Entry | None:
    """Which of the code's entries the envelope designates, reporting what disagrees.

    Status and slug (each when given) narrow the candidates; an entry fitting both is the match.
    When they point at different entries, the slug is taken as the intent (it names one entry,
    a status may fit several) and the status is reported. Slugs identify an entry ignoring case
    but must match it exactly: a case-only difference is reported too.
    """
    by_status = [e for e in entries if status is None or e.status == status]
    by_slug = [e for e in entries if slug is None or e.slug.lower() == slug.lower()]
    fitting = [e for e in by_status if e in by_slug]
    if fitting:
        candidates = fitting
    elif slug is not None and by_slug:
        candidates = by_slug
        _status_mismatch(out, code, status, by_slug)
    elif status is not None and by_status:
        candidates = by_status
        _slug_mismatch(snap, out, code, slug, by_status)
    else:
        candidates = []
        _status_mismatch(out, code, status, entries)
        _slug_mismatch(snap, out, code, slug, entries)

    if len(candidates) != 1:
        if len(candidates) > 1 and slug is None:
            out.warn(
                pointer("error", "code"),
                "catalogue.ambiguous",
                f"code {code} is listed {len(candidates)} times and the envelope fits "
                f"{', '.join(map(_entry_label, candidates))}; send `slug` to say which",
            )
        return None
    matched = candidates[0]
    if slug is not None and slug != matched.slug and slug.lower() == matched.slug.lower():
        out.error(
            pointer("error", "slug"),
            "catalogue.slug_mismatch",
            f"slug {quote(slug)} differs only in case from the expected {quote(matched.slug)} "
            "(slugs compare case-sensitively)",
        )
    return matched


def _status_mismatch(
    out: Findings, code: int, status: int | None, expected: Sequence[Entry]
) -> None:
    if status is None:
        return
    whose = (
        f"{expected[0].slug} (code {code})"
        if len(expected) == 1
        else f"code {code} ({', '.join(map(_entry_label, expected))})"
    )
    documented = " or ".join(str(e.status) for e in expected)
    out.error(
        pointer("error", "status"),
        "catalogue.status_mismatch",
        f"status {status} does not match the catalogue: {whose} is documented with "
        f"status {documented}",
    )


def _slug_mismatch(
    snap: Snapshot, out: Findings, code: int, slug: str | None, expected: Sequence[Entry]
) -> None:
    if slug is None:
        return
    names = " or ".join(quote(e.slug) for e in expected)
    message = f"slug {quote(slug)} is not the slug of code {code}: expected {names}"
    elsewhere = [e for e in find_by_slug(snap, slug) if e.code != code]
    if elsewhere:
        message += f" ({quote(elsewhere[0].slug)} is the slug of code {elsewhere[0].code})"
    out.error(pointer("error", "slug"), "catalogue.slug_mismatch", message)


def validate_envelope(
    snap: Snapshot,
    value: Any,
    *,
    profile: Profile = "lenient",
    http_status: int | None = None,
) -> EnvelopeReport:
    """Every finding about one decoded envelope, in one pass; never raises for any JSON value."""
    out = Findings(profile)
    if not isinstance(value, dict):
        out.error(
            "",
            "shape.type",
            f"an error envelope is a JSON object with an `error` member, not {describe(value)}",
        )
        return out.report((), None)
    _duplicate_members(out, value, ())
    _unknown_members(out, value, {"error"}, ())
    if "error" not in value:
        out.error(pointer("error"), "shape.required", "the envelope has no `error` member")
        return out.report((), None)
    body = value["error"]
    if not isinstance(body, dict):
        out.error(
            pointer("error"), "shape.type", f"`error` must be an object, not {describe(body)}"
        )
        return out.report((), None)

    rules = field_rules(snap.head.envelope)
    _duplicate_members(out, body, ("error",))
    _unknown_members(out, body, {r.name for r in rules}, ("error",))
    fields = _check_fields(snap, out, body, profile)

    code, status, slug = fields.get("code"), fields.get("status"), fields.get("slug")
    entries: tuple[Entry, ...] = ()
    matched = None
    if code is not None:
        entries = _check_code(snap, out, code)
        if entries:
            # A status outside 100-599 was reported already; comparing it to the page says nothing.
            usable_status = status if status is not None and 100 <= status <= 599 else None
            usable_slug = slug if slug is not None and slug.strip() else None
            matched = _match_entry(snap, out, entries, code, usable_status, usable_slug)
    if http_status is not None and status is not None and status != http_status:
        out.error(
            pointer("error", "status"),
            "http.status_mismatch",
            f"status {number(status)} differs from the HTTP "
            f"status {http_status} the envelope was sent with",
        )
    return out.report(entries, matched)
