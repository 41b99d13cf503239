"""Guidance: the vocabulary, the status defaults, overrides, the /codes filters' core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.catalogue.build import build_snapshot
from app.catalogue.decode import decode
from app.catalogue.errors import InvalidFilter
from app.catalogue.guidance import (
    ACTIONS,
    FALLBACK_BY_CLASS,
    RETRYABLE_BY_ACTION,
    STATUS_ACTIONS,
    Guidance,
    GuidanceOverrides,
    entry_guidance,
    guidance,
    status_guidance,
)
from app.catalogue.model import CatalogueVersion
from app.catalogue.query import filter_entries
from app.seeds import load_seed

VERSION = CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00")
DOC = load_seed()
SNAP = build_snapshot(DOC, VERSION)
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guidance.md"


@pytest.mark.parametrize(
    ("status", "action", "retryable"),
    [
        (400, "fix_request", False),
        (422, "fix_request", False),
        (401, "reauthenticate", False),
        (403, "permission", False),
        (404, "not_found", False),
        (410, "not_found", False),
        (409, "conflict", False),
        (429, "retry_later", True),
        (500, "retry", True),
        (502, "retry", True),
        (503, "retry", True),
        (504, "retry", True),
        (501, "contact_support", False),
        (418, "fix_request", False),  # an unlisted 4xx: the class fallback
        (599, "retry", True),  # an unlisted 5xx
    ],
)
def test_status_defaults(status, action, retryable):
    assert status_guidance(status) == Guidance(action, retryable)


@pytest.mark.parametrize("status", [None, 200, 302, 600])
def test_no_default_outside_4xx_5xx(status):
    assert status_guidance(status) is None


def test_every_action_has_a_retryability_and_the_tables_use_only_the_vocabulary():
    assert set(RETRYABLE_BY_ACTION) == set(ACTIONS)
    assert set(STATUS_ACTIONS.values()) | set(FALLBACK_BY_CLASS.values()) <= set(ACTIONS)


def test_the_documentation_lists_the_vocabulary_and_the_default_table():
    text = GUIDE.read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| (true|false) \|", text, re.MULTILINE))
    assert documented == {a: str(r).lower() for a, r in RETRYABLE_BY_ACTION.items()}
    table = dict(re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|$", text, re.MULTILINE))
    assert {int(k): v for k, v in table.items()} == STATUS_ACTIONS


def test_every_entry_carries_its_status_default_today():
    assert SNAP.entries
    for e in SNAP.entries:
        assert (e.action, e.retryable) == (
            status_guidance(e.status).action,
            status_guidance(e.status).retryable,
        )
    entry = SNAP.by_code[10429][0]
    assert (entry.action, entry.retryable) == ("retry_later", True)
    assert {(e.action, e.retryable) for e in SNAP.by_code[1205]} == {("fix_request", False)}


def test_an_override_by_slug_replaces_the_default_and_identity_wins_over_slug():
    overrides = GuidanceOverrides(
        by_slug={
            "triggerinstance_authrefreshrequired": guidance("reconnect_account"),
            "connectedaccount_resourcenotfound": guidance("reconnect_account"),
        },
        by_identity={("platform", 606, "ResourceNotFound"): guidance("not_found", True)},
    )
    snap = build_snapshot(DOC, VERSION, overrides)
    refresh = snap.by_code[1205][0]
    assert (refresh.action, refresh.retryable) == ("reconnect_account", False)
    gone = next(e for e in snap.by_code[606] if e.service == "ConnectedAccount")
    assert (gone.action, gone.retryable) == ("not_found", True)
    # Untouched entries keep the default, and the default snapshot is unchanged.
    assert snap.by_code[10429][0].action == "retry_later"
    assert SNAP.by_code[1205][0].action == "fix_request"


def test_entry_guidance_for_a_status_with_no_default():
    assert entry_guidance("platform", 1, "X", "S_X", 302) == Guidance("contact_support", False)


def test_guidance_refuses_words_outside_the_vocabulary():
    with pytest.raises(ValueError, match="unknown action 'reboot'"):
        guidance("reboot")


def test_an_override_for_a_slug_the_page_does_not_list_guides_the_decoder():
    slug = "ToolRouterV2_NoActiveConnection"
    plain = decode(SNAP, f"{slug}: no active connection")
    assert (plain.confidence, plain.action, plain.guidance_from) == ("none", None, None)
    overrides = GuidanceOverrides(by_slug={slug.lower(): guidance("reconnect_account")})
    snap = build_snapshot(DOC, VERSION, overrides)
    report = decode(snap, f"{slug}: no active connection")
    assert report.matches == ()
    assert (report.action, report.retryable, report.guidance_from) == (
        "reconnect_account",
        False,
        "override",
    )


def test_filter_by_action_and_retryable():
    limited = filter_entries(SNAP, action="retry_later")
    assert [(e.code, e.slug) for e in limited] == [(10429, "HTTP_TooManyRequests")]
    retryable = filter_entries(SNAP, retryable="true")
    assert retryable and all(e.retryable for e in retryable)
    assert {e.status for e in retryable} == {429, 500, 503}
    not_retryable = filter_entries(SNAP, retryable="FALSE")
    assert len(retryable) + len(not_retryable) == len(SNAP.entries)
    assert filter_entries(SNAP, action="reconnect_account") == ()  # no entry says so today
    both = filter_entries(SNAP, action="retry", retryable="false")
    assert both == ()


@pytest.mark.parametrize(
    ("field", "kwargs"), [("action", {"action": "reboot"}), ("retryable", {"retryable": "maybe"})]
)
def test_bad_filter_values_name_the_field(field, kwargs):
    with pytest.raises(InvalidFilter) as caught:
        filter_entries(SNAP, **kwargs)
    assert caught.value.field == field
