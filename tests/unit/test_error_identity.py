"""The catalogue code and slug of errcat's own errors, per HTTP status."""

from __future__ import annotations

import pytest

from app.api.common import EXAMPLE_IDENTITIES
from app.catalogue.build import build_snapshot
from app.catalogue.model import CatalogueVersion
from app.catalogue.query import http_error_identity
from app.seeds import load_seed

SNAPSHOT = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="0" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)


@pytest.mark.parametrize(
    ("status", "prefer", "expected"),
    [
        (400, None, (10400, "HTTP_BadRequest")),
        (404, None, (10404, "HTTP_URLNotFound")),  # 10000 + status wins among two 404 entries
        (404, "ResourceNotFound", (10424, "HTTP_ResourceNotFound")),
        (500, None, (10500, "HTTP_InternalServerError")),  # not 10502 Unreachable
        (503, None, (10503, "HTTP_ServiceUnavailable")),
        (422, None, (10503, "HTTP_BadState")),  # the page's only 422 in the HTTP section
        (405, None, (10405, "HTTP_MethodNotAllowed")),  # undocumented: 10000 + status
        (415, None, (10415, "HTTP_UnsupportedMediaType")),
    ],
)
def test_http_error_identity(status, prefer, expected):
    assert http_error_identity(SNAPSHOT, status, prefer) == expected


@pytest.mark.parametrize("status", sorted(EXAMPLE_IDENTITIES))
def test_documentation_examples_agree_with_the_rule(status):
    prefer = "ResourceNotFound" if status == 404 else None
    assert EXAMPLE_IDENTITIES[status] == http_error_identity(SNAPSHOT, status, prefer)
