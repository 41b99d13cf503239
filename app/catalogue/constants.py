"""Constants modules clients can vendor: ``GET /exports/python`` and ``GET /exports/typescript``.

One named constant per catalogue entry with a number, its value the code, documented with the
entry's status, slug and description, plus ``ERRORS`` (constant name -> details), ``BY_CODE``
(number -> its entries) and ``BY_SLUG`` (slug -> its entries). How names are made:
``constant_names``. Pure functions of the Snapshot.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from app.catalogue.model import Entry, Snapshot

# Names the generated modules define themselves; a constant never takes one.
RESERVED = frozenset(
    {
        "CATALOGUE_REVISION",
        "CATALOGUE_CONTENT_HASH",
        "CATALOGUE_SOURCE",
        "ERRORS",
        "BY_CODE",
        "BY_SLUG",
        "ErrorCode",
        "ErrorConstant",
    }
)
_FIELDS = ("code", "name", "status", "description", "service", "namespace", "slug", "origin")


def upper_snake(text: str) -> str:
    words = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        chunk = re.sub(r"([A-Z]{2,})([A-Z][a-z])", r"\1_\2", chunk)  # APIKey -> API_Key
        chunk = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", chunk)  # AuthRefresh -> Auth_Refresh
        words += [w for w in chunk.split("_") if w]
    return "_".join(words).upper()


def base_name(entry: Entry) -> str:
    parts = [entry.service, entry.name]
    if entry.namespace != "platform":
        parts.insert(0, entry.namespace)
    name = "_".join(p for p in map(upper_snake, parts) if p)
    return name if name[:1].isalpha() else f"ERR_{name}"


def page_order(snap: Snapshot) -> list[Entry]:
    """Every entry with a number in the page's order: sections as printed, rows as printed,
    then each section's amendments."""
    return [e for section in snap.sections for e in section.entries if e.code is not None]


def constant_names(snap: Snapshot) -> dict[int, str]:
    """The constant name of every entry, keyed by ``id(entry)`` (a Snapshot's entries are the
    same objects in ``entries`` and in its sections; two identical rows stay two entries).

    ``<SERVICE>_<NAME>``: the section name as printed and the entry name, each in UPPER_SNAKE
    (words split at case changes and at any other character: ``TriggerInstance`` +
    ``AuthRefreshRequired`` -> ``TRIGGER_INSTANCE_AUTH_REFRESH_REQUIRED``, ``Prisma/Database`` ->
    ``PRISMA_DATABASE``, ``APIKey`` -> ``API_KEY``, ``OAuth1...`` -> ``OAUTH1_...``); the Thermos
    namespace's own codes start with ``THERMOS_`` (``THERMOS_DATABASE_DB_NOT_FOUND_ERROR = 2``).
    Because the name holds the section and the entry's name, the numbers the page lists twice get
    one constant per entry (10503: ``HTTP_SERVICE_UNAVAILABLE`` and ``HTTP_BAD_STATE``; 1800:
    ``PROJECT_BAD_REQUEST`` and ``ACTION_EXECUTE_TOOL_NOT_FOUND``). Where two entries would still
    get one name (the same row printed twice, or two spellings that meet in UPPER_SNAKE), every
    entry sharing it gets ``_<code>`` appended, and where even that repeats, ``_2``, ``_3`` ... in
    the page's order; a name that would start with a digit starts with ``ERR_``; the module's own
    names (``RESERVED``) are never taken by a constant.

    Amendments are entries like the page's (``origin`` "amendment"). One known by its slug only
    (``code`` null) gets no constant: a constant is a number, and it has none yet; it is left out
    of every part of these modules (the JSON and CSV exports and ``GET /codes?slug=`` list it).
    """
    entries = page_order(snap)
    bases = [base_name(e) for e in entries]
    counts = Counter(bases)
    shared = {b for b, n in counts.items() if n > 1 or b in RESERVED}
    taken = set(RESERVED) | {b for b in bases if b not in shared}
    names: dict[int, str] = {}
    for entry, base in zip(entries, bases, strict=True):
        if base not in shared:
            names[id(entry)] = base
            continue
        candidate, n = f"{base}_{entry.code}".replace("-", "M"), 2
        while candidate in taken:
            candidate, n = f"{base}_{entry.code}_{n}".replace("-", "M"), n + 1
        taken.add(candidate)
        names[id(entry)] = candidate
    return names


def _header_lines(snap: Snapshot, language: str) -> list[str]:
    version = snap.version
    digest = re.sub(r"[^0-9A-Za-z]", "", version.content_hash)
    return [
        "Error codes of the errcat catalogue: generated, do not edit.",
        "",
        f"Catalogue revision {version.revision}, content hash {digest}.",
        f"Regenerate with `errcat export --format {language}` or GET /exports/{language}.",
        "",
        "One constant per catalogue entry, its value the code: <SERVICE>_<NAME> in UPPER_SNAKE",
        "(section name as printed, then entry name; Thermos's own codes start with THERMOS_).",
        "An amendment known by its slug only has no number, so no constant.",
        "A number the page lists twice has one constant per entry. Where a name would repeat,",
        "each entry sharing it gets _<code> appended (then _2, _3 ... in the page's order).",
        "ERRORS: constant name -> details; BY_CODE: number -> entries; BY_SLUG: slug -> entries.",
        "origin: page (the vendor's page) or amendment (errcat's amendments, with provenance).",
    ]


def _comment(text: str) -> str:
    """Text safe inside a line or block comment in both languages: one printable line, no */."""
    return "".join(ch if ch.isprintable() else " " for ch in text).replace("*/", "*\\/")


def _summary(entry: Entry) -> str:
    origin = " (amendment)" if entry.origin == "amendment" else ""
    return f"{entry.status} {entry.slug}{origin}: {entry.description}"


# --- Python ----------------------------------------------------------------------------------


def py_str(text: str) -> str:
    """A double-quoted Python string literal that evaluates to exactly ``text``."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return '"' + "".join(out) + '"'


def render_python(snap: Snapshot) -> str:
    names = constant_names(snap)
    version = snap.version
    out = ['"""' + "\n".join(_header_lines(snap, "python")) + '\n"""', ""]
    out += [
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "from typing import Final",
        "",
        f"CATALOGUE_REVISION: Final = {version.revision}",
        f"CATALOGUE_CONTENT_HASH: Final = {py_str(version.content_hash)}",
        f"CATALOGUE_SOURCE: Final = {py_str(snap.head.source)}",
        "",
        "",
        "@dataclass(frozen=True)",
        "class ErrorCode:",
        '    """One catalogue entry: its number, name, HTTP status, description, section, slug."""',
        "",
        "    constant: str",
        "    code: int",
        "    name: str",
        "    status: int",
        "    description: str",
        "    service: str",
        "    namespace: str",
        "    slug: str",
        "    origin: str",
    ]
    for section in snap.sections:
        out += ["", "", f"# --- {_comment(section.heading)} ({section.namespace})"]
        for e in section.entries:
            if e.code is not None:  # an amendment known by its slug only has no number
                out += [f"{names[id(e)]}: Final = {e.code}", py_str(_summary(e))]
    out += ["", "", "ERRORS: Final[dict[str, ErrorCode]] = {"]
    for e in page_order(snap):
        out.append(f"    {py_str(names[id(e)])}: ErrorCode(")
        out.append(f"        constant={py_str(names[id(e)])},")
        for field in _FIELDS:
            value = getattr(e, field)
            out.append(f"        {field}={py_str(value) if isinstance(value, str) else value},")
        out.append("    ),")
    out.append("}")
    out += ["", "BY_CODE: Final[dict[int, tuple[ErrorCode, ...]]] = {"]
    for entries in _grouped(snap, "code").values():
        refs = "".join(f"ERRORS[{py_str(names[id(e)])}], " for e in entries).rstrip(" ")
        out.append(f"    {entries[0].code}: ({refs}),")
    out += ["}", "", "BY_SLUG: Final[dict[str, tuple[ErrorCode, ...]]] = {"]
    for entries in _grouped(snap, "slug").values():
        refs = "".join(f"ERRORS[{py_str(names[id(e)])}], " for e in entries).rstrip(" ")
        out.append(f"    {py_str(entries[0].slug)}: ({refs}),")
    out.append("}")
    return "\n".join(out) + "\n"


def _grouped(snap: Snapshot, field: str) -> dict[object, list[Entry]]:
    """Entries by code or slug, in the listings' order (by code, then service)."""
    groups: dict[object, list[Entry]] = {}
    for e in snap.entries:
        if e.code is not None:
            groups.setdefault(getattr(e, field), []).append(e)
    return groups


# --- TypeScript ------------------------------------------------------------------------------


def ts_str(text: str) -> str:
    """A TypeScript string literal (JSON's escapes are JavaScript's, UTF-16 like JavaScript)."""
    return json.dumps(text)


def _ts_key(code: int | None) -> str:
    # Only numbered entries are grouped by code (_grouped), so ``code`` is never None here.
    assert code is not None
    return str(code) if code >= 0 else f"[{code}]"


def render_typescript(snap: Snapshot) -> str:
    names = constant_names(snap)
    version = snap.version
    out = ["/**", *(f" * {line}".rstrip() for line in _header_lines(snap, "typescript")), " */"]
    out += [
        "",
        f"export const CATALOGUE_REVISION = {version.revision};",
        f"export const CATALOGUE_CONTENT_HASH = {ts_str(version.content_hash)};",
        f"export const CATALOGUE_SOURCE = {ts_str(snap.head.source)};",
        "",
        "/** One catalogue entry: its number, name, HTTP status, description, section, slug. */",
        "export interface ErrorCode {",
        "  readonly constant: string;",
        "  readonly code: number;",
        "  readonly name: string;",
        "  readonly status: number;",
        "  readonly description: string;",
        "  readonly service: string;",
        "  readonly namespace: string;",
        "  readonly slug: string;",
        "  readonly origin: string;",
        "}",
    ]
    for section in snap.sections:
        out += ["", f"// --- {_comment(section.heading)} ({section.namespace})"]
        for e in section.entries:
            if e.code is None:  # an amendment known by its slug only has no number
                continue
            out += [
                f"/** {_comment(_summary(e))} */",
                f"export const {names[id(e)]} = {e.code};",
            ]
    out += ["", "export const ERRORS = {"]
    for e in page_order(snap):
        out.append(f"  {names[id(e)]}: {{")
        out.append(f"    constant: {ts_str(names[id(e)])},")
        for field in _FIELDS:
            value = getattr(e, field)
            out.append(f"    {field}: {ts_str(value) if isinstance(value, str) else value},")
        out.append("  },")
    out += [
        "} as const satisfies Readonly<Record<string, ErrorCode>>;",
        "",
        "/** The name of one of the constants above. */",
        "export type ErrorConstant = keyof typeof ERRORS;",
        "",
        "export const BY_CODE: Readonly<Record<number, readonly ErrorCode[]>> = {",
    ]
    for entries in _grouped(snap, "code").values():
        refs = ", ".join(f"ERRORS.{names[id(e)]}" for e in entries)
        out.append(f"  {_ts_key(entries[0].code)}: [{refs}],")
    out += ["};", "", "export const BY_SLUG: Readonly<Record<string, readonly ErrorCode[]>> = {"]
    for entries in _grouped(snap, "slug").values():
        refs = ", ".join(f"ERRORS.{names[id(e)]}" for e in entries)
        out.append(f"  {ts_str(entries[0].slug)}: [{refs}],")
    out.append("};")
    return "\n".join(out) + "\n"
