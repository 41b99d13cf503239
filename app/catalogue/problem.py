"""RFC 9457 problem details and the platform's error envelope, each turned into the other. Pure.

A problem details object for an envelope: ``type`` is the absolute URL of the code's page
(``<base>/codes/<code>``), ``title`` the catalogue entry's name, ``status``, ``detail`` the
envelope's ``message``, ``instance`` the request id as ``urn:request:<id>``; the envelope's own
fields travel as extension members (``code``, ``slug``, ``request_id``, ``suggested_fix``,
``errors``), so the reverse conversion loses nothing. docs/problem-details.md describes both.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec

from app.catalogue.errors import InvalidBody, NotFound
from app.catalogue.jsondoc import describe, is_integer
from app.catalogue.linear import LinearPattern, utf8
from app.catalogue.model import MAX_CODE, Entry, Snapshot

PROBLEM_MEDIA_TYPE = "application/problem+json"
REQUEST_URN = "urn:request:"
# A ``type`` naming a code's page: .../codes/1205 (ASCII digits, no sign, as the page's path).
CODE_PAGE_PATTERN = r"/codes/([0-9]{1,18})/?$"
_CODE_PAGE = LinearPattern(CODE_PAGE_PATTERN)  # over a client's `type`: RE2, linear


class ProblemDetails(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, with the platform envelope's fields as extension members."""

    type: str
    title: str
    status: int
    detail: str
    code: int
    slug: str | None = None
    instance: str | None = None
    request_id: str | None = None
    suggested_fix: str | None = None
    errors: list[str] = msgspec.field(default_factory=list)


class PlatformError(msgspec.Struct, omit_defaults=True):
    """The ``error`` member of a platform envelope (absent optional fields are left out)."""

    message: str
    code: int
    slug: str
    status: int
    request_id: str | None = None
    suggested_fix: str | None = None
    errors: list[str] = msgspec.field(default_factory=list)


class PlatformEnvelope(msgspec.Struct):
    error: PlatformError


def code_page_url(base_url: str, code: int) -> str:
    """The absolute URL of a code's page: the problem's ``type``."""
    return f"{base_url.rstrip('/')}/codes/{code}"


def _entry(snap: Snapshot | None, code: int, status: int, slug: str | None) -> Entry | None:
    """The platform entry an envelope designates: by slug, else by status, else the only one."""
    if snap is None:
        return None
    entries = [e for e in snap.by_code.get(code, ()) if e.namespace == "platform"]
    return (
        next((e for e in entries if slug is not None and e.slug == slug), None)
        or next((e for e in entries if e.status == status), None)
        or (entries[0] if len(entries) == 1 else None)
    )


def title_for(snap: Snapshot | None, code: int, status: int, slug: str | None) -> str:
    """The entry's name; for a code the catalogue does not document, the status's phrase."""
    entry = _entry(snap, code, status, slug)
    if entry is not None:
        return entry.name
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_of(
    snap: Snapshot | None,
    base_url: str,
    *,
    message: str,
    code: int,
    status: int,
    slug: str | None = None,
    request_id: str | None = None,
    suggested_fix: str | None = None,
    errors: list[str] | None = None,
) -> ProblemDetails:
    """Problem details for the fields of one envelope."""
    return ProblemDetails(
        type=code_page_url(base_url, code),
        title=title_for(snap, code, status, slug),
        status=status,
        detail=message,
        code=code,
        slug=slug,
        instance=f"{REQUEST_URN}{request_id}" if request_id else None,
        request_id=request_id,
        suggested_fix=suggested_fix,
        errors=list(errors or []),
    )


# --- reading what the client sent -------------------------------------------------------------


class _Reader:
    """Reads typed members of a JSON object, noting every problem (all are reported at once).
    A member given as null has the wrong type (the descriptions allow no nulls)."""

    def __init__(self, value: dict[str, Any], where: str) -> None:
        self.value = value
        self.where = where
        self.problems: list[str] = []

    def _bad(self, name: str, expected: str) -> None:
        got = self.value[name]
        self.problems.append(f"{self.where}{name}: expected {expected}, got {describe(got)}")

    def _missing(self, name: str) -> None:
        self.problems.append(f"{self.where}{name}: required, missing")

    def text(self, name: str, *, required: bool = False, nonempty: bool = False) -> str | None:
        """A string; a required one must not be empty."""
        if name not in self.value:
            if required:
                self._missing(name)
            return None
        got = self.value[name]
        nonempty = nonempty or required
        if not isinstance(got, str) or (nonempty and not got):
            self._bad(name, "a non-empty string" if nonempty else "a string")
            return None
        return got

    def integer(
        self, name: str, low: int | None = None, high: int | None = None, *, required: bool = False
    ) -> int | None:
        """An integer (1205.0 counts: JSON does not tell them apart), within the bounds."""
        if name not in self.value:
            if required:
                self._missing(name)
            return None
        got = self.value[name]
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if (
            not is_integer(got)
            or (low is not None and got < low)
            or (high is not None and got > high)
        ):
            self._bad(name, f"an integer from {low} to {high}" if low is not None else "an integer")
            return None
        return got

    def strings(self, name: str) -> list[str]:
        if name not in self.value:
            return []
        got = self.value[name]
        if not isinstance(got, list) or not all(isinstance(x, str) for x in got):
            self._bad(name, "an array of strings")
            return []
        return got

    def raise_if_any(self, what: str) -> None:
        if self.problems:
            raise InvalidBody(
                f"The body is not a valid {what}",
                errors=self.problems,
                suggested_fix=f"Send a {what} with the members the errors list names.",
            )


def _object(value: Any, what: str, where: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidBody(
            f"The body is not a valid {what}",
            errors=[f"{where or 'body'}: expected an object, got {describe(value)}"],
            suggested_fix=f"Send a {what} as a JSON object.",
        )
    return value


class SlugUnknown(NotFound):
    """Problem details without a ``slug`` for a code and status no catalogue entry has: the
    envelope's slug cannot be derived."""

    def __init__(self, code: int, status: int) -> None:
        super().__init__(
            f"Code {code} with status {status} designates no platform entry, so its slug is "
            "unknown",
            errors=[f"slug: missing, and code {code} with status {status} names no entry"],
            suggested_fix='Send the slug as an extension member ("slug": "<Service>_<Name>").',
        )
        self.code = code


def envelope_to_problem(snap: Snapshot | None, value: Any, base_url: str) -> ProblemDetails:
    """Problem details for a platform envelope (``{"error": {...}}``); InvalidBody naming every
    missing or mistyped member otherwise. ``message``, ``code`` and ``status`` are required."""
    what = "platform error envelope"
    error = _object(_object(value, what).get("error"), what, "error")
    read = _Reader(error, "error.")
    message = read.text("message", required=True)
    # a code whose page (the problem's type) exists: no sign, 18 digits at most
    code = read.integer("code", 0, MAX_CODE, required=True)
    status = read.integer("status", 100, 599, required=True)
    slug = read.text("slug")
    request_id = read.text("request_id")
    suggested_fix = read.text("suggested_fix")
    errors = read.strings("errors")
    read.raise_if_any(what)
    assert message is not None and code is not None and status is not None
    return problem_of(
        snap,
        base_url,
        message=message,
        code=code,
        status=status,
        slug=slug,
        request_id=request_id,
        suggested_fix=suggested_fix,
        errors=errors,
    )


def problem_to_envelope(snap: Snapshot | None, value: Any) -> PlatformEnvelope:
    """The platform envelope for problem details; InvalidBody naming what is missing otherwise.

    ``status`` is required, and ``detail`` (else ``title``) gives the message. The code is the
    ``code`` extension, else the number ending ``type`` (``.../codes/1205``); the slug the
    ``slug`` extension, else the catalogue's for that code and status; the request id the
    ``request_id`` extension, else ``instance`` without its ``urn:request:`` prefix.
    """
    what = "problem details object"
    problem = _object(value, what)
    read = _Reader(problem, "")
    status = read.integer("status", 100, 599, required=True)
    detail = read.text("detail", nonempty=True)
    title = read.text("title", nonempty=True)
    code = read.integer("code", 0, MAX_CODE)
    type_ = read.text("type")
    slug = read.text("slug")
    request_id = read.text("request_id")
    instance = read.text("instance")
    suggested_fix = read.text("suggested_fix")
    errors = read.strings("errors")
    if "detail" not in problem and "title" not in problem:
        read.problems.append("detail: required (or title), both missing")
    if "code" not in problem:
        found = _CODE_PAGE.search(utf8(type_)) if type_ else None
        if found:
            code = int(found[1])
        else:
            read.problems.append(
                "code: required, missing (neither a code member nor a type ending /codes/<code>)"
            )
    read.raise_if_any(what)
    assert status is not None and code is not None
    if slug is None:
        entry = _entry(snap, code, status, None)
        if entry is None:
            raise SlugUnknown(code, status)
        slug = entry.slug
    if request_id is None and instance is not None:
        request_id = instance.removeprefix(REQUEST_URN)
    return PlatformEnvelope(
        error=PlatformError(
            message=detail or title or "",
            code=code,
            slug=slug,
            status=status,
            request_id=request_id,
            suggested_fix=suggested_fix,
            errors=errors,
        )
    )
