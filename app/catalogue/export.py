"""Exports of the catalogue, generated from a Snapshot by pure functions.

``render_export(snapshot, fmt)`` gives the bytes of one export: ``json`` (the whole catalogue),
``md`` (the vendor's page, in its own layout), ``csv`` (one row per entry), ``python`` and
``typescript`` (constants modules, see ``app.catalogue.constants``).

Every export is a function of the catalogue's content and its version (revision and content
hash) only: never of the time, the machine or the load (``loaded_at`` is left out), so two
renders of one revision are identical bytes, and the catalogue's ETag is a valid validator for
all of them. Orders: the page's for ranges, sections and their rows; the listings' (by code,
then service) for the CSV's rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Literal, get_args

import msgspec

from app.catalogue.amendments import Provenance
from app.catalogue.constants import constant_names, render_python, render_typescript
from app.catalogue.model import EnvelopeFieldDoc, ErrorType, RangeRef, Section, Snapshot

ExportFormat = Literal["json", "md", "csv", "python", "typescript"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)


class ExportVersion(msgspec.Struct, frozen=True):
    """Which catalogue an export was made from."""

    revision: int
    content_hash: str


class CatalogueExport(msgspec.Struct, frozen=True):
    """``GET /catalogue.json``: the whole catalogue, in the page's order."""

    version: ExportVersion
    source: str
    envelope: tuple[EnvelopeFieldDoc, ...]
    ranges: tuple[RangeRef, ...]
    sections: tuple[Section, ...]
    error_types: tuple[ErrorType, ...]


def export_version(snap: Snapshot) -> ExportVersion:
    return ExportVersion(revision=snap.version.revision, content_hash=snap.version.content_hash)


def catalogue_export(snap: Snapshot) -> CatalogueExport:
    return CatalogueExport(
        version=export_version(snap),
        source=snap.head.source,
        envelope=snap.head.envelope,
        ranges=snap.ranges,
        sections=snap.sections,
        error_types=snap.error_types,
    )


def render_json(snap: Snapshot) -> bytes:
    return msgspec.json.format(msgspec.json.encode(catalogue_export(snap)), indent=2) + b"\n"


# --- Markdown: the vendor's page ----------------------------------------------------------------


def _cell(text: object) -> str:
    """A table cell: pipes escaped, line breaks (which would end the row) turned into spaces."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _example_value(field: EnvelopeFieldDoc) -> object:
    """The page's example value for one envelope field (stored as text), as JSON again."""
    if field.type == "string":
        return field.example
    try:
        return json.loads(field.example)
    except ValueError:
        return field.example


def _code_table(section: Section, status_header: str) -> list[str]:
    lines = [_row("Code", "Name", status_header, "Description"), "|---:|---|---:|---|"]
    lines += [
        _row(e.code, e.name, e.status, e.description) for e in section.entries if e.origin == "page"
    ]
    return lines


def _seen(p: Provenance) -> str:
    return f"{p.seen_in}{', ' + p.url if p.url else ''} ({p.seen})"


def _amendments_markdown(snap: Snapshot) -> list[str]:
    """errcat's amendments after the page: the entries it adds and its notes on entries."""
    added = [e for e in snap.entries if e.origin == "amendment"]
    noted = [(e, n) for e in snap.entries for n in e.notes]
    if not added and not noted:
        return []
    out = [
        "",
        "## Amendments (errcat)",
        "",
        "Not on the page: what the live platform is seen to send, each with where it was seen.",
    ]
    if added:
        out += ["", _row("Code", "Service", "Name", "Status", "Description", "Seen in")]
        out.append("|---:|---|---|---:|---|---|")
        out += [
            _row(
                "" if e.code is None else e.code,
                e.service,
                e.name,
                e.status,
                e.description,
                _seen(e.provenance) if e.provenance else "",
            )
            for e in added
        ]
    if noted:
        out += ["", _row("Code", "Service", "Name", "Note", "Seen in"), "|---:|---|---|---|---|"]
        out += [
            _row(
                e.code,
                e.service,
                e.name,
                (n.note or "")
                + (f" Superseded by {n.superseded_by}." if n.superseded_by is not None else "")
                + (f" Action: {n.action}." if n.action else ""),
                _seen(n.provenance),
            )
            for e, n in noted
        ]
    return out


def render_markdown(snap: Snapshot) -> bytes:
    """The page as Markdown, in its layout: envelope format, ranges, each platform section with
    its table, then Thermos's own codes and error types. Every row as printed."""
    doc, version = snap.head, snap.version
    example = {"error": {f.name: _example_value(f) for f in doc.envelope}}
    out = [
        f"# {_cell(doc.source)}",
        "",
        f"Generated by errcat from catalogue revision {version.revision} (content hash "
        f"`{_cell(version.content_hash)}`). Every row is as the page prints it, "
        "contradictions included.",
        "",
        "## Error Response Format",
        "",
        "All API errors follow this standard format:",
        "",
        "```json",
        json.dumps(example, indent=2, ensure_ascii=False).replace("```", "`\u200b``"),
        "```",
        "",
        _row("Field", "Type", "Required", "Example"),
        "|---|---|---|---|",
        *(_row(f.name, f.type, "yes" if f.required else "no", f.example) for f in doc.envelope),
        "",
        "## Error Code Ranges",
        "",
        *(f"- {r.start}-{r.end}: {_cell(r.service)} errors" for r in snap.ranges),
        "",
        "## Error Codes by Service",
    ]
    for section in snap.sections:
        if section.namespace == "platform" and section.origin == "page":
            out += ["", f"### {_cell(section.heading)}", "", *_code_table(section, "Status")]
    thermos = [s for s in snap.sections if s.namespace == "thermos"]
    if thermos or snap.error_types:
        out += [
            "",
            "## Thermos Service Error Codes",
            "",
            "The Thermos service uses its own code system: its codes lie in no platform range.",
        ]
        for section in thermos:
            out += ["", f"### {_cell(section.heading)}", "", *_code_table(section, "HTTP Status")]
        if snap.error_types:
            out += ["", "### Error Types", "", _row("Type", "Description"), "|---|---|"]
            out += [_row(t.type, t.description) for t in snap.error_types]
    out += _amendments_markdown(snap)
    return ("\n".join(out) + "\n").encode()


# --- CSV: one row per entry ----------------------------------------------------------------------

CSV_COLUMNS = (
    "code",
    "name",
    "status",
    "description",
    "service",
    "namespace",
    "slug",
    "ranges",
    "constant",
    "action",
    "retryable",
    "origin",
    "provenance",
)


def format_ranges(ranges: tuple[RangeRef, ...]) -> str:
    """The CSV's ``ranges`` cell: ``1200-1299 TriggerInstance``, several joined by ``; ``."""
    return "; ".join(f"{r.start}-{r.end} {r.service}" for r in ranges)


def render_csv(snap: Snapshot) -> bytes:
    """RFC 4180 CSV (CRLF line ends, quoted where needed) with a header row; ``constant`` is the
    entry's name in the Python and TypeScript exports (empty for an amendment without a number,
    whose ``code`` is empty too); ``provenance`` is where an amendment was seen."""
    names = constant_names(snap)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in snap.entries:
        writer.writerow(
            (
                "" if e.code is None else e.code,
                e.name,
                e.status,
                e.description,
                e.service,
                e.namespace,
                e.slug,
                format_ranges(e.ranges),
                names.get(id(e), ""),
                e.action,
                "true" if e.retryable else "false",
                e.origin,
                _seen(e.provenance) if e.provenance else "",
            )
        )
    return buffer.getvalue().encode()


_RENDERERS: dict[str, Callable[[Snapshot], bytes]] = {
    "json": render_json,
    "md": render_markdown,
    "csv": render_csv,
    "python": lambda snap: render_python(snap).encode(),
    "typescript": lambda snap: render_typescript(snap).encode(),
}


def render_export(snap: Snapshot, fmt: str) -> bytes:
    """The bytes of one export; ValueError for a format not in EXPORT_FORMATS."""
    try:
        render = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown export format {fmt!r} (one of {', '.join(EXPORT_FORMATS)})"
        ) from None
    return render(snap)
