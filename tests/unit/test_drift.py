"""Drift between observations and the catalogue: the pure function over the seeded catalogue."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from app.catalogue.build import build_snapshot
from app.catalogue.drift import Observation, drift, resolve
from app.catalogue.model import CatalogueVersion
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=3, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DAY3 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def obs(code=None, slug=None, status=None, confidence="none", count=1, first=DAY1, last=DAY1):
    return Observation(code, slug, status, confidence, count, first, last)


def test_nothing_observed_means_every_entry_is_never_seen():
    report = drift(SNAP, [])
    assert (report.observations, report.keys) == (0, 0)
    assert report.unknown_codes == report.unknown_slugs == ()
    assert report.slug_mismatches == report.status_mismatches == ()
    assert len(report.never_seen) == len(SNAP.entries)
    assert report.catalogue.revision == 3


def test_an_unknown_code_is_aggregated_with_its_slugs_statuses_and_ranges():
    report = drift(
        SNAP,
        [
            obs(1810, "ActionExecute_ConnectedAccountNotFound", 404, "code", 5, DAY2, DAY3),
            obs(1810, "ActionExecute_ConnectedAccountNotFound", None, "none", 2, DAY1, DAY2),
            obs(1810, None, 400, count=1, first=DAY2, last=DAY2),
        ],
    )
    (item,) = report.unknown_codes
    assert (item.code, item.count, item.first_seen, item.last_seen) == (1810, 8, DAY1, DAY3)
    assert [(s.slug, s.count) for s in item.slugs] == [
        ("ActionExecute_ConnectedAccountNotFound", 7)
    ]
    assert [(s.status, s.count) for s in item.statuses] == [(404, 5), (400, 1)]
    # the catalogue's view: undocumented, but inside ActionExecute's declared range
    assert [(r.start, r.end, r.service) for r in item.ranges] == [(1800, 1899, "ActionExecute")]
    assert report.observations == 8 and report.keys == 3
    assert report.slug_mismatches == report.status_mismatches == ()


def test_a_code_outside_every_range_has_no_ranges():
    (item,) = drift(SNAP, [obs(77777)]).unknown_codes
    assert item.ranges == () and item.slugs == () and item.statuses == ()


def test_an_unknown_slug_without_a_code():
    report = drift(SNAP, [obs(None, "TriggerInstance_PollingConfigInvalid", 400, count=3)])
    (item,) = report.unknown_slugs
    assert (item.slug, item.count, [s.status for s in item.statuses]) == (
        "TriggerInstance_PollingConfigInvalid",
        3,
        [400],
    )
    assert report.unknown_codes == ()


def test_a_known_slug_without_a_code_is_simply_seen():
    report = drift(SNAP, [obs(None, "http_toomanyrequests", 429)])
    assert report.unknown_slugs == () and report.status_mismatches == ()
    assert all(v.slug != "HTTP_TooManyRequests" for v in report.never_seen)


def test_slug_mismatches_unknown_slug_and_another_entrys_slug():
    report = drift(
        SNAP,
        [
            obs(2401, "Tool_Vanished", 404, "code", count=4),
            obs(2401, "HTTP_TooManyRequests", 429, "slug", count=2),
            obs(2401, "tool_toolnotfound", 404, "exact", count=9),  # same slug, other case: fine
        ],
    )
    by_slug = {m.slug: m for m in report.slug_mismatches}
    assert set(by_slug) == {"Tool_Vanished", "HTTP_TooManyRequests"}
    vanished = by_slug["Tool_Vanished"]
    assert vanished.count == 4 and vanished.slug_names == ()
    assert [(v.code, v.slug, v.status) for v in vanished.catalogue] == [
        (2401, "Tool_ToolNotFound", 404)
    ]
    other = by_slug["HTTP_TooManyRequests"]
    assert [v.code for v in other.slug_names] == [10429]
    # the one seen most comes first
    assert report.slug_mismatches[0].slug == "Tool_Vanished"
    assert report.status_mismatches == ()


def test_status_mismatch_and_the_catalogues_view():
    report = drift(SNAP, [obs(1205, None, 500, "code", count=6, first=DAY1, last=DAY3)])
    (item,) = report.status_mismatches
    assert (item.code, item.slug, item.status, item.count) == (1205, None, 500, 6)
    assert [(v.slug, v.status) for v in item.catalogue] == [
        ("TriggerInstance_AuthRefreshRequired", 422)
    ]
    # a mismatched entry was still seen
    assert all(v.code != 1205 for v in report.never_seen)


def test_the_status_picks_among_entries_sharing_a_number():
    # 10503 is both HTTP_ServiceUnavailable (503) and HTTP_BadState (422)
    report = drift(SNAP, [obs(10503, None, 503, "code")])
    never = {v.slug for v in report.never_seen}
    assert "HTTP_BadState" in never and "HTTP_ServiceUnavailable" not in never
    assert report.status_mismatches == ()
    # without a status both are seen; 1803 is listed twice with the same status
    report = drift(SNAP, [obs(10503), obs(1803, None, 400)])
    never = {v.slug for v in report.never_seen}
    assert not never & {
        "HTTP_BadState",
        "HTTP_ServiceUnavailable",
        "Project_ResourceNotFound",
        "ActionExecute_ConnectedAccountError",
    }
    assert len(report.never_seen) == len(SNAP.entries) - 4


def test_resolve_follows_the_slug_before_the_code():
    (entry,) = resolve(SNAP, obs(2401, "HTTP_TooManyRequests", 429))
    assert entry.code == 10429


def test_min_count_leaves_out_rare_drift_but_not_never_seen():
    observed = [obs(77777, count=1), obs(88888, count=5), obs(1205, None, 500, count=1)]
    report = drift(SNAP, observed, min_count=2)
    assert [u.code for u in report.unknown_codes] == [88888]
    assert report.status_mismatches == ()
    assert report.min_count == 2
    assert len(report.never_seen) == len(SNAP.entries) - 1  # 1205 was seen all the same


def test_the_report_encodes_as_json():
    report = drift(SNAP, [obs(77777, "Foo_Bar", 418, count=2)])
    data = msgspec.json.decode(msgspec.json.encode(report))
    assert data["unknown_codes"][0]["first_seen"] == "2026-11-20T09:00:00Z"
    assert data["unknown_codes"][0]["slugs"] == [{"slug": "Foo_Bar", "count": 2}]
