"""Amendments, pure: loading and its errors, the snapshot they give (origin, provenance, notes,
numberless entries, guidance), the integrity rules about them, the diff, and the draft of
``errcat propose`` fitting the file's format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import msgspec
import pytest

from app.catalogue.amendments import (
    NO_AMENDMENTS,
    AmendedEntry,
    AmendedService,
    AmendmentNote,
    AmendmentsDoc,
    Provenance,
)
from app.catalogue.build import build_snapshot
from app.catalogue.diff import diff_catalogues, render_diff
from app.catalogue.drift import Observation, drift
from app.catalogue.export import render_export
from app.catalogue.integrity import integrity_report
from app.catalogue.integrity_rules import SEVERITY_OF
from app.catalogue.model import CatalogueVersion
from app.catalogue.propose import propose
from app.catalogue.query import filter_entries, find_by_slug, lookup
from app.seeds import (
    DEFAULT_AMENDMENTS_PATH,
    SeedError,
    canonical_bytes,
    content_hash,
    decode_amendments,
    load_amendments,
    load_catalogue,
    load_seed,
    render_amendments,
)
from tests.unit.test_integrity import SEEDED_FINDINGS, summarise

VERSION = CatalogueVersion(revision=1, content_hash="0" * 64, loaded_at="2026-01-01T00:00:00+00:00")
PAGE = load_seed()
FULL = load_catalogue()
SNAP = build_snapshot(FULL, VERSION)
SEEN = Provenance(seen_in="a test", url=None, seen="2026-11-25")


def with_amendments(**parts) -> object:
    return msgspec.structs.replace(
        FULL, amendments=msgspec.structs.replace(FULL.amendments, **parts)
    )


# --- the file ---------------------------------------------------------------------------------


def test_the_file_keeps_every_item():
    doc = load_amendments()
    assert [s.name for s in doc.services] == ["UserApiKey", "ToolRouterV2"]
    assert len(doc.entries) == 13 and len(doc.notes) == 2 and doc.ranges == ()
    assert [e.code for e in doc.entries if e.code is not None] == [
        612, 1810, 1811, 1812, 2113, 4300, 4302, 4305, 4308, 4326, 4340,
    ]  # fmt: skip
    raw = json.loads(DEFAULT_AMENDMENTS_PATH.read_text())
    assert json.loads(msgspec.json.encode(doc)) == raw  # nothing lost or added in decoding
    assert decode_amendments(render_amendments(doc).encode()) == doc


def test_a_missing_file_is_no_amendments(tmp_path):
    assert load_amendments(tmp_path / "absent.json") is NO_AMENDMENTS
    assert load_catalogue(amendments=tmp_path / "absent.json") == PAGE


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (lambda d: d["entries"][1].update(colour="red"), ["$.entries[1]", "colour"]),
        (lambda d: d["notes"][0].pop("provenance"), ["$.notes[0]", "provenance"]),
        (lambda d: d["entries"][0]["provenance"].update(seen="last year"), ["$.entries[0]"]),
        (lambda d: d["entries"][3].update(action="panic"), ["entries[3]", "'panic'"]),
        (lambda d: d["entries"][3].update(status=99), ["entries[3]", "status 99"]),
        (lambda d: d["entries"].append(dict(d["entries"][0])), ["entries[13]", "more than once"]),
        (
            lambda d: d["notes"][1].update(note=None, superseded_by=None, action=None),
            ["notes[1]", "says nothing"],
        ),
    ],
)
def test_a_malformed_file_names_the_file_and_the_place(tmp_path, edit, needles):
    raw = json.loads(DEFAULT_AMENDMENTS_PATH.read_text())
    edit(raw)
    path = tmp_path / "amendments.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(SeedError) as caught:
        load_amendments(path)
    assert str(path) in str(caught.value)
    for needle in needles:
        assert needle in str(caught.value)


def test_not_json_is_refused(tmp_path):
    path = tmp_path / "amendments.json"
    path.write_text('{"entries": [')
    with pytest.raises(SeedError, match="is not valid JSON"):
        load_amendments(path)


def test_no_amendments_keep_the_page_s_hash():
    # revisions stored before amendments existed keep their hash and still decode
    assert b"amendments" not in canonical_bytes(PAGE)
    emptied = msgspec.structs.replace(PAGE, amendments=AmendmentsDoc())
    assert content_hash(emptied) == content_hash(PAGE)
    assert content_hash(FULL) != content_hash(PAGE)
    assert msgspec.json.decode(canonical_bytes(FULL), type=type(FULL)) == FULL


# --- the snapshot -------------------------------------------------------------------------------


def test_amended_entries_and_sections():
    assert len(SNAP.entries) == 215 and len(SNAP.sections) == 45
    (entry,) = lookup(SNAP, 1810)
    assert (entry.origin, entry.provenance.seen_in) == (
        "amendment",
        "the platform's CLI sources; client code",
    )
    assert entry.ranges[0].service == "ActionExecute"
    router = next(s for s in SNAP.sections if s.name == "ToolRouterV2")
    assert (router.origin, router.key, len(router.entries)) == ("amendment", "toolrouterv2", 7)
    assert all(e.origin == "page" and e.provenance is None for e in lookup(SNAP, 1205))


def test_numberless_entries_are_found_by_slug_never_by_number():
    (entry,) = find_by_slug(SNAP, "triggerinstance_pollingconfiginvalid")
    assert entry.code is None and entry.ranges == () and entry.origin == "amendment"
    assert None not in SNAP.by_code
    assert [e.code for e in SNAP.entries[-2:]] == [None, None]
    assert [e.slug for e in filter_entries(SNAP, q="polling")] == [
        "TriggerInstance_PollingConfigInvalid"
    ]


def test_notes_attach_to_their_entry_only():
    notes = {e.service: e.notes for e in lookup(SNAP, 1803)}
    assert notes["Project"] == ()
    (note,) = notes["ActionExecute"]
    assert note.superseded_by == 1810 and note.action is None


@pytest.mark.parametrize(
    ("code", "action", "retryable"),
    [
        (1810, "reconnect_account", False),
        (1811, "reconnect_account", False),
        (1812, "reconnect_account", False),
        (4302, "reconnect_account", False),
        (10429, "retry_later", True),
        (1811 - 8, "fix_request", False),  # 1803: a note without an action changes nothing
    ],
)
def test_guidance_overrides(code, action, retryable):
    for entry in lookup(SNAP, code):
        assert (entry.action, entry.retryable) == (action, retryable)


def test_a_numberless_override_is_keyed_by_slug():
    entries = tuple(
        msgspec.structs.replace(e, action="reconnect_account") if e.code is None else e
        for e in FULL.amendments.entries
    )
    snap = build_snapshot(with_amendments(entries=entries), VERSION)
    assert snap.guidance_overrides.for_slug("ToolRouterV2_InvalidConnectedAccountIds").action == (
        "reconnect_account"
    )
    assert find_by_slug(snap, "ToolRouterV2_InvalidConnectedAccountIds")[0].action == (
        "reconnect_account"
    )


def test_constants_skip_numberless_entries_and_csv_keeps_them():
    python = render_export(SNAP, "python").decode()
    assert "TOOL_ROUTER_V2_NO_ACTIVE_CONNECTION: Final = 4302" in python
    assert "INVALID_CONNECTED_ACCOUNT_IDS" not in python
    typescript = render_export(SNAP, "typescript").decode()
    assert "export const ACTION_EXECUTE_CONNECTED_ACCOUNT_NOT_FOUND = 1810;" in typescript
    csv_text = render_export(SNAP, "csv").decode()
    assert "\r\n,InvalidConnectedAccountIds,400," in csv_text


# --- integrity ----------------------------------------------------------------------------------

AMENDED_FINDINGS = [
    ("amendment.in_other_service_range", (2113,), ("UserApiKey",), ("2100-2199 CLI",)),
    *(
        ("amendment.outside_declared_ranges", (code,), ("ToolRouterV2",), ())
        for code in (4300, 4302, 4305, 4308, 4326, 4340)
    ),
]


def test_the_seeded_page_and_amendments_give_exactly_these_findings():
    report = integrity_report(SNAP)
    assert summarise(report) == AMENDED_FINDINGS + SEEDED_FINDINGS  # amendment.* sorts first
    assert (report.counts.error, report.counts.warning, report.counts.info) == (14, 26, 4)
    assert all(f.severity == SEVERITY_OF[f.rule] for f in report.findings)


def test_amendment_rules_each_fire():
    entries = (
        *FULL.amendments.entries,
        AmendedEntry(1205, "TriggerInstance", "AuthRefreshRequired", 401, "x", None, SEEN),
        AmendedEntry(1000, "Email", "FailedToSendEmail", 500, "repeated", None, SEEN),
        AmendedEntry(4400, "Nowhere", "Lost", 400, "a service nobody declared", None, SEEN),
    )
    notes = (
        *FULL.amendments.notes,
        AmendmentNote(1205, "TriggerInstance", "Missing", "no such entry", None, None, SEEN),
        AmendmentNote(1000, "Email", "FailedToSendEmail", None, 99999, None, SEEN),
    )
    report = integrity_report(
        build_snapshot(with_amendments(entries=entries, notes=notes), VERSION)
    )
    found = {(f.rule, f.codes) for f in report.findings if f.rule.startswith("amendment.")}
    assert {
        ("amendment.conflicts_with_page", (1205,)),
        ("amendment.duplicates_page", (1000,)),
        ("amendment.unknown_service", (4400,)),
        ("amendment.note_without_entry", (1205,)),
        ("amendment.superseded_by_unknown", (1000, 99999)),
    } <= found
    (conflict,) = [f for f in report.findings if f.rule == "amendment.conflicts_with_page"]
    assert "status 401" in conflict.message and "the page gives 422" in conflict.message


def test_an_amended_service_is_a_known_service():
    services = (*FULL.amendments.services, AmendedService("platform", "Nowhere", SEEN))
    entries = (
        *FULL.amendments.entries,
        AmendedEntry(None, "Nowhere", "Lost", 400, "x", None, SEEN),
    )
    report = integrity_report(
        build_snapshot(with_amendments(services=services, entries=entries), VERSION)
    )
    assert "amendment.unknown_service" not in {f.rule for f in report.findings}


# --- the diff -----------------------------------------------------------------------------------


def test_a_numberless_entry_gaining_its_number_is_a_change_not_a_removal():
    entries = tuple(
        msgspec.structs.replace(e, code=4310) if e.name == "InvalidConnectedAccountIds" else e
        for e in FULL.amendments.entries
    )
    diff = diff_catalogues(FULL, with_amendments(entries=entries))
    assert (diff.summary.added, diff.summary.removed, diff.is_breaking) == (0, 0, False)
    (change,) = diff.changed
    assert (change.code, change.changes[0].field, change.changes[0].old) == (4310, "code", None)


def test_moving_an_amendment_onto_the_page_is_not_breaking():
    # the vendor adds 1810 to the page; the amendment is removed
    section = next(s for s in PAGE.sections if s.name == "ActionExecute")
    (amended,) = [e for e in FULL.amendments.entries if e.code == 1810]
    row = type(section.rows[0])(1810, amended.name, amended.status, amended.description)
    page = msgspec.structs.replace(
        FULL,
        sections=tuple(
            msgspec.structs.replace(s, rows=(*s.rows, row)) if s.name == section.name else s
            for s in FULL.sections
        ),
    )
    moved = msgspec.structs.replace(
        page,
        amendments=msgspec.structs.replace(
            FULL.amendments, entries=tuple(e for e in FULL.amendments.entries if e.code != 1810)
        ),
    )
    diff = diff_catalogues(FULL, moved)
    assert diff.is_breaking is False
    (change,) = diff.changed
    assert ("origin", "amendment", "page") in [(c.field, c.old, c.new) for c in change.changes]


def test_note_changes_are_listed_and_not_breaking():
    notes = (FULL.amendments.notes[0],)
    diff = diff_catalogues(FULL, with_amendments(notes=notes))
    assert diff.is_breaking is False and diff.has_changes
    assert [n.code for n in diff.amendments.notes.removed] == [10429]
    assert "- note service='HTTP' code=10429" in render_diff(diff)


# --- propose writes the file's format -------------------------------------------------------------


def test_a_propose_draft_is_an_amendments_file_once_reviewed():
    at = datetime(2026, 11, 20, tzinfo=UTC)
    observed = [
        Observation(4399, "ToolRouterV2_SessionExpired", 409, "exact", 3, at, at),
        Observation(None, "Brand_NewThing", 400, "exact", 1, at, at),
        Observation(1205, None, 500, "exact", 2, at, at),
    ]
    draft = propose(SNAP, drift(SNAP, observed, 1), today=date(2026, 11, 25)).draft
    doc = decode_amendments(json.dumps(draft).encode())
    assert [(e.code, e.service, e.name) for e in doc.entries] == [
        (4399, "ToolRouterV2", "SessionExpired"),
        (None, "Brand", "NewThing"),
    ]
    assert [s.name for s in doc.services] == ["Brand"]
    assert [n.code for n in doc.notes] == [1205]


def test_the_decoder_finds_a_numberless_amendment_by_its_slug():
    from app.catalogue.decode import decode

    body = '{"error": {"message": "bad ids", "slug": "ToolRouterV2_InvalidConnectedAccountIds"}}'
    report = decode(SNAP, body)
    (match,) = report.matches
    assert (match.code, match.origin, match.service) == (None, "amendment", "ToolRouterV2")
