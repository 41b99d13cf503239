"""Read, check and write the seed files: the page's transcription (``seeds/catalogue.json``) and
errcat's amendments to it (``seeds/amendments.json``, docs/amendments.md).

The file is JSON with one table row per line, so a change to one code is a one-line diff.
Decoding goes through msgspec into the frozen document Structs (unknown fields, missing fields
and wrong types are refused), then ``check_document`` refuses what JSON types cannot express:
true duplicates, impossible statuses, empty names.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import msgspec

from app.catalogue.amendments import NO_AMENDMENTS, AmendmentsDoc, amendment_problems
from app.catalogue.model import CatalogueDocument

DEFAULT_SEED_PATH = Path(__file__).resolve().parent.parent / "seeds" / "catalogue.json"
DEFAULT_AMENDMENTS_PATH = DEFAULT_SEED_PATH.with_name("amendments.json")


class SeedError(ValueError):
    """The seed file cannot be loaded; the message says where and why."""


def check_document(doc: CatalogueDocument) -> None:
    problems: list[str] = []
    section_keys = Counter((s.namespace, s.name) for s in doc.sections)
    problems += [
        f"section {ns}/{name} appears {n} times" for (ns, name), n in section_keys.items() if n > 1
    ]
    for section in doc.sections:
        if (section.range_start is None) != (section.range_end is None):
            problems.append(f"section {section.name}: range_start and range_end go together")
        rows = Counter((row.code, row.name) for row in section.rows)
        problems += [
            f"section {section.name}: code {code} {name} is listed {n} times"
            for (code, name), n in rows.items()
            if n > 1
        ]
        for row in section.rows:
            if not 100 <= row.status <= 599:
                problems.append(f"section {section.name}: code {row.code} has status {row.status}")
            if not row.name.strip():
                problems.append(f"section {section.name}: code {row.code} has no name")
    for rng in doc.ranges:
        if rng.start > rng.end:
            problems.append(f"range {rng.start}-{rng.end} ({rng.label}) ends before it starts")
    types = Counter(t.type for t in doc.error_types)
    problems += [f"error type {t} appears {n} times" for t, n in types.items() if n > 1]
    if problems:
        raise SeedError("; ".join(problems))


def decode_document(raw: bytes, *, origin: str = "seed file") -> CatalogueDocument:
    try:
        doc = msgspec.json.decode(raw, type=CatalogueDocument)
    except msgspec.ValidationError as exc:
        raise SeedError(f"{origin}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise SeedError(f"{origin} is not valid JSON: {exc}") from exc
    check_document(doc)
    return doc


def load_seed(path: Path = DEFAULT_SEED_PATH) -> CatalogueDocument:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SeedError(f"cannot read {path}: {exc.strerror}") from exc
    return decode_document(raw, origin=str(path))


def decode_amendments(raw: bytes, *, origin: str = "amendments file") -> AmendmentsDoc:
    try:
        doc = msgspec.json.decode(raw, type=AmendmentsDoc)
    except msgspec.ValidationError as exc:
        raise SeedError(f"{origin}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise SeedError(f"{origin} is not valid JSON: {exc}") from exc
    problems = amendment_problems(doc)
    if problems:
        raise SeedError(f"{origin}: " + "; ".join(problems))
    return NO_AMENDMENTS if doc == NO_AMENDMENTS else doc


def load_amendments(path: Path = DEFAULT_AMENDMENTS_PATH) -> AmendmentsDoc:
    """The amendments file; a file that does not exist means no amendments."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return NO_AMENDMENTS
    except OSError as exc:
        raise SeedError(f"cannot read {path}: {exc.strerror}") from exc
    return decode_amendments(raw, origin=str(path))


def load_catalogue(
    path: Path = DEFAULT_SEED_PATH, amendments: Path | None = DEFAULT_AMENDMENTS_PATH
) -> CatalogueDocument:
    """The whole catalogue to seed: the page's transcription with the amendments beside it
    (``amendments`` None: the page alone)."""
    doc = load_seed(path)
    if amendments is None:
        return doc
    return msgspec.structs.replace(doc, amendments=load_amendments(amendments))


def canonical_bytes(doc: CatalogueDocument) -> bytes:
    """The document's canonical encoding: what the content hash and the revision store hold.

    No amendments encode as nothing at all (the field is omitted), as before they existed.
    """
    if doc.amendments is not NO_AMENDMENTS and doc.amendments == NO_AMENDMENTS:
        doc = msgspec.structs.replace(doc, amendments=NO_AMENDMENTS)
    return msgspec.json.encode(doc)


def content_hash(doc: CatalogueDocument) -> str:
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


def render(doc: CatalogueDocument) -> str:
    """The seed file's text (the page's part only): indented objects, each row on one line."""
    enc = msgspec.json.encode

    def rows(items: tuple[object, ...], indent: str) -> str:
        return (
            "[\n" + ",\n".join(indent + enc(i).decode() for i in items) + "\n" + indent[:-2] + "]"
        )

    sections = []
    for s in doc.sections:
        head = {
            k: getattr(s, k) for k in ("namespace", "name", "heading", "range_start", "range_end")
        }
        head_json = enc(head).decode()[:-1]
        sections.append(f'    {head_json}, "rows": {rows(s.rows, " " * 8)}}}')
    return (
        "{\n"
        f'  "source": {enc(doc.source).decode()},\n'
        f'  "envelope": {rows(doc.envelope, " " * 4)},\n'
        f'  "ranges": {rows(doc.ranges, " " * 4)},\n'
        '  "sections": [\n' + ",\n".join(sections) + "\n  ],\n"
        f'  "error_types": {rows(doc.error_types, " " * 4)}\n'
        "}\n"
    )


def render_amendments(doc: AmendmentsDoc) -> str:
    """The amendments file's text: one item per line, as seeds/amendments.json is written."""
    enc = msgspec.json.encode

    def items(values: tuple[msgspec.Struct, ...]) -> str:
        if not values:
            return "[]"
        return "[\n" + ",\n".join("    " + enc(v).decode() for v in values) + "\n  ]"

    return (
        "{\n"
        f'  "source": {enc(doc.source).decode()},\n'
        f'  "services": {items(doc.services)},\n'
        f'  "ranges": {items(doc.ranges)},\n'
        f'  "entries": {items(doc.entries)},\n'
        f'  "notes": {items(doc.notes)}\n'
        "}\n"
    )
