"""Which answer an Accept header gets from the negotiated routes: HTML only when it ranks
text/html strictly above application/json."""

from __future__ import annotations

import pytest

from app.api.pages import prefers_html


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/html", False),  # a tie: JSON
        ("text/html, application/json", False),  # a tie, whatever the order
        ("text/html;q=0, */*", False),  # HTML refused outright
        ("text/plain", False),  # neither: the JSON handler answers as before
        ("text/html", True),
        ("TEXT/HTML", True),
        ("text/*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/json;q=0.5, text/html", True),
        ("application/json;q=0, text/html;q=0.1", True),
        ("*/*;q=0.9, text/html", True),
    ],
)
def test_prefers_html(accept, html):
    headers = [(b"host", b"x")] + ([(b"accept", accept.encode())] if accept else [])
    assert prefers_html(headers) is html
