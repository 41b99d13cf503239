"""Quoting values a client sent inside errcat's messages: the one ``quote``."""

from __future__ import annotations

import json


def quote(value: str, limit: int = 40, *, as_json: bool = False, mark_cut: bool = True) -> str:
    """A client's value, cut to ``limit`` characters and escaped, safe to put in a message.

    ``repr`` style by default (request parameters: ``'abc'``); ``as_json`` writes a JSON string
    literal instead (the envelope validator's messages speak of JSON values). A cut value ends
    in ``…`` unless ``mark_cut`` is off.
    """
    cut = value[:limit]
    text = json.dumps(cut, ensure_ascii=True) if as_json else repr(cut)
    return text + ("…" if mark_cut and len(value) > limit else "")
