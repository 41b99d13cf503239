"""Reading a JSON body for the envelope validator: decode it, or say exactly what is wrong.

msgspec decodes (fast, with a depth limit); where it cannot tell (a member name given twice),
the standard parser reads the body again. Errors are ``BodyError`` (a domain ``InvalidBody``),
with line, column and byte of the problem. Also the small helpers that speak of JSON values in
messages: JSON Pointers, ``describe``, ``quote`` (JSON-escaped, cut short). Pure.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import msgspec

from app.catalogue import text
from app.catalogue.errors import InvalidBody

QUOTE_LIMIT = 60  # characters of a user value quoted in a message


class BodyError(InvalidBody):
    """A body that cannot be validated at all (not JSON, empty, too deep, not a batch)."""


# --- speaking of JSON values ------------------------------------------------------------------


def pointer(*tokens: str | int) -> str:
    """An RFC 6901 JSON Pointer: ``~`` becomes ``~0`` and ``/`` becomes ``~1``, in that order."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


# A user string as a JSON string literal, cut to QUOTE_LIMIT characters: safe to embed.
quote = partial(text.quote, limit=QUOTE_LIMIT, as_json=True)


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


class Members(dict[str, Any]):
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
        repeated: dict[str, None] = {}  # in the order of their second appearance
        for k, _ in pairs:
            if k in seen:
                repeated[k] = None
            seen.add(k)
        obj.duplicates = tuple(repeated)
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
