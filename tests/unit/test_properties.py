"""Property tests of the pure core (hypothesis): range resolution, filters, envelope rules.

Each property is checked against a brute-force restatement over the real seed, on inputs
hypothesis generates (and shrinks, when one fails), rather than on a handful of examples.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.catalogue.build import build_snapshot
from app.catalogue.envelope import validate_envelope
from app.catalogue.model import CatalogueVersion, Entry
from app.catalogue.query import filter_entries, find_section, nearest_ranges, ranges_containing
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
PLATFORM = [e for e in SNAP.entries if e.namespace == "platform"]
STATUSES = sorted({e.status for e in SNAP.entries})

codes = st.integers(min_value=-(10**6), max_value=10**6) | st.sampled_from(
    [e.code for e in SNAP.entries] + [r.start for r in SNAP.ranges] + [r.end for r in SNAP.ranges]
)
platform_entries = st.sampled_from(PLATFORM)
props = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- range resolution -------------------------------------------------------------------------


@props
@given(codes)
def test_ranges_containing_is_exactly_the_ranges_around_the_code(code: int) -> None:
    assert ranges_containing(SNAP, code) == tuple(
        r for r in SNAP.ranges if r.start <= code <= r.end
    )


@props
@given(codes)
def test_nearest_ranges_are_the_closest_below_and_above(code: int) -> None:
    near = nearest_ranges(SNAP, code)
    below = [r for r in SNAP.ranges if r.end < code]
    above = [r for r in SNAP.ranges if r.start > code]
    assert len(near) == bool(below) + bool(above)
    for r in near:
        assert r in SNAP.ranges
        if r.end < code:  # nothing ends closer below
            assert r.end == max(b.end for b in below)
        else:  # nothing starts closer above
            assert r.start > code and r.start == min(a.start for a in above)


# --- filters ------------------------------------------------------------------------------------

status_filters = st.one_of(
    st.sampled_from(STATUSES).map(str),
    st.integers(min_value=100, max_value=599).map(str),
    st.integers(min_value=1, max_value=5).map(lambda c: f"{c}xx"),
    st.integers(min_value=1, max_value=5).map(lambda c: f"{c}XX"),
)


def _status_matches(entry: Entry, raw: str) -> bool:
    if raw.lower().endswith("xx"):
        return entry.status // 100 == int(raw[0])
    return entry.status == int(raw)


@props
@given(status_filters)
def test_status_filter_equals_brute_force(raw: str) -> None:
    assert filter_entries(SNAP, status=raw) == tuple(
        e for e in SNAP.entries if _status_matches(e, raw)
    )


@props
@given(st.sampled_from(SNAP.sections), st.sampled_from(["name", "key", "upper", "lower"]))
def test_service_filter_takes_any_spelling_and_keeps_only_that_section(section, spelling):
    raw = {
        "name": section.name,
        "key": section.key,
        "upper": section.name.upper(),
        "lower": section.name.lower(),
    }[spelling]
    # A spelling shared by two sections (printed names differing only in case) may pick either.
    found = find_section(SNAP, raw)
    assert found is not None
    got = filter_entries(SNAP, service=raw)
    assert got == tuple(
        e for e in SNAP.entries if e.service == found.name and e.namespace == found.namespace
    )


@props
@given(status_filters, st.sampled_from(SNAP.sections), st.sampled_from(["platform", "thermos"]))
def test_filters_combine_as_an_intersection(raw: str, section, namespace: str) -> None:
    both = set(filter_entries(SNAP, status=raw, service=section.key, namespace=namespace))
    assert both == (
        set(filter_entries(SNAP, status=raw))
        & set(filter_entries(SNAP, service=section.key))
        & set(filter_entries(SNAP, namespace=namespace))
    )


@props
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12))
@example("magic link")
@example("")
def test_text_search_only_returns_entries_containing_the_text(q: str) -> None:
    for e in filter_entries(SNAP, q=q):
        haystack = " ".join([str(e.code), e.name, e.description, e.service, e.slug]).lower()
        assert q.lower() in haystack


@props
@given(platform_entries)
def test_every_entry_is_found_by_its_own_slug(entry: Entry) -> None:
    assert entry in filter_entries(SNAP, slug=entry.slug)
    assert entry in filter_entries(SNAP, slug=entry.slug.upper())


# --- envelope rules ------------------------------------------------------------------------------


def envelope_of(entry: Entry) -> dict[str, Any]:
    """The envelope the platform sends for ``entry``, with every field of both descriptions."""
    return {
        "error": {
            "message": entry.description,
            "code": entry.code,
            "slug": entry.slug,
            "status": entry.status,
            "request_id": "req_0123456789abcdef",
            "suggested_fix": "Retry",
            "errors": [],
        }
    }


@props
@given(platform_entries, st.sampled_from(["strict", "lenient"]))
def test_an_envelope_built_from_any_entry_validates_and_matches_it(entry, profile) -> None:
    report = validate_envelope(SNAP, envelope_of(entry), profile=profile)
    assert report.valid, report.errors
    assert report.errors == ()
    assert report.matched == entry


# A single change to one field, and where the validator must report it.
MUTATIONS = {
    "drop message": (lambda e: e.pop("message"), "/error/message", "shape.required"),
    "drop code": (lambda e: e.pop("code"), "/error/code", "shape.required"),
    "drop status": (lambda e: e.pop("status"), "/error/status", "shape.required"),
    "code as a string": (
        lambda e: e.__setitem__("code", str(e["code"])),
        "/error/code",
        "shape.type",
    ),
    "status as a string": (
        lambda e: e.__setitem__("status", str(e["status"])),
        "/error/status",
        "shape.type",
    ),
    "status out of range": (
        lambda e: e.__setitem__("status", 600 + e["status"]),
        "/error/status",
        "shape.status_range",
    ),
    "empty message": (lambda e: e.__setitem__("message", " "), "/error/message", "shape.empty"),
    "message not a string": (
        lambda e: e.__setitem__("message", 7),
        "/error/message",
        "shape.type",
    ),
    "errors not a list": (
        lambda e: e.__setitem__("errors", "x"),
        "/error/errors",
        "shape.type",
    ),
    "an errors element not a string": (
        lambda e: e.__setitem__("errors", [1]),
        "/error/errors/0",
        "shape.type",
    ),
    "slug of another code": (
        lambda e: e.__setitem__("slug", e["slug"] + "Elsewhere"),
        "/error/slug",
        "catalogue.slug_mismatch",
    ),
}


@props
@given(platform_entries, st.sampled_from(sorted(MUTATIONS)))
def test_any_single_mutation_is_reported_at_its_path(entry: Entry, mutation: str) -> None:
    mutate, path, rule = MUTATIONS[mutation]
    value = envelope_of(entry)
    mutate(value["error"])
    report = validate_envelope(SNAP, value, profile="strict")
    assert not report.valid
    assert (path, rule) in {(f.path, f.rule) for f in report.errors}, report.errors


@props
@given(platform_entries, st.sampled_from(STATUSES))
def test_a_wrong_status_is_reported_at_the_status(entry: Entry, status: int) -> None:
    if any(e.status == status for e in SNAP.by_code[entry.code]):
        return  # the status of one of the code's entries is not a mistake
    value = envelope_of(entry)
    value["error"]["status"] = status
    report = validate_envelope(SNAP, value, profile="strict")
    assert ("/error/status", "catalogue.status_mismatch") in {
        (f.path, f.rule) for f in report.errors
    }


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_any_json_value_gets_a_report_never_an_exception(value: Any) -> None:
    for profile in ("strict", "lenient"):
        report = validate_envelope(SNAP, value, profile=profile)
        assert report.valid == (not report.errors)
        assert all(f.path == "" or f.path.startswith("/") for f in report.errors)
