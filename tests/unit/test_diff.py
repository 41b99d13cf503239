"""The catalogue diff: added, removed, changed and reused entries, and what counts as breaking."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from app.catalogue.breaking import BreakingChange
from app.catalogue.diff import CatalogueDiff, diff_catalogues, render_diff
from app.catalogue.diff_model import DiffEntry, FieldChange
from app.catalogue.model import (
    CatalogueDocument,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
)
from app.seeds import load_seed

SEED = load_seed()

Rows = tuple[CodeRow, ...]


def edit_section(
    doc: CatalogueDocument, name: str, edit: Callable[[Rows], Rows]
) -> CatalogueDocument:
    assert any(s.name == name for s in doc.sections), f"no section {name}"
    sections = tuple(
        msgspec.structs.replace(s, rows=edit(s.rows)) if s.name == name else s for s in doc.sections
    )
    return msgspec.structs.replace(doc, sections=sections)


def edit_row(
    doc: CatalogueDocument, section: str, code: int, name: str, /, **fields
) -> CatalogueDocument:
    def edit(rows: Rows) -> Rows:
        return tuple(
            msgspec.structs.replace(r, **fields) if (r.code, r.name) == (code, name) else r
            for r in rows
        )

    return edit_section(doc, section, edit)


def drop_row(doc: CatalogueDocument, section: str, code: int, name: str) -> CatalogueDocument:
    return edit_section(
        doc, section, lambda rows: tuple(r for r in rows if (r.code, r.name) != (code, name))
    )


def add_row(doc: CatalogueDocument, section: str, row: CodeRow) -> CatalogueDocument:
    return edit_section(doc, section, lambda rows: (*rows, row))


def kinds(diff: CatalogueDiff) -> list[str]:
    return [b.kind for b in diff.breaking]


# --- entries ---------------------------------------------------------------------------------


def test_identical_documents_give_an_empty_non_breaking_diff():
    diff = diff_catalogues(SEED, SEED)
    assert (diff.added, diff.removed, diff.changed, diff.reused, diff.breaking) == ((),) * 5
    assert diff.source is None
    assert diff.is_breaking is False
    assert diff.has_changes is False
    assert set(msgspec.structs.asdict(diff.summary).values()) == {0}
    assert render_diff(diff).endswith("no changes")


def test_reordered_rows_are_not_a_change():
    reordered = edit_section(SEED, "TriggerInstance", lambda rows: tuple(reversed(rows)))
    assert diff_catalogues(SEED, reordered).has_changes is False


def test_a_description_edit_is_not_breaking():
    new = edit_row(SEED, "TriggerInstance", 1205, "AuthRefreshRequired", description="Re-auth")
    diff = diff_catalogues(SEED, new)
    (change,) = diff.changed
    assert (change.service, change.code, change.name, change.status) == (
        "TriggerInstance",
        1205,
        "AuthRefreshRequired",
        422,
    )
    assert change.description == "Re-auth"
    assert change.changes == (
        FieldChange("description", "Authentication refresh required", "Re-auth"),
    )
    assert diff.breaking == () and diff.is_breaking is False and diff.has_changes is True
    assert diff.summary.changed == 1


def test_a_new_entry_is_not_breaking():
    new = add_row(SEED, "TriggerInstance", CodeRow(1207, "Paused", 409, "Trigger paused"))
    diff = diff_catalogues(SEED, new)
    assert diff.added == (
        DiffEntry("platform", "TriggerInstance", 1207, "Paused", 409, "Trigger paused"),
    )
    assert (diff.removed, diff.changed, diff.reused, diff.breaking) == ((), (), (), ())
    assert diff.is_breaking is False
    assert diff.summary.added == 1


def test_a_removed_code_is_breaking():
    diff = diff_catalogues(SEED, drop_row(SEED, "TriggerInstance", 1205, "AuthRefreshRequired"))
    assert diff.removed == (
        DiffEntry(
            "platform",
            "TriggerInstance",
            1205,
            "AuthRefreshRequired",
            422,
            "Authentication refresh required",
        ),
    )
    assert diff.is_breaking is True
    assert diff.breaking == (
        BreakingChange(
            kind="code_removed",
            reason="TriggerInstance code 1205 (AuthRefreshRequired) would be removed; clients "
            "that handle it would no longer find it in the catalogue.",
            namespace="platform",
            service="TriggerInstance",
            code=1205,
            name="AuthRefreshRequired",
        ),
    )


def test_a_status_change_is_breaking():
    diff = diff_catalogues(
        SEED, edit_row(SEED, "TriggerInstance", 1205, "AuthRefreshRequired", status=401)
    )
    (change,) = diff.changed
    assert change.changes == (FieldChange("status", 422, 401),)
    assert change.status == 401
    (breaking,) = diff.breaking
    assert (breaking.kind, breaking.service, breaking.code) == (
        "status_changed",
        "TriggerInstance",
        1205,
    )
    assert breaking.reason == (
        "TriggerInstance code 1205 (AuthRefreshRequired) would change its HTTP status from 422 "
        "to 401; clients that act on the status would behave differently."
    )


def test_a_status_and_description_change_gives_two_field_changes_one_breaking():
    new = edit_row(SEED, "Redis", 701, "NotFound", status=404, description="Key not found")
    diff = diff_catalogues(SEED, new)
    assert [c.field for c in diff.changed[0].changes] == ["status", "description"]
    assert kinds(diff) == ["status_changed"]


def test_a_reused_number_is_breaking_and_not_a_removal_plus_addition():
    new = edit_row(SEED, "TriggerInstance", 1205, "AuthRefreshRequired", name="Paused")
    diff = diff_catalogues(SEED, new)
    assert diff.added == () and diff.removed == ()
    (reuse,) = diff.reused
    assert (reuse.service, reuse.code) == ("TriggerInstance", 1205)
    assert [e.name for e in reuse.before] == ["AuthRefreshRequired"]
    assert [e.name for e in reuse.after] == ["Paused"]
    (breaking,) = diff.breaking
    assert (breaking.kind, breaking.service, breaking.code, breaking.name) == (
        "code_reused",
        "TriggerInstance",
        1205,
        "AuthRefreshRequired",
    )
    assert breaking.reason == (
        "TriggerInstance code 1205 would be reused: it meant AuthRefreshRequired (422) and "
        "would mean Paused (422); clients that handle 1205 would misread it."
    )
    assert diff.summary.reused == 1


def test_reusing_one_name_of_a_duplicated_number():
    # HTTP documents 10503 twice; replacing BadState keeps ServiceUnavailable untouched.
    new = edit_row(SEED, "HTTP", 10503, "BadState", name="Teapot", status=418)
    diff = diff_catalogues(SEED, new)
    (reuse,) = diff.reused
    assert [(e.name, e.status) for e in reuse.before] == [("BadState", 422)]
    assert [(e.name, e.status) for e in reuse.after] == [("Teapot", 418)]
    assert kinds(diff) == ["code_reused"]


def test_giving_a_number_a_second_name_is_an_addition():
    new = add_row(SEED, "Redis", CodeRow(700, "Timeout", 504, "Redis timed out"))
    diff = diff_catalogues(SEED, new)
    assert [(e.code, e.name) for e in diff.added] == [(700, "Timeout")]
    assert diff.reused == () and diff.is_breaking is False


def test_a_renumbered_entry_is_a_removal_and_an_addition():
    new = edit_row(SEED, "Redis", 701, "NotFound", code=702)
    diff = diff_catalogues(SEED, new)
    assert [(e.code, e.name) for e in diff.removed] == [(701, "NotFound")]
    assert [(e.code, e.name) for e in diff.added] == [(702, "NotFound")]
    assert kinds(diff) == ["code_removed"]


def test_an_entry_moved_to_another_section_is_a_removal_and_an_addition():
    moved = CodeRow(701, "NotFound", 400, "Redis key not found")
    new = add_row(drop_row(SEED, "Redis", 701, "NotFound"), "Email", moved)
    diff = diff_catalogues(SEED, new)
    assert [(e.service, e.code) for e in diff.removed] == [("Redis", 701)]
    assert [(e.service, e.code) for e in diff.added] == [("Email", 701)]
    assert diff.reused == ()
    assert kinds(diff) == ["code_removed"]


def test_the_diff_has_a_direction():
    new = add_row(SEED, "Redis", CodeRow(702, "Timeout", 504, "Redis timed out"))
    assert diff_catalogues(SEED, new).is_breaking is False
    backwards = diff_catalogues(new, SEED)
    assert [(e.code, e.name) for e in backwards.removed] == [(702, "Timeout")]
    assert backwards.is_breaking is True


def test_a_thermos_entry_is_identified_in_its_namespace():
    new = edit_row(SEED, "Database", 2, "DbNotFoundError", status=410)
    (breaking,) = diff_catalogues(SEED, new).breaking
    assert (breaking.namespace, breaking.service, breaking.code) == ("thermos", "Database", 2)


def test_several_changes_at_once_are_all_reported_in_a_stable_order():
    new = SEED
    new = add_row(new, "Redis", CodeRow(702, "Timeout", 504, "Redis timed out"))
    new = drop_row(new, "Email", 1001, "EMAIL_NOT_AVAILABLE")
    new = edit_row(new, "Stripe", 1500, "UserOrganisationNotFoundError", status=404)
    new = edit_row(new, "JWT", 1301, "InvalidToken", description="JWT token invalid")
    new = edit_row(new, "TriggerInstance", 1205, "AuthRefreshRequired", name="Paused")
    new = edit_row(new, "Auth", 900, "BadRequest", status=422, description="Bad auth request")
    diff = diff_catalogues(SEED, new)
    assert [(e.code, e.name) for e in diff.added] == [(702, "Timeout")]
    assert [(e.code, e.name) for e in diff.removed] == [(1001, "EMAIL_NOT_AVAILABLE")]
    assert [(c.code, [f.field for f in c.changes]) for c in diff.changed] == [
        (900, ["status", "description"]),
        (1301, ["description"]),
        (1500, ["status"]),
    ]
    assert [r.code for r in diff.reused] == [1205]
    assert [(b.kind, b.code) for b in diff.breaking] == [
        ("code_removed", 1001),
        ("code_reused", 1205),
        ("status_changed", 900),
        ("status_changed", 1500),
    ]
    s = diff.summary
    assert (s.added, s.removed, s.changed, s.reused, s.breaking) == (1, 1, 3, 1, 4)
    assert diff == diff_catalogues(SEED, new)  # deterministic


# --- the other parts of the document ----------------------------------------------------------


def test_range_changes_are_reported_but_not_breaking():
    ranges = (
        *(
            DeclaredRange(300, 449, "Toolkit") if r.label == "Toolkit" else r
            for r in SEED.ranges
            if r.label != "Sandbox"
        ),
        DeclaredRange(1400, 1499, "Project"),
    )
    diff = diff_catalogues(SEED, msgspec.structs.replace(SEED, ranges=ranges))
    assert diff.ranges.added == (DeclaredRange(1400, 1499, "Project"),)
    assert diff.ranges.removed == (DeclaredRange(4100, 4199, "Sandbox"),)
    (change,) = diff.ranges.changed
    assert (change.label, change.changes) == ("Toolkit", (FieldChange("end", 399, 449),))
    assert diff.summary.ranges == 3
    assert diff.is_breaking is False and diff.has_changes is True


def test_section_heading_changes_are_reported_but_not_breaking():
    sections = tuple(
        msgspec.structs.replace(
            s, heading="Project Errors (1400-1499)", range_start=1400, range_end=1499
        )
        if s.name == "Project"
        else s
        for s in SEED.sections
    )
    diff = diff_catalogues(SEED, msgspec.structs.replace(SEED, sections=sections))
    (change,) = diff.sections.changed
    assert (change.namespace, change.name) == ("platform", "Project")
    assert change.changes == (
        FieldChange("heading", "Project Errors (1800-1899)", "Project Errors (1400-1499)"),
        FieldChange("range_start", 1800, 1400),
        FieldChange("range_end", 1899, 1499),
    )
    assert diff.is_breaking is False


def test_a_removed_section_removes_its_entries():
    sections = tuple(s for s in SEED.sections if s.name != "Stripe")
    diff = diff_catalogues(SEED, msgspec.structs.replace(SEED, sections=sections))
    assert [s.name for s in diff.sections.removed] == ["Stripe"]
    assert [(b.kind, b.service, b.code) for b in diff.breaking] == [
        ("code_removed", "Stripe", 1500)
    ]


def test_error_types():
    types = (
        *(
            msgspec.structs.replace(t, description="JSON could not be decoded")
            if t.type == "json_decode"
            else t
            for t in SEED.error_types
            if t.type != "proto_conversion"
        ),
        ErrorTypeDoc("timeout", "Lambda timed out"),
    )
    diff = diff_catalogues(SEED, msgspec.structs.replace(SEED, error_types=types))
    assert [t.type for t in diff.error_types.added] == ["timeout"]
    assert [t.type for t in diff.error_types.removed] == ["proto_conversion"]
    (change,) = diff.error_types.changed
    assert change.type == "json_decode"
    assert change.changes == (
        FieldChange("description", "JSON decoding error", "JSON could not be decoded"),
    )
    (breaking,) = diff.breaking  # only the removal
    assert (breaking.kind, breaking.namespace, breaking.name) == (
        "error_type_removed",
        "thermos",
        "proto_conversion",
    )
    assert "proto_conversion" in breaking.reason


def replace_envelope(**by_name: EnvelopeFieldDoc | None) -> CatalogueDocument:
    fields = [by_name.get(f.name, f) for f in SEED.envelope]
    fields += [
        f for name, f in by_name.items() if f and name not in {g.name for g in SEED.envelope}
    ]
    return msgspec.structs.replace(SEED, envelope=tuple(f for f in fields if f is not None))


def field(name: str, **changes) -> EnvelopeFieldDoc:
    found = next((f for f in SEED.envelope if f.name == name), None)
    base = found or EnvelopeFieldDoc(name=name, type="string", required=False, example="x")
    return msgspec.structs.replace(base, **changes)


@pytest.mark.parametrize(
    ("new", "expected_kinds"),
    [
        (replace_envelope(request_id=None), ["envelope_field_removed"]),
        (replace_envelope(code=field("code", type="string")), ["envelope_field_changed"]),
        (
            replace_envelope(suggested_fix=field("suggested_fix", required=True)),
            ["envelope_field_changed"],
        ),
        (
            replace_envelope(request_id=field("request_id", required=False)),
            ["envelope_field_changed"],
        ),
        (replace_envelope(message=field("message", example="Oops")), []),
        (replace_envelope(trace_id=field("trace_id")), []),
        (replace_envelope(trace_id=field("trace_id", required=True)), ["envelope_field_added"]),
    ],
    ids=[
        "removed",
        "retyped",
        "now-required",
        "now-optional",
        "example",
        "optional-added",
        "required-added",
    ],
)
def test_envelope_changes(new, expected_kinds):
    diff = diff_catalogues(SEED, new)
    assert diff.has_changes is True
    assert diff.summary.envelope_fields == 1
    assert kinds(diff) == expected_kinds


def test_a_source_change_is_reported_but_not_breaking():
    diff = diff_catalogues(SEED, msgspec.structs.replace(SEED, source="Composio, copied again"))
    assert diff.source == FieldChange("source", SEED.source, "Composio, copied again")
    assert diff.has_changes is True and diff.is_breaking is False


# --- on the wire and on a terminal -------------------------------------------------------------


def test_diff_encodes_to_json():
    new = drop_row(SEED, "Redis", 701, "NotFound")
    decoded = msgspec.json.decode(msgspec.json.encode(diff_catalogues(SEED, new)))
    assert decoded["is_breaking"] is True
    assert decoded["removed"] == [
        {
            "namespace": "platform",
            "service": "Redis",
            "code": 701,
            "name": "NotFound",
            "status": 400,
            "description": "Redis key not found",
            "origin": "page",
            "action": None,
            "provenance": None,
        }
    ]
    assert decoded["breaking"][0]["kind"] == "code_removed"
    assert decoded["summary"]["breaking"] == 1


def test_render_diff():
    new = add_row(SEED, "Redis", CodeRow(702, "Timeout", 504, "Redis timed out"))
    new = edit_row(new, "Redis", 701, "NotFound", status=404)
    text = render_diff(diff_catalogues(SEED, new))
    assert text.splitlines() == [
        "entries: 1 added, 0 removed, 1 changed, 0 reused; 1 breaking",
        "+ platform Redis 702 Timeout (504): Redis timed out",
        "~ platform Redis 701 NotFound: status 400 -> 404",
        "! breaking (status_changed): Redis code 701 (NotFound) would change its HTTP status "
        "from 400 to 404; clients that act on the status would behave differently.",
    ]
