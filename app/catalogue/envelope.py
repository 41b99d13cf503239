"""Envelope validation: is this a well-formed error of the platform, and does it mean what the
catalogue says? One pass over already-decoded JSON; every finding carries a JSON Pointer.

The page's and the Platform API's descriptions of the envelope give the two profiles
(``field_rules``); docs/envelope-validation.md states every rule and choice. A hostile body
cannot blow the report up: nothing is recursed into beyond the envelope's own depth, quoted user
text is truncated and JSON-escaped, per-item findings are capped. Here: the walk and its shape
rules. The catalogue's rules are ``envelope_catalogue``'s, reading the body ``jsondoc``'s, the
report's shapes and rule ids ``envelope_report``'s (those two re-exported here), batches
``envelope_batch``'s. Pure.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import msgspec

from app.catalogue.envelope_catalogue import check_code, match_entry
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

Profile = Literal["strict", "lenient"]

_NON_EMPTY = frozenset({"message", "slug", "request_id"})


def is_numeric_text(value: str) -> bool:
    """``\\s*[+-]?\\d{1,18}\\s*`` (Unicode spaces and decimal digits, as ``int()`` reads them),
    checked with str methods: no pattern engine over the client's text."""
    digits = value.strip()
    if digits[:1] in ("+", "-"):
        digits = digits[1:]
    return 0 < len(digits) <= 18 and digits.isdecimal()


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
    if isinstance(value, str) and is_numeric_text(value):
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
        entries = check_code(snap, out, code)
        if entries:
            # A status outside 100-599 was reported already; comparing it to the page says nothing.
            usable_status = status if status is not None and 100 <= status <= 599 else None
            usable_slug = slug if slug is not None and slug.strip() else None
            matched = match_entry(snap, out, entries, code, usable_status, usable_slug)
    if http_status is not None and status is not None and status != http_status:
        out.error(
            pointer("error", "status"),
            "http.status_mismatch",
            f"status {number(status)} differs from the HTTP "
            f"status {http_status} the envelope was sent with",
        )
    return out.report(entries, matched)
