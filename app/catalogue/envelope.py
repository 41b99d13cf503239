"""Envelope validation: is this a well-formed error of the platform, and does it mean what the
catalogue says? One pass over already-decoded JSON; every finding carries a JSON Pointer.

Two published descriptions of the envelope exist and live responses follow one or the other:
the catalogue page's (``snapshot.document.envelope``: ``message``, ``code``, ``status``,
``request_id`` required) and the Platform API v3.1 OpenAPI ``Error`` schema
(``PLATFORM_OPENAPI_ERROR``: ``message``, ``code``, ``slug``, ``status`` required). The profiles
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

Pure: knows nothing of HTTP or SQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import msgspec

from app.catalogue.model import Entry, EnvelopeFieldDoc, Snapshot
from app.catalogue.query import (
    describe_ranges,
    find_by_slug,
    lookup,
    nearest_ranges,
    ranges_containing,
)

Profile = Literal["strict", "lenient"]

MAX_BATCH = 1000  # envelopes per batch request
MAX_BATCH_BYTES = 131_072  # bytes of a batch body: bounds the work one request costs
# A batch's answer is bounded too: at most this many findings per envelope, and this many in
# all; what is cut is counted in `omitted` and the envelopes concerned listed in `truncated`.
MAX_BATCH_ITEM_FINDINGS = 10
MAX_BATCH_FINDINGS = 2000
QUOTE_LIMIT = 60  # characters of a user value quoted in a message
# Findings per collection (bad `errors` elements, unknown members) before one summary finding:
# keeps a report's size proportionate however many bad items a body holds.
MAX_ITEM_FINDINGS = 20

# The stable rule identifiers, each with its one-line meaning. Clients key on these ids, so
# they never change meaning; docs/envelope-validation.md lists the same set (a unit test checks
# that, and that every rule is emitted by some case).
RULES: dict[str, str] = {
    "shape.type": (
        "A value has the wrong JSON type: the body or `error` is not an object, a field is not "
        'the type the descriptions give it (`"1205"` and `true` are not integers), or an '
        "element of `errors` is not a string."
    ),
    "shape.required": "A member the profile requires is missing (`error` itself, or a field).",
    "shape.recommended": (
        "Lenient only, a warning: `slug` or `request_id` is missing; one of the two "
        "descriptions requires it (strict requires both)."
    ),
    "shape.null_optional": (
        "An optional field is null: a warning in lenient (read as absent), an error in strict."
    ),
    "shape.status_range": "`status` is an integer but not an HTTP status (100-599).",
    "shape.empty": "`message`, `slug` or `request_id` is an empty or whitespace-only string.",
    "shape.blank_suggested_fix": (
        "A warning in both profiles: `suggested_fix` is empty or whitespace-only."
    ),
    "shape.duplicate_member": (
        "An object names one member twice: parsers disagree on which value wins (errcat, like "
        "most, reads the last): a warning in lenient, an error in strict."
    ),
    "shape.unknown_field": (
        "A member neither description lists, inside `error` or next to it: a warning in "
        "lenient, an error in strict."
    ),
    "catalogue.code_undocumented": (
        "A warning: the code is not documented but lies in a declared range (named); its "
        "status and slug cannot be checked."
    ),
    "catalogue.code_unknown": (
        "The code is not documented in the platform namespace and lies in no declared range."
    ),
    "catalogue.status_mismatch": (
        "`status` is not the catalogue status of the code's entry (of any entry, for a code "
        "listed twice)."
    ),
    "catalogue.slug_mismatch": (
        "`slug` is not `<Service>_<Name>` of the matched entry (compared case-sensitively; the "
        "message gives the expected slug)."
    ),
    "catalogue.ambiguous": (
        "A warning: several entries of a code listed twice fit the envelope; `slug` would "
        "tell which one is meant."
    ),
    "http.status_mismatch": "`status` differs from the `http_status` the envelope was sent with.",
}

# Platform API v3.1, components.schemas.Error: the second published description. It is not on
# the catalogue page, so it is not in the seed; it is written here, in the page's own terms.
PLATFORM_OPENAPI_ERROR: tuple[EnvelopeFieldDoc, ...] = (
    EnvelopeFieldDoc(name="message", type="string", required=True, example="Tool not found"),
    EnvelopeFieldDoc(name="code", type="integer", required=True, example="1800"),
    EnvelopeFieldDoc(
        name="slug", type="string", required=True, example="ActionExecute_ToolNotFound"
    ),
    EnvelopeFieldDoc(name="status", type="integer", required=True, example="404"),
    EnvelopeFieldDoc(name="request_id", type="string", required=False, example="req_abc123"),
    EnvelopeFieldDoc(name="suggested_fix", type="string", required=False, example="Check it"),
    EnvelopeFieldDoc(name="errors", type="array", required=False, example='["detail"]'),
)

_NON_EMPTY = frozenset({"message", "slug", "request_id"})
_NUMERIC_TEXT = re.compile(r"\s*[+-]?\d{1,18}\s*")


# --- the report -----------------------------------------------------------------------------


class EnvelopeFinding(msgspec.Struct, frozen=True):
    """One problem: where (an RFC 6901 JSON Pointer into the body), which rule, and why.

    Not just ``Finding``: the integrity room has one too, and Litestar names clashing OpenAPI
    components after their modules, which would rename this one whenever that one appears.
    """

    path: str
    rule: str
    message: str


class EnvelopeReport(msgspec.Struct, frozen=True):
    """The verdict on one envelope. ``valid`` is true when ``errors`` is empty.

    ``entries`` are the platform catalogue entries of the envelope's code; ``matched`` is the one
    the envelope's status (and slug, when given) designates, or null when none fits or several do.
    """

    valid: bool
    errors: tuple[EnvelopeFinding, ...]
    warnings: tuple[EnvelopeFinding, ...]
    entries: tuple[Entry, ...]
    matched: Entry | None


class BatchReport(msgspec.Struct, frozen=True):
    """One report per envelope of a batch, in the batch's order, with totals.

    The findings listed are capped (MAX_BATCH_ITEM_FINDINGS per envelope, MAX_BATCH_FINDINGS in
    all, errors before warnings); ``valid`` and the totals always count every finding.
    ``truncated`` lists the (0-based) positions of the envelopes whose findings were cut and
    ``omitted`` how many findings were left out in all.
    """

    items: tuple[EnvelopeReport, ...]
    total: int
    valid: int
    invalid: int
    truncated: tuple[int, ...] = ()
    omitted: int = 0


class BodyError(ValueError):
    """A body that cannot be validated at all (not JSON, empty, not a batch): the caller answers
    400 with ``message``, ``errors`` and ``suggested_fix``."""

    def __init__(self, message: str, *, errors: list[str], suggested_fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.suggested_fix = suggested_fix


# --- small helpers ----------------------------------------------------------------------------


def pointer(*tokens: str | int) -> str:
    """An RFC 6901 JSON Pointer: ``~`` becomes ``~0`` and ``/`` becomes ``~1``, in that order."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


@lru_cache(maxsize=64)
def _field_pointer(name: str) -> str:
    # Built once per known field name: every report needs the same few paths.
    return pointer("error", name)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A user string as a JSON string literal, cut to ``limit`` characters: safe to embed."""
    cut = text if len(text) <= limit else text[:limit]
    return json.dumps(cut, ensure_ascii=True) + ("…" if len(text) > limit else "")


def number(value: int) -> str:
    """An integer from the body, cut like a quoted string (JSON integers can be long)."""
    digits = str(value)
    return digits if len(digits) <= QUOTE_LIMIT else digits[:QUOTE_LIMIT] + "…"


def describe(value: Any) -> str:
    """A short, safe description of any decoded JSON value; containers are never stringified
    (they may be nested up to msgspec's limit)."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {number(value)}"
    if isinstance(value, float):
        return f"the number {repr(value)[:QUOTE_LIMIT]}"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    if isinstance(value, list):
        return f"an array of {len(value)} element{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with {len(value)} member{'' if len(value) == 1 else 's'}"
    return type(value).__name__  # unreachable for msgspec.json.decode output


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_type(value: Any, json_type: str) -> bool:
    if json_type == "integer":
        return is_integer(value)
    if json_type == "string":
        return isinstance(value, str)
    return isinstance(value, list)  # "array"


_ARTICLE = {"integer": "an integer", "string": "a string", "array": "an array of strings"}


def _entry_label(entry: Entry) -> str:
    return f"{entry.slug} ({entry.status})"


# --- decoding the body ------------------------------------------------------------------------

_DECODE_MESSAGE = re.compile(
    r"^(?:JSON is malformed: )?(?P<reason>.*?)(?: \(byte (?P<byte>\d+)\))?$"
)


def line_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset into a UTF-8 body."""
    offset = max(0, min(offset, len(raw)))
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _syntax_error(raw: bytes, reason: str, offset: int) -> BodyError:
    line, column = line_column(raw, offset)
    where = f"line {line}, column {column} (byte {offset})"
    return BodyError(
        f"The body is not valid JSON: {reason} at {where}",
        errors=[f"body: {where}: {reason}"],
        suggested_fix="Send the error response exactly as your API produced it, as JSON.",
    )


def decode_json(raw: bytes) -> Any:
    """Decode a body into plain Python values, or raise BodyError saying what and where.

    msgspec reports only the first problem, with its byte offset; line and column are computed
    here. Nesting beyond msgspec's depth limit raises RecursionError at once (no stall).
    """
    if not raw.strip(b" \t\r\n"):
        raise BodyError(
            "The body is empty",
            errors=["body: expected one JSON value, got no content"],
            suggested_fix="Send the error envelope to check as the JSON body.",
        )
    try:
        value = msgspec.json.decode(raw)
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError:
        # msgspec's offset is relative to the string it was reading; find the absolute one.
        try:
            raw.decode("utf-8")
            offset = 0
        except UnicodeDecodeError as exc:
            offset = exc.start
        raise _syntax_error(raw, "the bytes are not valid UTF-8", offset) from None
    except msgspec.ValidationError as exc:  # e.g. a number too large to represent
        raise BodyError(
            f"The body holds a value that cannot be read: {exc}",
            errors=[f"body: {exc}"],
            suggested_fix="Send numbers within the range of a 64-bit float or integer.",
        ) from None
    except msgspec.DecodeError as exc:
        found = _DECODE_MESSAGE.match(str(exc))
        reason = found["reason"] if found else str(exc)
        if found and found["byte"] is not None:
            offset = int(found["byte"])
        else:  # "Input data was truncated": the text stops inside a value
            offset, reason = len(raw), "the JSON ends before its value is complete"
        raise _syntax_error(raw, reason, offset) from None
    return _with_duplicate_names(raw, value)


class Members(dict):
    """A decoded JSON object that remembers the member names it had more than once."""

    duplicates: tuple[str, ...] = ()


_NAME_END = re.compile(rb'"\s*:')


def _count_names(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = Members(pairs)  # the last value of a repeated name wins, as msgspec decides too
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return obj


def _with_duplicate_names(raw: bytes, value: Any) -> Any:
    """``value`` again, its objects as Members when one repeats a name (msgspec cannot tell).

    Only bodies that msgspec decoded get here (valid JSON within its limits), so the standard
    parser agrees with it on every value.
    """
    if not isinstance(value, dict | list) or _count_names(value) == len(_NAME_END.findall(raw)):
        # Every `"` then `:` in the text ends a member name or lies inside a string value, so
        # when there are exactly as many as decoded names, no name was repeated.
        return value
    try:
        return json.loads(raw, object_pairs_hook=_members)
    except RecursionError:
        # The standard parser's depth limit is a little below msgspec's: refuse such a body as
        # msgspec refuses a deeper one, rather than report on it without its duplicate names.
        raise _too_deep() from None


def _too_deep() -> BodyError:
    return BodyError(
        "The body is nested too deeply to be an error envelope",
        errors=["body: JSON nesting exceeds the decoder's depth limit"],
        suggested_fix="Send one error envelope; it is at most a few levels deep.",
    )


def _duplicate_members(out: _Findings, obj: dict[str, Any], where: tuple[str, ...]) -> None:
    for key in getattr(obj, "duplicates", ())[:MAX_ITEM_FINDINGS]:
        out.by_profile(
            pointer(*where, key),
            "shape.duplicate_member",
            f"member {quote(key)} appears more than once; parsers disagree on which value "
            "counts (this report reads the last one)",
        )


def batch_items(value: Any) -> list[Any]:
    """The envelopes of a batch body: a JSON array of at most MAX_BATCH elements."""
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
    return value


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


class _Findings:
    def __init__(self, profile: str) -> None:
        self.strict = profile == "strict"
        self.errors: list[EnvelopeFinding] = []
        self.warnings: list[EnvelopeFinding] = []

    def error(self, path: str, rule: str, message: str) -> None:
        self.errors.append(EnvelopeFinding(path=path, rule=rule, message=message))

    def warn(self, path: str, rule: str, message: str) -> None:
        self.warnings.append(EnvelopeFinding(path=path, rule=rule, message=message))

    def by_profile(self, path: str, rule: str, message: str) -> None:
        """An error in strict, a warning in lenient."""
        (self.error if self.strict else self.warn)(path, rule, message)

    def report(self, entries: tuple[Entry, ...], matched: Entry | None) -> EnvelopeReport:
        return EnvelopeReport(
            valid=not self.errors,
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
            entries=entries,
            matched=matched,
        )


def _unknown_members(
    out: _Findings, obj: dict[str, Any], known: set[str], where: tuple[str, ...]
) -> None:
    unknown = [k for k in obj if k not in known]
    place = "in `error`" if where else "next to `error`"
    for key in unknown[:MAX_ITEM_FINDINGS]:
        out.by_profile(
            pointer(*where, key),
            "shape.unknown_field",
            f"unknown member {quote(key)} {place}: neither description of the envelope has it",
        )
    if len(unknown) > MAX_ITEM_FINDINGS:
        out.by_profile(
            pointer(*where),
            "shape.unknown_field",
            f"and {len(unknown) - MAX_ITEM_FINDINGS} more unknown members (not listed)",
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
    snap: Snapshot, out: _Findings, body: dict[str, Any], profile: str
) -> dict[str, Any]:
    """Shape rules for every known field; returns the fields whose values have the right type."""
    usable: dict[str, Any] = {}
    for rule in field_rules(snap.document.envelope):
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


def _check_string_items(out: _Findings, items: list[Any], where: tuple[str, ...]) -> None:
    bad = [i for i, item in enumerate(items) if not isinstance(item, str)]
    for i in bad[:MAX_ITEM_FINDINGS]:
        out.error(
            pointer(*where, i),
            "shape.type",
            f"element {i} of `{where[-1]}` must be a string, not {describe(items[i])}",
        )
    if len(bad) > MAX_ITEM_FINDINGS:
        out.error(
            pointer(*where),
            "shape.type",
            f"and {len(bad) - MAX_ITEM_FINDINGS} more elements of `{where[-1]}` are not strings",
        )


def _check_code(snap: Snapshot, out: _Findings, code: int) -> tuple[Entry, ...]:
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
        near = nearest_ranges(snap, code)
        if near:
            message += f"; the nearest are {describe_ranges(near)}"
    out.error(path, "catalogue.code_unknown", message)
    return ()


def _match_entry(
    snap: Snapshot,
    out: _Findings,
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
    out: _Findings, code: int, status: int | None, expected: Sequence[Entry]
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
    snap: Snapshot, out: _Findings, code: int, slug: str | None, expected: Sequence[Entry]
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
    out = _Findings(profile)
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

    rules = field_rules(snap.document.envelope)
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
