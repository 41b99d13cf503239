"""The amendments draft made from drift: its format, the slug split, notes and provenance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from app.catalogue.build import build_snapshot
from app.catalogue.drift import Observation, drift
from app.catalogue.model import CatalogueVersion
from app.catalogue.propose import DESCRIPTION_TODO, propose, split_slug
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=7, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
FIRST = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
LAST = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)
TODAY = date(2026, 11, 25)
# The amendments file's keys (seeds/amendments.json)
TOP_KEYS = {"source", "services", "ranges", "entries", "notes"}
ENTRY_KEYS = {"code", "service", "name", "status", "description", "action", "provenance"}
NOTE_KEYS = {"code", "service", "name", "note", "superseded_by", "action", "provenance"}
SERVICE_KEYS = {"namespace", "name", "provenance"}


def obs(code=None, slug=None, status=None, count=1):
    return Observation(code, slug, status, "none", count, FIRST, LAST)


def draft_of(*observed, min_count=1):
    return propose(SNAP, drift(SNAP, observed, min_count), today=TODAY)


def test_split_slug_prefers_the_longest_known_service():
    assert split_slug(SNAP, "Tool_Auth_TokenExpired") == ("Tool_Auth", "TokenExpired", True)
    assert split_slug(SNAP, "Tool_Gone") == ("Tool", "Gone", True)
    assert split_slug(SNAP, "auth_config_Gone") == ("Auth_Config", "Gone", True)
    # a service printed with a slash is known by its slug form
    assert split_slug(SNAP, "PrismaDatabase_Timeout") == ("Prisma/Database", "Timeout", True)
    # unknown services: the part before the last underscore
    assert split_slug(SNAP, "ToolRouterV2_NoActiveConnection") == (
        "ToolRouterV2",
        "NoActiveConnection",
        False,
    )
    assert split_slug(SNAP, "Big_New_Thing") == ("Big_New", "Thing", False)


def test_an_unknown_code_with_a_new_service_becomes_an_entry_and_a_service():
    proposal = draft_of(
        obs(4302, "ToolRouterV2_NoActiveConnection", 400, count=12),
        obs(4302, "ToolRouterV2_NoActiveConnection", 409, count=1),
    )
    draft = proposal.draft
    assert set(draft) == TOP_KEYS and draft["ranges"] == [] and draft["notes"] == []
    (entry,) = draft["entries"]
    assert set(entry) == ENTRY_KEYS
    assert entry == {
        "code": 4302,
        "service": "ToolRouterV2",
        "name": "NoActiveConnection",
        "status": 400,  # the status seen most often
        "description": DESCRIPTION_TODO,
        "action": None,
        "provenance": {
            "seen_in": "observed by errcat: 13 times between 2026-11-02 and 2026-11-24",
            "url": None,
            "seen": "2026-11-24",
        },
    }
    (service,) = draft["services"]
    assert set(service) == SERVICE_KEYS
    assert (service["namespace"], service["name"]) == ("platform", "ToolRouterV2")
    assert service["provenance"]["seen"] == "2026-11-24"
    assert "DRAFT" in draft["source"] and "2026-11-25" in draft["source"]
    assert "revision 7" in draft["source"]
    assert proposal.skipped == []


def test_an_unknown_code_in_a_known_service_adds_no_service():
    draft = draft_of(obs(1810, "ActionExecute_ConnectedAccountNotFound", 404)).draft
    (entry,) = draft["entries"]
    assert (entry["service"], entry["name"], entry["code"]) == (
        "ActionExecute",
        "ConnectedAccountNotFound",
        1810,
    )
    assert entry["provenance"]["seen_in"] == (
        "observed by errcat: once between 2026-11-02 and 2026-11-24"
    )
    assert draft["services"] == []


def test_an_unknown_slug_without_a_code_becomes_an_entry_without_a_number():
    (entry,) = draft_of(obs(None, "TriggerInstance_PollingConfigInvalid", 400)).draft["entries"]
    assert (entry["code"], entry["service"], entry["name"], entry["status"]) == (
        None,
        "TriggerInstance",
        "PollingConfigInvalid",
        400,
    )


def test_what_cannot_be_drafted_is_said():
    proposal = draft_of(
        obs(77777, None, 500),  # no slug: no name
        obs(88888, "Foo_Bar", None),  # no status
        obs(99999, "Foo_Baz", 400, count=3),
        obs(99999, "Foo_Qux", 400, count=1),
    )
    assert [e["code"] for e in proposal.draft["entries"]] == [99999, 88888]
    assert proposal.draft["entries"][0]["name"] == "Baz"
    text = "\n".join(proposal.skipped)
    assert "code 77777" in text and "never with a slug" in text
    assert "Foo_Bar: no status was seen" in text
    assert "code 99999: drafted as Foo_Baz; also seen as Foo_Qux" in text


def test_a_status_mismatch_becomes_a_note_on_the_catalogues_entry():
    (note,) = draft_of(obs(1205, None, 500, count=4)).draft["notes"]
    assert set(note) == NOTE_KEYS
    assert (note["code"], note["service"], note["name"]) == (
        1205,
        "TriggerInstance",
        "AuthRefreshRequired",
    )
    assert note["note"] == "Observed with HTTP status 500; the catalogue gives 422."
    assert note["superseded_by"] is None and note["action"] is None
    assert note["provenance"]["seen_in"].startswith("observed by errcat: 4 times")


def test_a_slug_mismatch_becomes_a_note():
    notes = draft_of(obs(2401, "Tool_Vanished", 404), obs(2401, "HTTP_TooManyRequests")).draft[
        "notes"
    ]
    texts = sorted(n["note"] for n in notes)
    assert texts == [
        "Observed code 2401 with slug HTTP_TooManyRequests, which the catalogue gives to "
        "HTTP_TooManyRequests (10429).",
        "Observed code 2401 with slug Tool_Vanished, which the catalogue does not list.",
    ]
    assert {(n["service"], n["name"]) for n in notes} == {("Tool", "ToolNotFound")}


def test_the_draft_is_json_in_the_amendments_format_and_honours_min_count():
    proposal = draft_of(
        obs(4302, "ToolRouterV2_NoActiveConnection", 400, count=5),
        obs(4305, "ToolRouterV2_InvalidToolkitSlugs", 400, count=1),
        min_count=2,
    )
    data = json.loads(json.dumps(proposal.draft))
    assert data == proposal.draft
    assert [e["code"] for e in data["entries"]] == [4302]
