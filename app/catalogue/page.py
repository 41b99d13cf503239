"""Transcribe the vendor's wiki page (plain text, as copied from the browser) into a document.

The page is the origin of ``seeds/catalogue.json``; this parser keeps every row exactly as
printed, including the page's contradictions, and fails loudly on anything it does not
understand rather than guessing, so a changed page can never be half-transcribed.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from app.catalogue.model import (
    CatalogueDocument,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
    SectionDoc,
)

_RANGE_LINE = re.compile(r"^- (\d+)-(\d+): (.+) errors$")
_SECTION_HEADING = re.compile(r"^(.+) Errors \((\d+)-(\d+)\)$")
_CELL = re.compile(r"^\|?\s*(.*?)\s*\|$")

_THERMOS_MARKER = "Thermos Service Error Codes"
_END_MARKER = "Error Handling Best Practices"
_SECTIONS_MARKER = "Error Codes by Service"
_ENVELOPE_MARKER = "All API errors follow this standard format:"


class PageFormatError(ValueError):
    """The page does not have the shape this transcriber knows."""


def _cells(lines: list[str], start: int, width: int) -> tuple[list[str], int]:
    """Read ``width`` table cells (one per line, ``| a |`` or ``b |``) from ``start``."""
    out = []
    for offset in range(width):
        index = start + offset
        match = _CELL.match(lines[index]) if index < len(lines) else None
        if not match:
            raise PageFormatError(f"line {index + 1}: expected a table cell")
        out.append(match.group(1))
    return out, start + width


def _table(lines: list[str], start: int, header: list[str]) -> tuple[list[list[str]], int]:
    cells, index = _cells(lines, start, len(header))
    if cells != header:
        raise PageFormatError(f"line {start + 1}: expected table header {header}, got {cells}")
    rows = []
    while index < len(lines) and lines[index].startswith("| "):
        row, index = _cells(lines, index, len(header))
        rows.append(row)
    return rows, index


def _code_rows(rows: list[list[str]], where: str) -> tuple[CodeRow, ...]:
    try:
        return tuple(
            CodeRow(code=int(code), name=name, status=int(status), description=description)
            for code, name, status, description in rows
        )
    except ValueError as exc:
        raise PageFormatError(f"{where}: {exc}") from exc


def _envelope(lines: list[str]) -> tuple[EnvelopeFieldDoc, ...]:
    try:
        start = lines.index(_ENVELOPE_MARKER) + 1
        end = lines.index("Error Code Ranges")
        example = json.loads("".join(lines[start:end]))["error"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PageFormatError(
            f"the example envelope after {_ENVELOPE_MARKER!r} is not there or not an error object"
        ) from exc
    kinds: dict[type, Literal["string", "integer", "array"]] = {
        str: "string",
        int: "integer",
        list: "array",
    }
    if not isinstance(example, dict) or any(type(v) not in kinds for v in example.values()):
        raise PageFormatError("the example envelope's fields are not strings, integers or arrays")
    # The page marks optional fields in their example text ("Optional ...", "... if applicable").
    return tuple(
        EnvelopeFieldDoc(
            name=name,
            type=kinds[type(value)],
            required=not ("Optional" in str(value) or "if applicable" in str(value)),
            example=json.dumps(value) if not isinstance(value, str) else value,
        )
        for name, value in example.items()
    )


def transcribe(text: str) -> CatalogueDocument:
    lines = [line.rstrip() for line in text.splitlines()]
    if _SECTIONS_MARKER not in lines:
        raise PageFormatError(
            f"this is not the vendor's error-code page: it has no {_SECTIONS_MARKER!r} line"
        )
    ranges = tuple(
        DeclaredRange(start=int(m.group(1)), end=int(m.group(2)), label=m.group(3))
        for m in map(_RANGE_LINE.match, lines)
        if m
    )
    sections: list[SectionDoc] = []
    error_types: list[ErrorTypeDoc] = []
    index = lines.index(_SECTIONS_MARKER) + 1
    thermos = False
    while index < len(lines):
        line = lines[index]
        if line == _END_MARKER:
            break
        if line == _THERMOS_MARKER:
            thermos = True
            index += 2  # the marker and its one-line introduction
            continue
        heading = _SECTION_HEADING.match(line)
        if heading and not thermos:
            rows, index = _table(lines, index + 1, ["Code", "Name", "Status", "Description"])
            sections.append(
                SectionDoc(
                    namespace="platform",
                    name=heading.group(1),
                    heading=line,
                    range_start=int(heading.group(2)),
                    range_end=int(heading.group(3)),
                    rows=_code_rows(rows, line),
                )
            )
        elif thermos and line == "Database Errors":
            rows, index = _table(lines, index + 1, ["Code", "Name", "HTTP Status", "Description"])
            sections.append(
                SectionDoc(
                    namespace="thermos",
                    name="Database",
                    heading=line,
                    range_start=None,
                    range_end=None,
                    rows=_code_rows(rows, line),
                )
            )
        elif thermos and line == "Error Types":
            rows, index = _table(lines, index + 1, ["Type", "Description"])
            error_types.extend(ErrorTypeDoc(type=t, description=d) for t, d in rows)
        else:
            raise PageFormatError(f"line {index + 1}: unexpected text {line!r}")
    return CatalogueDocument(
        source=lines[0],
        envelope=_envelope(lines),
        ranges=ranges,
        sections=tuple(sections),
        error_types=tuple(error_types),
    )
