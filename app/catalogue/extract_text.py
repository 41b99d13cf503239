"""The decoder's scanners over raw text: keyed pairs salvaged from an object that does not parse,
and the status, code and slugs that free text names. docs/decode.md describes what they read.

Every pattern is a LinearPattern (RE2) matched over the text's UTF-8 bytes, encoded once per
scan: each match is linear in the text's length, whatever it holds, and each pattern is looked at
in at most MAX_MATCHES places, so that a text made of nothing but keywords costs little more.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

from app.catalogue.extract_fields import (
    MAX_FIELD_CHARS,
    MAX_SLUG_CANDIDATES,
    MAX_SLUG_CHARS,
    DecodedFields,
    Extraction,
    as_slug,
    as_status,
    as_str,
)
from app.catalogue.linear import LinearPattern, text_of, utf8

MAX_MATCHES = 100  # places where one pattern matched that are looked at, per scan

# --- salvage: keyed pairs from a cut or unparseable object --------------------------------------

_KEY = LinearPattern(
    r"[\"'](code|error_code|slug|status|status_code|message|request_id|suggested_fix)[\"']"
    r"[ \t]*:[ \t]*"
)
# Not followed by a digit (RE2 has no look-ahead): a 19-digit number is no number.
_NUMBER_VALUE = LinearPattern(r"[\"']?([0-9]{1,18})(?:[^0-9]|$)")
_DQ_VALUE = LinearPattern(rf"\"((?:[^\"\\]|\\.){{0,{MAX_FIELD_CHARS}}})")
_SQ_VALUE = LinearPattern(rf"'((?:[^'\\]|\\.){{0,{MAX_FIELD_CHARS}}})")


def _unescape(raw: str, quote: bytes) -> str:
    if quote == b"'":
        return raw.replace("\\'", "'")
    try:
        text: str = json.loads(f'"{raw}"')  # a quoted JSON string decodes to a str
        return text
    except ValueError:
        return raw


def salvage(raw: bytes) -> DecodedFields:
    """The first ``"key": value`` of each known key, anchored on the quoted key."""
    found: dict[str, Any] = {}
    for m in islice(_KEY.finditer(raw), MAX_MATCHES):
        name = m[1].decode("ascii")
        key = "code" if name == "error_code" else "status" if name == "status_code" else name
        if key in found:
            continue
        if key in ("code", "status"):
            value = _NUMBER_VALUE.match(raw, m.end())
            if value:
                found[key] = int(value[1])
        else:
            quote = raw[m.end() : m.end() + 1]
            pattern = _DQ_VALUE if quote == b'"' else _SQ_VALUE if quote == b"'" else None
            value = pattern.match(raw, m.end()) if pattern else None
            if value:
                found[key] = _unescape(text_of(value[1]), quote)
        if len(found) == 6:
            break
    return DecodedFields(
        code=found.get("code"),
        slug=as_slug(found.get("slug")),
        status=as_status(found.get("status")),
        message=as_str(found.get("message")),
        request_id=as_str(found.get("request_id")),
        suggested_fix=as_str(found.get("suggested_fix")),
    )


# --- free text ----------------------------------------------------------------------------------

# An HTTP status: only where the text says it is one, and never inside a longer number. The
# digits of _STATUS_LINE and _STATUS_ERROR_CODE are followed by a required space or dash, so a
# longer number cannot match; the others end on a non-digit (RE2 has no look-ahead), which is
# why their matches are read through group 1, never through the whole match's end.
_STATUS_LINE = LinearPattern(
    r"[ \t]*(?:HTTP/[0-9](?:\.[0-9])?[ \t]+)?([1-5][0-9][0-9])[ \t]+[A-Za-z]"
)
_STATUS_ERROR_CODE = LinearPattern(r"\bError code:[ \t]*([1-5][0-9][0-9])[ \t]*-")
# `[ \t]*(?:[:=][ \t]*)?`, not `[ \t]*[:=]?[ \t]*`: two runs that could share the same blanks
# are what made Python's `re` quadratic here; this way no blank can be matched two ways.
_STATUS_KEYED = LinearPattern(
    r"\b(?:status(?:[ _]?code)?|HTTP(?:/[0-9](?:\.[0-9])?|[ ]status)?)[\"']?[ \t]*(?:[:=][ \t]*)?"
    r"[\"']?([1-5][0-9][0-9])(?:[^0-9]|$)",
    ignore_case=True,
)
_CODE_TEXT = LinearPattern(
    r"\b(?:error[_ ]?code|code)[\"']?[ \t]*(?:[:=#][ \t]*)?[\"']?([0-9]{1,18})(?:[^0-9]|$)",
    ignore_case=True,
)
_SLUG_TEXT = LinearPattern(r"\b[A-Z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_AFTER = LinearPattern(r"[\"']?[ \t]*(?::|-)[ \t]*([^\r\n]+)")


def _slug_like(word: str) -> bool:
    """<Service>_<Name>: every part capitalised or numeric, the name CamelCase (MAX_SIZE is not)."""
    parts = word.split("_")
    return all(p[0].isupper() or p[0].isdigit() for p in parts) and any(
        c.islower() for c in parts[-1]
    )


def scan_status(raw: bytes) -> int | None:
    """The HTTP status a text before an object gives ("502 Bad Gateway: {...}"), if any."""
    for pattern in (_STATUS_ERROR_CODE, _STATUS_KEYED):
        m = pattern.search(raw)
        if m:
            return int(m[1])
    m = _STATUS_LINE.match(raw)
    return int(m[1]) if m else None


def scan_text(text: str) -> Extraction:
    """The fields a free text names: a status where it says so, a code after `code`, slugs."""
    raw = utf8(text)
    claimed = set()  # numbers read as statuses are not codes too ("status code 404")
    looked_to = len(raw)  # codes are read only where every status was looked for
    status = None
    for pattern in (_STATUS_ERROR_CODE, _STATUS_KEYED):
        statuses = list(islice(pattern.finditer(raw), MAX_MATCHES))
        if len(statuses) == MAX_MATCHES:
            looked_to = min(looked_to, statuses[-1].start(1))
        for m in statuses:
            claimed.add(m.start(1))
            status = status or int(m[1])
    line = _STATUS_LINE.match(raw)
    if line:
        claimed.add(line.start(1))
        status = status or int(line[1])
    code_match = next(
        (
            m
            for m in islice(_CODE_TEXT.finditer(raw), MAX_MATCHES)
            if m.start(1) not in claimed and m.start(1) <= looked_to
        ),
        None,
    )
    slugs: list[str] = []
    first_slug_end = None
    for m in islice(_SLUG_TEXT.finditer(raw), MAX_MATCHES):
        word = m[0].decode("ascii")
        if len(word) <= MAX_SLUG_CHARS and _slug_like(word) and word not in slugs:
            slugs.append(word)
            first_slug_end = first_slug_end or m.end()
            if len(slugs) == MAX_SLUG_CANDIDATES:
                break
    # "Slug: message" / "code 1803 - message": the rest of that line is the message.
    anchor = first_slug_end or (code_match.end(1) if code_match else None)
    after = _AFTER.match(raw, anchor) if anchor else None
    if after:
        message = text_of(after[1]).strip()
    else:
        message = text.strip().splitlines()[0] if text.strip() else ""
    return Extraction(
        shape="text",
        fields=DecodedFields(
            code=int(code_match[1]) if code_match else None,
            status=status,
            message=as_str(message),
        ),
        from_text=True,
        slug_candidates=tuple(slugs),
    )
