"""Pull an error's fields out of whatever text carried it: the first half of the decoder.

Pure and bounded: the input is at most MAX_INPUT_BYTES (the caller checks), every pattern runs
on RE2 in linear time (app.catalogue.linear), Python-literal parsing (``ast.literal_eval``, never
``eval``) runs only on at most MAX_REPR_CHARS with nesting at most MAX_REPR_DEPTH, and at most
MAX_CANDIDATES embedded objects are tried. docs/decode.md describes the shapes.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Iterator
from itertools import accumulate, repeat
from typing import Any

import msgspec

from app.catalogue.extract_fields import (
    DecodedFields,
    Extraction,
    as_int,
    as_slug,
    as_status,
    as_str,
    cut,
)
from app.catalogue.extract_text import salvage, scan_status, scan_text
from app.catalogue.linear import LinearPattern, text_of, utf8

MAX_INPUT_BYTES = 64 * 1024  # one body; larger ones are refused (413 over HTTP)
MAX_REPR_CHARS = 16 * 1024  # a Python-dict repr longer than this is salvaged, not parsed
MAX_REPR_DEPTH = 32  # nor one nested deeper than this
# Python-literal parsing costs per token, not per byte: the separators (`,` `:`) it may read in
# one decode, all candidates together, bound a crafted body of tiny items (`{1,1,1,...}`).
MAX_REPR_ITEMS = 512
MAX_CANDIDATES = 8  # embedded `{` positions tried before giving up
MAX_OBJECT_DEPTH = 128  # an object inside text nested deeper is taken for one cut short


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
        code=as_int(pick("code", "error_code")),
        slug=as_slug(pick("slug")),
        status=as_status(pick("status", "status_code", "statusCode")),
        message=as_str(pick("message", "msg", "detail")),
        request_id=as_str(pick("request_id", "requestId")),
        suggested_fix=as_str(pick("suggested_fix")),
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
        out.fields = msgspec.structs.replace(f, message=cut(error.strip()) or None)
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


# Each opening bracket a byte 2, each closing one a byte 0, all else deleted: the depth after each
# bracket is a running sum of (byte - 1), computed in C (no per-bracket Python loop).
_BRACKET_STEPS = bytes.maketrans(b"[({])}", b"\x02\x02\x02\x00\x00\x00")
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[({])}")


def _deepest(raw: bytes) -> int:
    """The deepest bracket nesting; over-counts brackets inside strings, which is only stricter."""
    steps = raw.translate(_BRACKET_STEPS, _NOT_A_BRACKET)
    depths: Iterator[int] = accumulate(map(operator.sub, steps, repeat(1)), initial=0)
    return max(depths)


class _ReprBudget:
    """What is left of one decode's MAX_REPR_ITEMS."""

    def __init__(self) -> None:
        self.items = MAX_REPR_ITEMS


def _python(text: str, budget: _ReprBudget) -> tuple[bool, Any]:
    """``ast.literal_eval`` under size, nesting and item caps: literals only, nothing is
    executed."""
    if len(text) > MAX_REPR_CHARS:
        return False, None
    raw = utf8(text)
    items = raw.count(b",") + raw.count(b":")
    if items > budget.items or _deepest(raw) > MAX_REPR_DEPTH:
        return False, None
    budget.items -= items
    try:
        return True, ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _balanced_object(depth: int) -> str:
    """A pattern for one `{...}` (or `[...]`: either closing bracket closes either) nested at most
    ``depth`` deep, whose strings in either quote and backslash escapes hide the brackets inside
    them. A regular language, so RE2 matches it in one linear pass."""
    atom = r"""[^"'{}\[\]\\]|\\(?s:.)|"(?:[^"\\]|\\(?s:.))*"|'(?:[^'\\]|\\(?s:.))*'"""
    nested = rf"[{{\[](?:{atom})*[}}\]]"
    for _ in range(depth - 1):
        nested = rf"[{{\[](?:{atom}|{nested})*[}}\]]"
    return nested


_BALANCED = LinearPattern(_balanced_object(MAX_OBJECT_DEPTH))


def balanced_end(raw: bytes, start: int) -> int | None:
    """The end of the `{...}` opening at byte ``start`` (strings in either quote respected); None
    when the text stops first, or the object nests deeper than MAX_OBJECT_DEPTH."""
    found = _BALANCED.match(raw, start)
    return found.end() if found else None


def _parse_object(text: str, budget: _ReprBudget) -> tuple[str | None, dict[str, Any] | None]:
    ok, value = _json(text)
    if ok and isinstance(value, dict):
        return "json", value
    ok, value = _python(text, budget)
    if ok and isinstance(value, dict):
        return "python", value
    return None, None


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
    budget = _ReprBudget()
    if body.startswith("{"):
        kind, obj = _parse_object(body, budget)
        if kind == "python" and obj is not None:
            return from_object(obj, shape="python_repr")
    return _embedded(body, budget)


def _embedded(body: str, budget: _ReprBudget) -> Extraction:
    raw = utf8(body)  # encoded once: offsets below are byte offsets; `{` and `}` are one byte
    start = raw.find(b"{")
    for _ in range(MAX_CANDIDATES):
        if start < 0:
            break
        end = balanced_end(raw, start)
        if end is None:  # the text stops inside the object: salvage keyed pairs
            out = Extraction(shape="truncated", fields=salvage(raw[start:]))
            out.notes.append(
                "the object is cut short; fields were salvaged from its key: value pairs"
            )
            return _with_prefix_status(out, raw[:start])
        kind, obj = _parse_object(text_of(raw[start:end]), budget)
        if obj is not None:
            shape = "embedded_json" if kind == "json" else "embedded_python_repr"
            return _with_prefix_status(from_object(obj, shape=shape), raw[:start])
        fields = salvage(raw[start:end])
        if fields.code is not None or fields.slug is not None:
            out = Extraction(shape="unparseable_object", fields=fields)
            out.notes.append(
                "the object is neither JSON nor a Python literal; fields were salvaged"
            )
            return _with_prefix_status(out, raw[:start])
        start = raw.find(b"{", start + 1)
    return scan_text(body)


def _with_prefix_status(out: Extraction, prefix: bytes) -> Extraction:
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
