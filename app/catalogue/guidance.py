"""What a client should do about an error: an ``action`` from a small vocabulary and whether the
same request may simply be sent again (``retryable``). Pure; docs/guidance.md is the reference.

Every catalogue entry gets its guidance from its HTTP status (``STATUS_ACTIONS``), unless an
override names the entry. Overrides are keyed by slug (any case) or by the entry's identity
``(namespace, code, name)``; a slug override also applies to slugs the catalogue does not list
(an error seen in the wild), which the decoder uses. Today no override exists: the page gives no
per-entry advice beyond its statuses. Amendments to the catalogue will supply them through
``GuidanceOverrides``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

import msgspec

# The vocabulary: each action with its meaning and whether repeating the same request can help.
ACTIONS: dict[str, str] = {
    "retry": "A transient failure on the server's side: send the same request again, with backoff.",
    "retry_later": "Rate limited: wait (Retry-After / RateLimit-Reset when given), then retry.",
    "reauthenticate": (
        "The caller's own credentials (API key, token) are missing, invalid or expired: "
        "obtain valid ones, then retry."
    ),
    "reconnect_account": (
        "The end user's connected account must be connected again (re-consent, new OAuth "
        "grant) before the request can succeed."
    ),
    "fix_request": "The request is wrong (parameters, body, state it assumes): change it.",
    "not_found": "The thing asked for does not exist (or no longer does): check identifiers.",
    "permission": "Authenticated but not allowed: needs a role, scope or plan change.",
    "conflict": "Conflicts with the current state (exists already, in use): reread it, decide.",
    "contact_support": "Not something the client can fix (e.g. not implemented): report it.",
}
RETRYABLE_BY_ACTION: dict[str, bool] = {
    "retry": True,
    "retry_later": True,
    "reauthenticate": False,
    "reconnect_account": False,
    "fix_request": False,
    "not_found": False,
    "permission": False,
    "conflict": False,
    "contact_support": False,
}

# The default table: status -> action. Statuses not listed fall back by class (FALLBACK_BY_CLASS).
STATUS_ACTIONS: dict[int, str] = {
    400: "fix_request",
    401: "reauthenticate",
    403: "permission",
    404: "not_found",
    405: "fix_request",
    408: "retry",
    409: "conflict",
    410: "not_found",
    413: "fix_request",
    415: "fix_request",
    422: "fix_request",
    429: "retry_later",
    500: "retry",
    501: "contact_support",
    502: "retry",
    503: "retry",
    504: "retry",
}
FALLBACK_BY_CLASS: dict[int, str] = {4: "fix_request", 5: "retry"}


class Guidance(msgspec.Struct, frozen=True):
    action: str
    retryable: bool


def guidance(action: str, retryable: bool | None = None) -> Guidance:
    """A Guidance for a vocabulary action; ``retryable`` defaults to the action's own."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; the vocabulary is {', '.join(ACTIONS)}")
    return Guidance(action, RETRYABLE_BY_ACTION[action] if retryable is None else retryable)


@functools.cache  # a handful of statuses, asked once per entry when a snapshot is built
def status_guidance(status: int | None) -> Guidance | None:
    """The documented default for an HTTP status; None for no status or one outside 400-599."""
    if status is None:
        return None
    action = STATUS_ACTIONS.get(status) or FALLBACK_BY_CLASS.get(status // 100)
    return guidance(action) if action else None


Identity = tuple[str, int, str]  # (namespace, code, name)


class GuidanceOverrides(msgspec.Struct, frozen=True):
    """Per-entry guidance that replaces the status default (supplied by amendments, later)."""

    by_slug: Mapping[str, Guidance] = MappingProxyType({})  # key: slug in lower case
    by_identity: Mapping[Identity, Guidance] = MappingProxyType({})

    def for_slug(self, slug: str | None) -> Guidance | None:
        return self.by_slug.get(slug.lower()) if slug else None


NO_OVERRIDES = GuidanceOverrides()


def entry_guidance(
    namespace: str,
    code: int,
    name: str,
    slug: str,
    status: int,
    overrides: GuidanceOverrides = NO_OVERRIDES,
) -> Guidance:
    """An entry's guidance: an override by identity, else by slug, else its status's default.

    Every status the catalogue holds is 4xx or 5xx, so the default always exists; any other
    status (which a future catalogue might carry) gets ``contact_support``.
    """
    found = overrides.by_identity.get((namespace, code, name)) or overrides.for_slug(slug)
    return found or status_guidance(status) or guidance("contact_support")


def parse_action(raw: str) -> str:
    text = raw.strip().lower()
    if text not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {raw[:40]!r}")
    return text


def parse_bool(raw: str, field: str) -> bool:
    text = raw.strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise ValueError(f"{field} must be true or false, not {raw[:40]!r}")
