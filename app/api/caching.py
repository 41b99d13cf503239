"""Validators of the catalogue routes: ETag from the catalogue version, If-None-Match matching.

Every answer of a route marked ``CACHEABLE`` is a function of the loaded catalogue alone, so the
catalogue's version is a valid (weak) validator for all of them; the head builder
(``app.api.front``) turns a 200 answer to a request whose If-None-Match matches into a 304 with
no body. ``no-cache`` lets dashboards keep
answers but makes them revalidate, so a new revision is seen at once.
"""

from __future__ import annotations

from app.catalogue.model import Snapshot

CACHE_CONTROL = b"public, no-cache"
BODY_HEADERS = (b"content-length", b"content-type")


def matches_if_none_match(if_none_match: bytes, etag: bytes) -> bool:
    if if_none_match.strip() == b"*":
        return True
    opaque = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == opaque for tag in if_none_match.split(b","))


def etag_of(snap: Snapshot) -> bytes:
    """The snapshot's weak validator: its revision and the start of its content hash (memoised
    per snapshot by ``LiveCatalogue.derived``)."""
    version = snap.version
    return f'W/"{version.revision}-{version.content_hash[:16]}"'.encode()


def html_etag(etag: bytes) -> bytes:
    """The validator of a negotiated route's HTML page: the JSON answer's with ``-html``, so a
    cache revalidating one representation is never handed the other (RFC 9110 8.8.3)."""
    return etag[:-1] + b'-html"'
