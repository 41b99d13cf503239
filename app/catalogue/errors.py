"""The catalogue's domain exceptions: what went wrong, in the catalogue's own terms.

The core (``app.catalogue``), ``app.live``, ``app.revisions`` and the store raise these and know
nothing of HTTP; ``app.api.errors`` maps each kind to an HTTP status in one table and renders
the envelope. Each exception carries the sentence for the client (``message``), what to do
about it (``suggested_fix``; None: the edge's default for the status) and ``errors`` (one line
per problem).
"""

from __future__ import annotations

from typing import ClassVar

from app.catalogue.text import quote


class CatalogueProblem(Exception):
    """Base of every domain exception."""

    def __init__(
        self, message: str, *, suggested_fix: str | None = None, errors: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.suggested_fix = suggested_fix
        self.errors = errors or []


class CatalogueNotLoaded(CatalogueProblem):
    """No catalogue has been loaded yet (the database was never seeded, or is unreachable)."""

    def __init__(self) -> None:
        super().__init__(
            "The catalogue is not loaded",
            suggested_fix="Seed the database (errcat seed) and retry; GET /ready tells when.",
        )


class StoreUnavailable(CatalogueProblem):
    """The database of record did not answer (or not in time); ``cause`` names the error type."""

    def __init__(self, cause: str) -> None:
        super().__init__(
            f"Database unavailable: {cause}",
            suggested_fix="Retry shortly; check DATABASE_URL and that the database is up.",
        )
        self.cause = cause


# --- something asked for is not in the catalogue -----------------------------------------------


class NotFound(CatalogueProblem):
    """A thing asked for by name or number that the catalogue does not hold."""


class CodeNotFound(NotFound):
    """No entry documents ``number`` (in ``namespace``, when given); ``fix`` says where it lies."""

    def __init__(self, number: int, namespace: str | None, fix: str) -> None:
        where = f" in namespace {namespace}" if namespace else ""
        super().__init__(f"Code {number} is not documented{where}", suggested_fix=fix)
        self.number = number
        self.namespace = namespace


class NumberUnknown(NotFound):
    """A number that lies in no declared range and that no entry documents."""

    def __init__(self, number: int, nearest: str) -> None:
        super().__init__(
            f"{number} lies in no declared range and is not documented",
            suggested_fix=f"The nearest declared ranges are {nearest}.",
        )
        self.number = number


class StatusNotFound(NotFound):
    def __init__(self, status: int) -> None:
        super().__init__(
            f"No entry of the catalogue has status {status}",
            suggested_fix="GET /statuses lists the statuses in use.",
        )
        self.status = status


class _NamedNotFound(NotFound):
    """Nothing of this kind has the name asked for; ``listing`` says where the names are."""

    kind: ClassVar[str]
    listing: ClassVar[str]

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No {self.kind} is named {quote(name, 60, mark_cut=False)}",
            suggested_fix=self.listing,
        )
        self.name = name


class ServiceNotFound(_NamedNotFound):
    kind = "service"
    listing = "GET /services lists every service with its key."


class ErrorTypeNotFound(_NamedNotFound):
    kind = "error type"
    listing = "GET /error-types lists them all."


class RevisionNotFound(NotFound):
    """No stored revision has this number."""

    def __init__(self, revision: int | None) -> None:
        super().__init__(
            f"No revision {revision}",
            suggested_fix="GET /catalogue/revisions lists the stored revisions.",
        )
        self.revision = revision


# --- a value the client sent that cannot be understood ----------------------------------------


class InvalidRequest(CatalogueProblem):
    """A value the client sent that the catalogue cannot work with."""


class InvalidInteger(InvalidRequest):
    """``raw`` (the parameter ``field``) is not an integer of 1 to 18 ASCII digits."""

    def __init__(self, field: str, raw: str, example: int) -> None:
        super().__init__(
            f"{field} must be an integer in ASCII digits (at most 18, no sign), not {quote(raw)}",
            errors=[f"{field}: expected an integer of at most 18 ASCII digits, with no sign"],
            suggested_fix=f"Send {field} as a whole number, e.g. {example}.",
        )
        self.field = field


class InvalidFilter(InvalidRequest):
    """A filter value that cannot be understood; ``field`` names it, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"Invalid value for {field}", errors=[f"{field}: {reason}"], suggested_fix=reason
        )
        self.field = field
        self.reason = reason


class InvalidBody(InvalidRequest):
    """A body that cannot be read at all (not JSON, empty, too deep, not a batch)."""

    def __init__(self, message: str, *, errors: list[str], suggested_fix: str) -> None:
        super().__init__(message, errors=errors, suggested_fix=suggested_fix)
