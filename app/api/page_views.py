"""What each page for people shows: the catalogue, the findings, a code, a service. Each is
built from one snapshot (``PageData`` derives what they share once per snapshot) and rendered by
a template of ``app/templates``; app.api.pages routes to them."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from litestar import MediaType
from litestar.response import Template

from app.api.common import parse_int
from app.catalogue.errors import InvalidFilter, InvalidInteger
from app.catalogue.integrity import integrity_report
from app.catalogue.integrity_rules import Finding, IntegrityReport
from app.catalogue.model import Entry, RangeRef, Section, Snapshot
from app.catalogue.query import (
    describe_ranges,
    filter_entries,
    find_section,
    lookup,
    nearest_ranges,
    ranges_containing,
    status_counts,
)

# No inline script, no other host, never framed.
PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
MAX_Q = 200
EXAMPLE_REQUEST_ID = "req_3f2a9c1e5b7d4a60c2e8f1b3"


# --- what the pages show, derived once per snapshot -------------------------------------------


class PageData:
    """Everything the pages derive from one snapshot (the integrity report above all)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.report: IntegrityReport = integrity_report(snap)
        self.section_keys = {(s.name, s.namespace): s.key for s in snap.sections}
        counts = status_counts(snap)
        classes = sorted({s // 100 for s in counts})
        self.status_options = [(f"{c}xx", f"{c}xx (every {c}xx status)") for c in classes] + [
            (str(s), f"{s} {status_phrase(s)} ({n})") for s, n in counts.items()
        ]
        self.service_options = [
            (s.key, s.name if s.namespace == "platform" else f"{s.name} ({s.namespace})")
            for s in snap.sections
        ]

    def service_key(self, entry: Entry) -> str:
        return self.section_keys[(entry.service, entry.namespace)]

    def section_key(self, name: str) -> str | None:
        section = find_section(self.snap, name)
        return section.key if section is not None else None

    def range_key(self, rng: RangeRef) -> str | None:
        return self.section_key(rng.service)

    def findings_for_code(self, code: int) -> list[Finding]:
        return [f for f in self.report.findings if code in f.codes]

    def findings_for_section(self, section: Section) -> list[Finding]:
        return [f for f in self.report.findings if section.name in f.sections]


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def example_envelope(entry: Entry) -> str:
    """The error envelope the platform sends for ``entry``, as JSON (the request id is made up)."""
    body: dict[str, dict[str, Any]] = {
        "error": {
            "message": entry.description,
            "code": entry.code,
            "slug": entry.slug,
            "status": entry.status,
            "request_id": EXAMPLE_REQUEST_ID,
            "errors": [],
        }
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def _page(
    name: str, context: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Template:
    return Template(
        template_name=name,
        context=context,
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers or SECURITY_HEADERS,
    )


def _base_context(data: PageData, active: str = "") -> dict[str, Any]:
    return {"data": data, "version": data.snap.version, "active": active}


# --- the pages --------------------------------------------------------------------------------


def catalogue_page(data: PageData, params: dict[str, str]) -> Template:
    snap = data.snap
    form = {k: params.get(k, "").strip() for k in ("q", "status", "service")}
    error = None
    entries: tuple[Entry, ...] = ()
    if len(form["q"]) > MAX_Q:
        error = f"The search text is {len(form['q'])} characters long; at most {MAX_Q} are read."
    else:
        try:
            entries = filter_entries(snap, **{k: v for k, v in form.items() if v})
        except InvalidFilter as exc:
            error = exc.reason
    service = find_section(snap, form["service"]) if form["service"] else None
    context = {
        **_base_context(data, "catalogue"),
        "form": form,
        "selected_service": service.key if service else form["service"],
        "entries": entries,
        "filtered": any(form.values()),
        "error": error,
        "counts": data.report.counts,
    }
    return _page("catalogue.html", context, 400 if error else 200)


def findings_page(data: PageData) -> Template:
    return _page(
        "findings.html",
        {**_base_context(data, "findings"), "report": data.report},
    )


def code_page(data: PageData, raw: str, namespace: str | None) -> Template:
    snap = data.snap
    try:
        number = parse_int(raw, "code")  # the API's own rule, so both answers agree
    except InvalidInteger:
        return _page(
            "problem.html",
            {
                **_base_context(data),
                "title": "Not a code number",
                "detail": f"“{raw[:40]}” is not a code number: codes are whole numbers, e.g. 1205.",
            },
            400,
            SECURITY_HEADERS,
        )
    entries = lookup(snap, number, namespace)
    ranges = ranges_containing(snap, number)
    context = {
        **_base_context(data),
        "code": number,
        "entries": entries,
        "ranges": ranges,
        "namespace": namespace,
    }
    if not entries:
        context["elsewhere"] = sorted({e.namespace for e in lookup(snap, number)})
        context["nearest"] = () if ranges else nearest_ranges(snap, number)
        context["ranges_text"] = describe_ranges(ranges or context["nearest"])
        return _page("code_missing.html", context, 404, SECURITY_HEADERS)
    context["findings"] = data.findings_for_code(number)
    context["envelopes"] = [example_envelope(e) for e in entries]
    return _page("code.html", context, 200, SECURITY_HEADERS)


def service_page_for(data: PageData, raw: str) -> Template:
    snap = data.snap
    name = raw.lstrip("/")
    section = find_section(snap, name)
    if section is None:
        return _page(
            "problem.html",
            {
                **_base_context(data),
                "title": "No such service",
                "detail": f"No service is named “{name[:60]}”. "
                "The catalogue page lists every service in its Service filter.",
            },
            404,
            SECURITY_HEADERS,
        )
    context = {
        **_base_context(data),
        "section": section,
        "entries": section.entries,
        "findings": data.findings_for_section(section),
    }
    return _page("service.html", context, 200, SECURITY_HEADERS)
