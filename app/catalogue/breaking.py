"""Which changes between two catalogue documents break clients: one table of rules.

``CHANGE_RULES`` lists every kind of change with what it compares and whether it is breaking;
a breaking rule picks its changes out of the diff and words the reason. The breaking kinds and
their order (what happened to codes first) derive from the table. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, NamedTuple

import msgspec

from app.catalogue.diff_model import (
    DiffEntry,
    EntryChange,
    EnvelopeDiff,
    EnvelopeFieldChange,
    ErrorTypesDiff,
    ReusedCode,
)


class BreakingChange(msgspec.Struct, frozen=True):
    """One change that would break clients; ``reason`` is a sentence naming what and why.

    ``service``/``code`` are None for error types and envelope fields; ``name`` is the entry's
    name (the old name(s) for a reuse), the error type or the envelope field.
    """

    kind: BreakingKind
    reason: str
    namespace: str | None = None
    service: str | None = None
    code: int | None = None
    name: str | None = None


def names(entries: Iterable[DiffEntry]) -> str:
    return " / ".join(f"{e.name} ({e.status})" for e in entries)


class Parts(NamedTuple):
    """What the breaking-change rules look at."""

    removed: Sequence[DiffEntry]
    changed: Sequence[EntryChange]
    reused: Sequence[ReusedCode]
    error_types: ErrorTypesDiff
    envelope: EnvelopeDiff


Facts = dict[str, Any]  # a rule's message fields; namespace/service/code/name identify


class ChangeRule(NamedTuple):
    """One rule of what a change means for clients.

    ``facts`` picks the changes the rule is about from the diff, one dict each: the fields of
    ``message`` and the identity (``namespace``, ``service``, ``code``, ``name``) the finding
    carries. Rules that are not ``breaking`` are listed for completeness and emit nothing.
    """

    kind: str
    compares: str
    breaking: bool
    facts: Callable[[Parts], Iterable[Facts]] | None = None
    message: str = ""


def _entry_facts(entry: DiffEntry | EntryChange) -> Facts:
    amended = entry.origin == "amendment"
    return {
        "namespace": entry.namespace,
        "service": entry.service,
        "code": entry.code,
        "name": entry.name,
        # "ActionExecute amended code 1810", "ToolRouterV2 amended code (no number)"
        "what": ("amended code " if amended else "code ")
        + ("(no number)" if entry.code is None else str(entry.code)),
    }


def _reuse_facts(reuse: ReusedCode) -> Facts:
    return {
        "namespace": reuse.namespace,
        "service": reuse.service,
        "code": reuse.code,
        "name": " / ".join(e.name for e in reuse.before),
        "meant": names(reuse.before),
        "means": names(reuse.after),
    }


def _envelope_contract(change: EnvelopeFieldChange) -> str:
    contract = [c for c in change.changes if c.field in ("type", "required")]
    return "; ".join(f"{c.field} from {c.old} to {c.new}" for c in contract)


CHANGE_RULES: tuple[ChangeRule, ...] = (
    ChangeRule(
        "code_removed",
        "entries only in the old document (not part of a reuse), the page's or amendments'",
        True,
        lambda p: (_entry_facts(e) for e in p.removed),
        "{service} {what} ({name}) would be removed; clients that handle it would no "
        "longer find it in the catalogue.",
    ),
    ChangeRule(
        "code_reused",
        "a number of one section that lost its name(s) and gained others",
        True,
        lambda p: (_reuse_facts(r) for r in p.reused),
        "{service} code {code} would be reused: it meant {meant} and would mean {means}; "
        "clients that handle {code} would misread it.",
    ),
    ChangeRule(
        "status_changed",
        "an entry's HTTP status (the page's or an amendment's)",
        True,
        lambda p: (
            {**_entry_facts(c), "old": f.old, "new": f.new}
            for c in p.changed
            for f in c.changes
            if f.field == "status"
        ),
        "{service} {what} ({name}) would change its HTTP status from {old} to {new}; "
        "clients that act on the status would behave differently.",
    ),
    ChangeRule(
        "error_type_removed",
        "Thermos error types only in the old document",
        True,
        lambda p: ({"namespace": t.namespace, "name": t.type} for t in p.error_types.removed),
        "The {namespace} error type {name} would be removed; clients that match on it would "
        "no longer find it.",
    ),
    # The envelope is parsed by every client and checked by the validator: removing, retyping
    # or newly requiring a field turns envelopes that were valid, or code that read them, wrong.
    ChangeRule(
        "envelope_field_removed",
        "envelope fields only in the old document",
        True,
        lambda p: ({"name": f.name} for f in p.envelope.removed),
        "The envelope field {name} would be removed; clients that read it would no longer find it.",
    ),
    ChangeRule(
        "envelope_field_changed",
        "an envelope field's type or whether it is required, in either direction",
        True,
        lambda p: (
            {"name": c.name, "what": what}
            for c in p.envelope.changed
            if (what := _envelope_contract(c))
        ),
        "The envelope field {name} would change {what}; envelopes or clients that were valid "
        "against it would no longer be.",
    ),
    ChangeRule(
        "envelope_field_added",
        "required envelope fields only in the new document",
        True,
        lambda p: ({"name": f.name} for f in p.envelope.added if f.required),
        "The envelope would gain the required field {name}; envelopes without it, valid until "
        "now, would be refused.",
    ),
    ChangeRule("code_added", "entries only in the new document", False),
    ChangeRule("description_changed", "an entry's or an error type's description", False),
    ChangeRule("error_type_added", "Thermos error types only in the new document", False),
    ChangeRule("envelope_field_optional", "optional envelope fields added; examples", False),
    ChangeRule("ranges_changed", "declared ranges, section headings, heading ranges", False),
    ChangeRule("source_changed", "the document's source line", False),
    ChangeRule(
        "origin_changed",
        "an entry moving between the amendments and the page (same identity)",
        False,
    ),
    ChangeRule("code_numbered", "an amendment known by its slug only gaining its number", False),
    ChangeRule("guidance_changed", "an amendment's action (guidance override)", False),
    ChangeRule(
        "amendment_notes_changed",
        "amendments' notes, services, ranges, provenance and source line",
        False,
    ),
)
# The order in which breaking changes are listed: what happened to codes first.
BREAKING_KINDS: tuple[str, ...] = tuple(r.kind for r in CHANGE_RULES if r.breaking)
BreakingKind = Literal[BREAKING_KINDS]  # type: ignore[valid-type]


def breaking_changes(parts: Parts) -> tuple[BreakingChange, ...]:
    found = [
        BreakingChange(
            kind=rule.kind,
            reason=rule.message.format(**facts),
            namespace=facts.get("namespace"),
            service=facts.get("service"),
            code=facts.get("code"),
            name=facts.get("name"),
        )
        for rule in CHANGE_RULES
        if rule.breaking and rule.facts is not None
        for facts in rule.facts(parts)
    ]
    return tuple(
        sorted(
            found,
            key=lambda b: (
                BREAKING_KINDS.index(b.kind),
                b.namespace or "",
                -1 if b.code is None else b.code,
                b.service or "",
                b.name or "",
            ),
        )
    )
