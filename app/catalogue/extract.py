"""Pull an error's fields out of whatever text carried it: the first half of the decoder.

Pure and bounded: the input is at most MAX_INPUT_BYTES (the caller checks), every pattern is
linear (no nested quantifiers that can overlap), Python-literal parsing (``ast.literal_eval``,
never ``eval``) runs only on at most MAX_REPR_CHARS with nesting at most MAX_REPR_DEPTH, and at
most MAX_CANDIDATES embedded objects are tried. docs/decode.md describes the shapes.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

MAX_INPUT_BYTES = 64 * 1024  # one body; larger ones are refused (413 over HTTP)
MAX_REPR_CHARS = 16 * 1024  # a Python-dict repr longer than this is salvaged, not parsed
MAX_REPR_DEPTH = 32  # nor one nested deeper than this
MAX_CANDIDATES = 8  # embedded `{` positions tried before giving up
MAX_FIELD_CHARS = 1000  # extracted strings are cut to this length
MAX_SLUG_CANDIDATES = 20  # slug-shaped words collected from free text
MAX_SLUG_CHARS = 200  # a longer "slug" is not one


class DecodedFields(msgspec.Struct, frozen=True, omit_defaults=False):
    """What was read from the body; every field may be missing."""

    code: int | None = None
    slug: str | None = None
    status: int | None = None
    message: str | None = None
    request_id: str | None = None
    suggested_fix: str | None = None


@dataclass
class Extraction:
    shape: str
    envelope_shape: str | None = None
    fields: DecodedFields = field(default_factory=DecodedFields)
    from_text: bool = False  # code/slug found by scanning free text, not read from keyed fields
    slug_candidates: tuple[str, ...] = ()  # free text only: slug-shaped words, in order
    notes: list[str] = field(default_factory=list)


# --- value coercion ---------------------------------------------------------------------------

_DIGITS = re.compile(r"[ \t]*([0-9]{1,18})[ \t]*")  # ASCII only
_SLUG = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")


def _cut(value: str) -> str:
    return value if len(value) <= MAX_FIELD_CHARS else value[:MAX_FIELD_CHARS] + "…"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**18 else None
    if isinstance(value, str):
        found = _DIGITS.fullmatch(value)
        return int(found[1]) if found else None
    return None


def _as_status(value: Any) -> int | None:
    number = _as_int(value)
    return number if number is not None and 100 <= number <= 599 else None


def _as_str(value: Any) -> str | None:
    return _cut(value) if isinstance(value, str) and value.strip() else None


def _as_slug(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_SLUG_CHARS:
        return None
    return value.strip() if _SLUG.fullmatch(value.strip()) else None


# --- structured objects -----------------------------------------------------------------------


def _first(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if obj.get(key) is not None:
            return obj[key]
    return None


def _fields_of(inner: dict[str, Any], outer: dict[str, Any]) -> DecodedFields:
    def pick(*keys: str) -> Any:
        value = _first(inner, *keys)
        return value if value is not None else _first(outer, *keys)

    return DecodedFields(
        code=_as_int(pick("code", "error_code")),
        slug=_as_slug(pick("slug")),
        status=_as_status(pick("status", "status_code", "statusCode")),
        message=_as_str(pick("message", "msg", "detail")),
        request_id=_as_str(pick("request_id", "requestId")),
        suggested_fix=_as_str(pick("suggested_fix")),
    )


def classify(obj: dict[str, Any]) -> str:
    """The envelope shape of a parsed object (see docs/decode.md)."""
    error = obj.get("error")
    if isinstance(error, dict):
        if "error_code" in error and "code" not in error:
            return "error_code_variant"
        if isinstance(error.get("code"), str):
            return "string_code"
        return "platform_envelope" if "slug" in error else "page_envelope"
    if isinstance(error, str):
        return "plain_string_error"
    if any(key in obj for key in ("code", "error_code", "slug")):
        return "unwrapped"
    return "unrecognised_object"


def from_object(obj: dict[str, Any], shape: str | None = None) -> Extraction:
    envelope = classify(obj)
    error = obj.get("error")
    inner = error if isinstance(error, dict) else obj
    out = Extraction(
        shape=shape or envelope, envelope_shape=envelope, fields=_fields_of(inner, obj)
    )
    raw_code = _first(inner, "code", "error_code")
    if raw_code is not None and out.fields.code is None:
        out.notes.append(f"`code` {_preview(raw_code)} is not a whole number; it was not used")
    raw_slug = inner.get("slug")
    if raw_slug is not None and out.fields.slug is None:
        out.notes.append(f"`slug` {_preview(raw_slug)} is not <Service>_<Name>; it was not used")
    if envelope == "plain_string_error" and isinstance(error, str):
        # The string is the message; it may name a slug or a code in passing.
        text = scan_text(error)
        f = out.fields
        out.fields = msgspec.structs.replace(f, message=_cut(error.strip()) or None)
        if f.code is None and f.slug is None and (text.fields.code or text.slug_candidates):
            out.fields = msgspec.structs.replace(out.fields, code=text.fields.code)
            out.slug_candidates = text.slug_candidates
            out.from_text = True
    return out


def _preview(value: Any) -> str:
    return json.dumps(value if isinstance(value, str | int | float | bool) else str(value))[:60]


# --- parsing: JSON, Python literals, embedded objects ------------------------------------------


def _json(text: str) -> tuple[bool, Any]:
    try:
        return True, msgspec.json.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return False, None


_BRACKETS = re.compile(r"[\[\](){}]")


def _python(text: str) -> tuple[bool, Any]:
    """``ast.literal_eval`` under size and nesting caps: literals only, nothing is executed."""
    if len(text) > MAX_REPR_CHARS:
        return False, None
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):  # over-counts brackets inside strings: only stricter
        depth += 1 if m[0] in "[({" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_REPR_DEPTH:
        return False, None
    try:
        return True, ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


_SPECIAL = re.compile(r"[\"'{}\[\]\\]")


def balanced_end(text: str, start: int) -> int | None:
    """The end of the `{...}` opening at ``start`` (strings in either quote respected); None when
    the text stops first. Linear: it jumps from one special character to the next."""
    depth = 0
    quote = None
    escaped_at = -1
    for m in _SPECIAL.finditer(text, start):
        ch, at = m[0], m.start()
        if at == escaped_at:
            continue
        if ch == "\\":
            escaped_at = at + 1
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "{[":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return at + 1
    return None


def _parse_object(text: str) -> tuple[str | None, dict[str, Any] | None]:
    ok, value = _json(text)
    if ok and isinstance(value, dict):
        return "json", value
    ok, value = _python(text)
    if ok and isinstance(value, dict):
        return "python", value
    return None, None


# --- salvage: keyed pairs from a cut or unparseable object --------------------------------------

_KEY = re.compile(
    r"[\"'](code|error_code|slug|status|status_code|message|request_id|suggested_fix)[\"']"
    r"[ \t]*:[ \t]*"
)
_NUMBER_VALUE = re.compile(r"[\"']?([0-9]{1,18})(?![0-9])")
_DQ_VALUE = re.compile(rf"\"((?:[^\"\\]|\\.){{0,{MAX_FIELD_CHARS}}})")
_SQ_VALUE = re.compile(rf"'((?:[^'\\]|\\.){{0,{MAX_FIELD_CHARS}}})")


def _unescape(raw: str, quote: str) -> str:
    if quote == "'":
        return raw.replace("\\'", "'")
    try:
        text: str = json.loads(f'"{raw}"')  # a quoted JSON string decodes to a str
        return text
    except ValueError:
        return raw


def salvage(text: str) -> DecodedFields:
    """The first ``"key": value`` of each known key, anchored on the quoted key."""
    found: dict[str, Any] = {}
    for m in _KEY.finditer(text):
        key = "code" if m[1] == "error_code" else "status" if m[1] == "status_code" else m[1]
        if key in found:
            continue
        if key in ("code", "status"):
            value = _NUMBER_VALUE.match(text, m.end())
            if value:
                found[key] = int(value[1])
        else:
            quote = text[m.end() : m.end() + 1]
            pattern = _DQ_VALUE if quote == '"' else _SQ_VALUE if quote == "'" else None
            value = pattern.match(text, m.end()) if pattern else None
            if value:
                found[key] = _unescape(value[1], quote)
        if len(found) == 6:
            break
    return DecodedFields(
        code=found.get("code"),
        slug=_as_slug(found.get("slug")),
        status=_as_status(found.get("status")),
        message=_as_str(found.get("message")),
        request_id=_as_str(found.get("request_id")),
        suggested_fix=_as_str(found.get("suggested_fix")),
    )


# --- free text ----------------------------------------------------------------------------------

# An HTTP status: only where the text says it is one, and never inside a longer number.
_STATUS_LINE = re.compile(
    r"[ \t]*(?:HTTP/[0-9](?:\.[0-9])?[ \t]+)?([1-5][0-9][0-9])(?![0-9])[ \t]+[A-Za-z]"
)
_STATUS_ERROR_CODE = re.compile(r"\bError code:[ \t]*([1-5][0-9][0-9])(?![0-9])[ \t]*-")
_STATUS_KEYED = re.compile(
    r"\b(?:status(?:[ _]?code)?|HTTP(?:/[0-9](?:\.[0-9])?|[ ]status)?)[\"']?[ \t]*[:=]?[ \t]*[\"']?"
    r"([1-5][0-9][0-9])(?![0-9])",
    re.IGNORECASE,
)
_CODE_TEXT = re.compile(
    r"\b(?:error[_ ]?code|code)[\"']?[ \t]*[:=#]?[ \t]*[\"']?([0-9]{1,18})(?![0-9])",
    re.IGNORECASE,
)
_SLUG_TEXT = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_AFTER = re.compile(r"[\"']?[ \t]*(?::|-)[ \t]*([^\r\n]+)")


def _slug_like(word: str) -> bool:
    """<Service>_<Name>: every part capitalised or numeric, the name CamelCase (MAX_SIZE is not)."""
    parts = word.split("_")
    return all(p[0].isupper() or p[0].isdigit() for p in parts) and any(
        c.islower() for c in parts[-1]
    )


def scan_status(text: str) -> int | None:
    for pattern in (_STATUS_ERROR_CODE, _STATUS_KEYED):
        m = pattern.search(text)
        if m:
            return int(m[1])
    m = _STATUS_LINE.match(text)
    return int(m[1]) if m else None


def scan_text(text: str) -> Extraction:
    """The fields a free text names: a status where it says so, a code after `code`, slugs."""
    claimed = set()  # numbers read as statuses are not codes too ("status code 404")
    status = None
    for pattern in (_STATUS_ERROR_CODE, _STATUS_KEYED):
        for m in pattern.finditer(text):
            claimed.add(m.start(1))
            status = status or int(m[1])
    line = _STATUS_LINE.match(text)
    if line:
        claimed.add(line.start(1))
        status = status or int(line[1])
    code_match = next((m for m in _CODE_TEXT.finditer(text) if m.start(1) not in claimed), None)
    slugs: list[str] = []
    first_slug_end = None
    for m in _SLUG_TEXT.finditer(text):
        if len(m[0]) <= MAX_SLUG_CHARS and _slug_like(m[0]) and m[0] not in slugs:
            slugs.append(m[0])
            first_slug_end = first_slug_end or m.end()
            if len(slugs) == MAX_SLUG_CANDIDATES:
                break
    # "Slug: message" / "code 1803 - message": the rest of that line is the message.
    anchor = first_slug_end or (code_match.end() if code_match else None)
    after = _AFTER.match(text, anchor) if anchor else None
    message = after[1].strip() if after else text.strip().splitlines()[0] if text.strip() else ""
    return Extraction(
        shape="text",
        fields=DecodedFields(
            code=int(code_match[1]) if code_match else None,
            status=status,
            message=_as_str(message),
        ),
        from_text=True,
        slug_candidates=tuple(slugs),
    )


# --- the entry point ------------------------------------------------------------------------------


def extract(text: str) -> Extraction:
    body = text.strip().lstrip("\ufeff")
    if not body:
        return Extraction(shape="empty")
    ok, value = _json(body)
    if ok:
        if isinstance(value, dict):
            return from_object(value)
        if isinstance(value, str):
            out = scan_text(value)
            out.notes.append("the body is a JSON string; its text was scanned")
            return out
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out = from_object(value[0])
            out.notes.append(f"the body is a JSON array of {len(value)}; the first item was read")
            return out
    if body.startswith("{"):
        kind, obj = _parse_object(body)
        if kind == "python" and obj is not None:
            return from_object(obj, shape="python_repr")
    return _embedded(body)


def _embedded(body: str) -> Extraction:
    start = body.find("{")
    for _ in range(MAX_CANDIDATES):
        if start < 0:
            break
        end = balanced_end(body, start)
        if end is None:  # the text stops inside the object: salvage keyed pairs
            out = Extraction(shape="truncated", fields=salvage(body[start:]))
            out.notes.append(
                "the object is cut short; fields were salvaged from its key: value pairs"
            )
            return _with_prefix_status(out, body[:start])
        kind, obj = _parse_object(body[start:end])
        if obj is not None:
            shape = "embedded_json" if kind == "json" else "embedded_python_repr"
            return _with_prefix_status(from_object(obj, shape=shape), body[:start])
        fields = salvage(body[start:end])
        if fields.code is not None or fields.slug is not None:
            out = Extraction(shape="unparseable_object", fields=fields)
            out.notes.append(
                "the object is neither JSON nor a Python literal; fields were salvaged"
            )
            return _with_prefix_status(out, body[:start])
        start = body.find("{", start + 1)
    return scan_text(body)


def _with_prefix_status(out: Extraction, prefix: str) -> Extraction:
    """A gateway's status line before the object ("502 Bad Gateway: {...}") gives the status."""
    status = scan_status(prefix) if prefix.strip() else None
    if status is None:
        return out
    if out.fields.status is None:
        out.fields = msgspec.structs.replace(out.fields, status=status)
    elif out.fields.status != status:
        out.notes.append(
            f"the text around the object says status {status}, the object {out.fields.status}; "
            "the object's is used"
        )
    return out
