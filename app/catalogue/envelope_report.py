"""The envelope validator's report: its stable rule ids, the report shapes, and the collector
that files each finding as an error or a warning. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

import msgspec

from app.catalogue.model import Entry

# Findings per collection (bad `errors` elements, unknown members) before one summary finding:
# keeps a report's size proportionate however many bad items a body holds.
MAX_ITEM_FINDINGS = 20

# The stable rule identifiers, each with its one-line meaning. Clients key on these ids, so
# they never change meaning; docs/envelope-validation.md lists the same set (a unit test checks
# that, and that every rule is emitted by some case).
RULES: dict[str, str] = {
    "shape.type": (
        "A value has the wrong JSON type: the body or `error` is not an object, a field is not "
        'the type the descriptions give it (`"1205"` and `true` are not integers), or an '
        "element of `errors` is not a string."
    ),
    "shape.required": "A member the profile requires is missing (`error` itself, or a field).",
    "shape.recommended": (
        "Lenient only, a warning: `slug` or `request_id` is missing; one of the two "
        "descriptions requires it (strict requires both)."
    ),
    "shape.null_optional": (
        "An optional field is null: a warning in lenient (read as absent), an error in strict."
    ),
    "shape.status_range": "`status` is an integer but not an HTTP status (100-599).",
    "shape.empty": "`message`, `slug` or `request_id` is an empty or whitespace-only string.",
    "shape.blank_suggested_fix": (
        "A warning in both profiles: `suggested_fix` is empty or whitespace-only."
    ),
    "shape.duplicate_member": (
        "An object names one member twice: parsers disagree on which value wins (errcat, like "
        "most, reads the last): a warning in lenient, an error in strict."
    ),
    "shape.unknown_field": (
        "A member neither description lists, inside `error` or next to it: a warning in "
        "lenient, an error in strict."
    ),
    "catalogue.code_undocumented": (
        "A warning: the code is not documented but lies in a declared range (named); its "
        "status and slug cannot be checked."
    ),
    "catalogue.code_unknown": (
        "The code is not documented in the platform namespace and lies in no declared range."
    ),
    "catalogue.status_mismatch": (
        "`status` is not the catalogue status of the code's entry (of any entry, for a code "
        "listed twice)."
    ),
    "catalogue.slug_mismatch": (
        "`slug` is not `<Service>_<Name>` of the matched entry (compared case-sensitively; the "
        "message gives the expected slug)."
    ),
    "catalogue.ambiguous": (
        "A warning: several entries of a code listed twice fit the envelope; `slug` would "
        "tell which one is meant."
    ),
    "http.status_mismatch": "`status` differs from the `http_status` the envelope was sent with.",
}


# The rule ids as an enum: the report's schema lists them (a ``rule`` a client can switch on).
# (Built from RULES, so the two cannot disagree; mypy cannot see members made this way.)
EnvelopeRule = StrEnum("EnvelopeRule", {rule: rule for rule in RULES}, module=__name__)  # type: ignore[misc]


# --- the report -----------------------------------------------------------------------------


class EnvelopeFinding(msgspec.Struct, frozen=True):
    """One problem: where (an RFC 6901 JSON Pointer into the body), which rule, and why.

    Not just ``Finding``: the integrity room has one too, and Litestar names clashing OpenAPI
    components after their modules, which would rename this one whenever that one appears.
    """

    path: str
    rule: EnvelopeRule
    message: str


class EnvelopeReport(msgspec.Struct, frozen=True):
    """The verdict on one envelope. ``valid`` is true when ``errors`` is empty.

    ``entries`` are the platform catalogue entries of the envelope's code; ``matched`` is the one
    the envelope's status (and slug, when given) designates, or null when none fits or several do.
    """

    valid: bool
    errors: tuple[EnvelopeFinding, ...]
    warnings: tuple[EnvelopeFinding, ...]
    entries: tuple[Entry, ...]
    matched: Entry | None


class BatchReport(msgspec.Struct, frozen=True):
    """One report per envelope of a batch, in the batch's order, with totals.

    The findings listed are capped (MAX_BATCH_ITEM_FINDINGS per envelope, MAX_BATCH_FINDINGS in
    all, errors before warnings); ``valid`` and the totals always count every finding.
    ``truncated`` lists the (0-based) positions of the envelopes whose findings were cut and
    ``omitted`` how many findings were left out in all.
    """

    items: tuple[EnvelopeReport, ...]
    total: int
    valid: int
    invalid: int
    truncated: tuple[int, ...] = ()
    omitted: int = 0


Emit = Callable[[str, str, str], None]


class Findings:
    def __init__(self, profile: str) -> None:
        self.strict = profile == "strict"
        self.errors: list[EnvelopeFinding] = []
        self.warnings: list[EnvelopeFinding] = []

    def error(self, path: str, rule: str, message: str) -> None:
        self.errors.append(EnvelopeFinding(path=path, rule=EnvelopeRule(rule), message=message))

    def warn(self, path: str, rule: str, message: str) -> None:
        self.warnings.append(EnvelopeFinding(path=path, rule=EnvelopeRule(rule), message=message))

    def by_profile(self, path: str, rule: str, message: str) -> None:
        """An error in strict, a warning in lenient."""
        (self.error if self.strict else self.warn)(path, rule, message)

    def report(self, entries: tuple[Entry, ...], matched: Entry | None) -> EnvelopeReport:
        return EnvelopeReport(
            valid=not self.errors,
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
            entries=entries,
            matched=matched,
        )

    def capped(
        self,
        emit: Emit,
        items: Sequence[Any],
        finding: Callable[[Any], tuple[str, str, str]],
        summary: Callable[[int], tuple[str, str, str]] | None = None,
    ) -> None:
        """A finding per item, up to MAX_ITEM_FINDINGS; then one ``summary`` of the rest."""
        for item in items[:MAX_ITEM_FINDINGS]:
            emit(*finding(item))
        if summary is not None and len(items) > MAX_ITEM_FINDINGS:
            emit(*summary(len(items) - MAX_ITEM_FINDINGS))
