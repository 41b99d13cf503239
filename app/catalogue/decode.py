"""Decode any error body into catalogue entries and advice: the second half of the decoder.

``decode(snapshot, raw)`` takes a body in any of the shapes met in the wild (app.catalogue.extract
reads it), matches its code and slug against the catalogue and says how sure it is and what to
do. Pure; docs/decode.md is the reference.

Confidence:
- ``exact``: the code and the slug were both read from keyed fields and name the same entry;
- ``slug``: the slug names an entry (and the code names none, or another: see ``disagreement``);
- ``code``: only the code names entries (a number the page lists twice gives both, narrowed to
  the ones with the body's status when it has one);
- ``text``: entries found only by scanning free text (a slug-shaped word, ``code 1803``);
- ``none``: no entry found (guidance may still come from the status).
"""

from __future__ import annotations

import sys
from typing import BinaryIO, Literal, TextIO

import msgspec

from app.catalogue.extract import MAX_INPUT_BYTES as MAX_INPUT_BYTES
from app.catalogue.extract import extract
from app.catalogue.extract_fields import DecodedFields, Extraction
from app.catalogue.guidance import NO_OVERRIDES, Guidance, status_guidance
from app.catalogue.model import Entry, Snapshot
from app.catalogue.query import find_by_slug, lookup

Confidence = Literal["exact", "slug", "code", "text", "none"]
SHAPES: dict[str, str] = {
    "page_envelope": '{"error": {"message", "code", "status", ...}} as the catalogue page prints',
    "platform_envelope": "the page's envelope with `slug` (the Platform API's Error schema)",
    "error_code_variant": "an older envelope: `error_code` instead of `code`",
    "string_code": 'an envelope whose `code` is a string ("403")',
    "plain_string_error": '{"error": "Invalid consumer API key"}: `error` is a plain string',
    "unwrapped": '{"code": 10429, "slug": "HTTP_TooManyRequests"}: fields with no `error` wrapper',
    "unrecognised_object": "a JSON object with none of the fields above",
    "python_repr": "the whole body is a Python dict as printed (single quotes, None, True)",
    "embedded_json": 'a JSON object inside text ("502 Bad Gateway: {...}")',
    "embedded_python_repr": "a Python dict inside text (\"Error code: 502 - {'error': ...}\")",
    "truncated": "an object cut short (a log line): fields salvaged from key: value pairs",
    "unparseable_object": "a balanced {...} that is neither JSON nor a Python literal: salvaged",
    "text": "no object: free text scanned for a status, a code and slug-shaped words",
    "empty": "nothing but white space",
}


class InputTooLarge(ValueError):
    def __init__(self, size: int, limit: int = MAX_INPUT_BYTES) -> None:
        super().__init__(f"the body is {size} bytes; errcat decodes at most {limit}")
        self.size = size
        self.limit = limit


class DecodeReport(msgspec.Struct, frozen=True):
    shape: str  # how the body was recognised (SHAPES)
    envelope_shape: str | None  # the form of the object inside it, when there is one
    extracted: DecodedFields
    confidence: Confidence
    matches: tuple[Entry, ...]  # the entries the error most likely is
    by_code: tuple[Entry, ...]  # every entry the code names
    by_slug: tuple[Entry, ...]  # every entry the slug names
    disagreement: str | None  # the code and the slug name different entries
    action: str | None  # app.catalogue.guidance's vocabulary; None when nothing says
    retryable: bool | None
    guidance_from: Literal["entry", "override", "status"] | None
    notes: tuple[str, ...]


def decode(snap: Snapshot, raw: bytes | str) -> DecodeReport:
    """Decode one body; raises InputTooLarge above MAX_INPUT_BYTES bytes (or characters, for a
    str), and nothing else."""
    size = len(raw)
    if size > MAX_INPUT_BYTES:
        raise InputTooLarge(size)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return match(snap, extract(text))


def _names(entries: tuple[Entry, ...]) -> str:
    return " and ".join(f"{e.slug} ({e.code})" for e in entries)


def match(snap: Snapshot, found: Extraction) -> DecodeReport:
    notes = list(found.notes)
    fields = found.fields
    slug = fields.slug
    if slug is None and found.slug_candidates:  # free text: prefer a word the catalogue knows
        slug = next((s for s in found.slug_candidates if find_by_slug(snap, s)), None)
        slug = slug or found.slug_candidates[0]
        fields = msgspec.structs.replace(fields, slug=slug)
    code, status = fields.code, fields.status
    by_code = lookup(snap, code) if code is not None else ()
    by_slug = find_by_slug(snap, slug) if slug else ()

    disagreement = None
    confidence: Confidence = "none"
    matches: tuple[Entry, ...] = ()
    if by_slug:
        both = tuple(e for e in by_slug if e in by_code)
        matches = both or by_slug
        confidence = "exact" if both else "slug"
        if code is not None and not both:
            named = f"names {_names(by_code)}" if by_code else "is not documented"
            disagreement = (
                f"code {code} {named}, but slug {slug} is {_names(by_slug)}; "
                "the slug is the more specific, so the matches follow it"
            )
    elif by_code:
        matches, confidence = by_code, "code"
        if slug:
            notes.append(f"slug {slug} is not in the catalogue; the match rests on code {code}")
    else:
        if slug:
            notes.append(f"slug {slug} is not in the catalogue")
        if code is not None:
            notes.append(f"code {code} is not documented (GET /ranges/resolve?code={code})")
    if found.from_text and matches:
        confidence = "text"

    if status is not None and len(matches) > 1:
        same = tuple(e for e in matches if e.status == status)
        if same and len(same) < len(matches):
            notes.append(f"of the {len(matches)} matches, the body's status {status} picks these")
            matches = same
    if status is not None and matches and all(e.status != status for e in matches):
        notes.append(
            f"the body says status {status}; the catalogue gives {_names(matches)} status "
            f"{'/'.join(str(s) for s in sorted({e.status for e in matches}))}"
        )

    advice, source = _guidance(snap, matches, slug, status, notes)
    return DecodeReport(
        shape=found.shape,
        envelope_shape=found.envelope_shape,
        extracted=fields,
        confidence=confidence,
        matches=matches,
        by_code=by_code,
        by_slug=by_slug,
        disagreement=disagreement,
        action=advice.action if advice else None,
        retryable=advice.retryable if advice else None,
        guidance_from=source,
        notes=tuple(notes),
    )


def _guidance(
    snap: Snapshot,
    matches: tuple[Entry, ...],
    slug: str | None,
    status: int | None,
    notes: list[str],
) -> tuple[Guidance | None, Literal["entry", "override", "status"] | None]:
    """The matches' own guidance when they agree; else an override for the slug (which may name
    an error the catalogue does not list); else the status's default; else nothing."""
    advised = {(e.action, e.retryable) for e in matches}
    if len(advised) == 1:
        action, retryable = advised.pop()
        return Guidance(action, retryable), "entry"
    overrides = snap.guidance_overrides or NO_OVERRIDES
    override = overrides.for_slug(slug)
    if override is not None:
        return override, "override"
    if len(advised) > 1:
        notes.append(
            "the matches advise different actions ("
            + ", ".join(sorted(a for a, _ in advised))
            + ")"
            + ("; the status decides" if status_guidance(status) else "; nothing decides")
        )
    by_status = status_guidance(status)
    return (by_status, "status") if by_status else (None, None)


def decode_stream(snap: Snapshot, source: BinaryIO, out: TextIO, *, lines: bool = False) -> int:
    """``errcat decode``: one body from ``source`` (a formatted report), or with ``lines`` one
    body per line (one JSON report per line, in order; a line over the limit gets
    ``{"line": n, "error": ...}`` so the output stays aligned). Returns the exit status."""
    if not lines:
        raw = source.read(MAX_INPUT_BYTES + 1)
        if len(raw) > MAX_INPUT_BYTES:
            print(f"errcat: the input is larger than {MAX_INPUT_BYTES} bytes", file=sys.stderr)
            return 1
        report = msgspec.json.encode(decode(snap, raw))
        out.write(msgspec.json.format(report.decode(), indent=2) + "\n")
        return 0
    for number, line in enumerate(source, start=1):
        body = line.rstrip(b"\r\n")
        try:
            encoded = msgspec.json.encode(decode(snap, body))
        except InputTooLarge as exc:
            encoded = msgspec.json.encode({"line": number, "error": str(exc)})
        out.write(encoded.decode() + "\n")
    return 0
