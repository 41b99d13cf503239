"""The decoder's scanners over adversarial text: every pattern runs on RE2, over bytes, and each
scan makes a bounded number of calls into the engine, each of them linear in the text.

Work is counted, never timed: a backtracking engine held the process for over a minute on
`status` followed by 64 KiB of spaces, which no count of calls into RE2 can do.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import re2

from app.catalogue import decode, extract, extract_fields, extract_text
from app.catalogue.build import build_snapshot
from app.catalogue.extract import MAX_INPUT_BYTES, balanced_end
from app.catalogue.extract_fields import as_int, as_slug
from app.catalogue.extract_text import MAX_MATCHES, salvage, scan_status, scan_text
from app.catalogue.linear import LinearPattern, utf8
from app.catalogue.model import CatalogueVersion
from app.observations import decode_batch
from app.seeds import load_seed

SNAP = build_snapshot(
    load_seed(),
    CatalogueVersion(revision=1, content_hash="x" * 64, loaded_at="2026-01-01T00:00:00+00:00"),
)
DECODER = [extract, extract_fields, extract_text, decode]

KEYWORDS = [
    "status",
    "Status Code",
    "status_code",
    "code",
    "error code",
    "error_code",
    "HTTP",
    "HTTP/1.1",
    "HTTP status",
    "Error code:",
    '"code":',
    "'status':",
    '{"code": ',
    "{",
    "Ab_",
]
RUNS = [" ", "\t", "9", '"', "'", "[", "{", ":", "="]


def adversarial(keyword: str, run: str, tail: str = "x") -> str:
    """A keyword, then a run of one character, then ``tail``: MAX_INPUT_BYTES in all."""
    return keyword + run * (MAX_INPUT_BYTES - len(keyword) - len(tail)) + tail


SHAPES = [adversarial(k, r) for k in KEYWORDS for r in RUNS]

SCANNERS: dict[str, Callable[[str], Any]] = {
    "scan_text": scan_text,
    "scan_status": lambda body: scan_status(utf8(body)),
    "salvage": lambda body: salvage(utf8(body)),
    "balanced_end": lambda body: balanced_end(utf8("{" + body), 0),
    "as_int": as_int,
    "as_slug": as_slug,
    "extract": extract.extract,
    "observations": lambda body: decode_batch(SNAP, [body]),
}


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """The type of the text of every call into RE2 made through a LinearPattern (each match a
    finditer yields, and the one that finds no more, is one call)."""
    calls: list[type] = []

    def counted(name: str) -> Callable[..., Any]:
        original = getattr(LinearPattern, name)
        if name == "finditer":

            def each(self: LinearPattern, text: bytes, pos: int = 0) -> Iterator[Any]:
                for found in original(self, text, pos):
                    calls.append(type(text))
                    yield found
                calls.append(type(text))

            return each

        def once(self: LinearPattern, text: bytes, *args: int) -> Any:
            calls.append(type(text))
            return original(self, text, *args)

        return once

    for name in ("search", "match", "fullmatch", "finditer"):
        monkeypatch.setattr(LinearPattern, name, counted(name))
    return calls


def test_the_decoder_imports_no_backtracking_engine() -> None:
    for module in DECODER:
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not imported & {"re", "regex"}, module.__name__
        assert not [v for v in vars(module).values() if isinstance(v, re.Pattern)]
    for module in (extract, extract_fields, extract_text):
        assert any(isinstance(v, LinearPattern) for v in vars(module).values())


def test_a_pattern_re2_cannot_run_in_linear_time_does_not_compile() -> None:
    with pytest.raises(re2.error):
        LinearPattern(r"code ([0-9]+)(?![0-9])")
    with pytest.raises(re2.error):
        LinearPattern(r"(['\"])code\1")


@pytest.mark.parametrize("scanner", SCANNERS, ids=str)
def test_each_scanner_makes_a_few_engine_calls_over_bytes_on_adversarial_shapes(
    scanner: str, engine_calls: list[type]
) -> None:
    most = 0
    for body in SHAPES:
        engine_calls.clear()
        SCANNERS[scanner](body)
        assert set(engine_calls) <= {bytes}, "a str is encoded again on every call into RE2"
        most = max(most, len(engine_calls))
    assert most <= 10


@pytest.mark.parametrize(
    "body",
    [
        "status code 404 " * 4096,
        '{"code": x, "status": y, ' * 2600,
        "MAX_SIZE " * 7000,
        "Error code: 404 - " * 3600,
        "code 1 " * 9000,
    ],
    ids=["status words", "salvaged keys", "slug-shaped words", "error code lines", "codes"],
)
def test_text_made_of_keywords_is_looked_at_in_a_bounded_number_of_places(
    body: str, engine_calls: list[type]
) -> None:
    extract.extract(body[:MAX_INPUT_BYTES])
    assert len(engine_calls) <= 4 * MAX_MATCHES + 10


def test_long_runs_between_a_keyword_and_its_value_are_still_read() -> None:
    spaces = adversarial("status", " ", "404 Not Found")
    assert scan_text(spaces).fields.status == 404
    tabs = adversarial("error code", "\t", "1803")
    assert scan_text(tabs).fields.code == 1803
    key = adversarial('{"message": "m", "code":', " ", "2401")
    assert extract.extract(key).fields.code == 2401
    nothing = [scan_text(adversarial(k, r)).fields for k in ("status", "code") for r in RUNS]
    assert {(f.status, f.code) for f in nothing} == {(None, None)}


def test_a_number_one_digit_too_long_is_no_code_or_status() -> None:
    assert scan_text("code " + "1" * 18).fields.code == int("1" * 18)
    assert scan_text("code " + "1" * 19).fields.code is None
    assert scan_text("status 4041").fields.status is None
    assert extract.extract('{"code": ' + "1" * 19).fields.code is None


def test_statuses_found_past_the_limit_still_keep_their_numbers_from_being_codes() -> None:
    body = "status code 404, " * (MAX_MATCHES + 20)
    fields = scan_text(body).fields
    assert (fields.status, fields.code) == (404, None)


def test_slug_shaped_words_past_the_limit_are_not_read() -> None:
    before = "MAX_SIZE " * (MAX_MATCHES - 1)
    assert scan_text(before + "Tool_ToolNotFound").slug_candidates == ("Tool_ToolNotFound",)
    assert scan_text(before + "MAX_SIZE Tool_ToolNotFound").slug_candidates == ()


def test_words_are_delimited_by_ascii_and_only_ascii_digits_are_numbers() -> None:
    # RE2's \b is ASCII: a keyword or slug right next to CJK text (no spaces) is read.
    assert scan_text("エラーcode 1803が発生").fields.code == 1803
    assert scan_text("ステータスstatus 404").fields.status == 404
    assert scan_text("HTTP_TooManyRequestsが発生しました").slug_candidates == (
        "HTTP_TooManyRequests",
    )
    # Digits are [0-9] only, everywhere.
    assert scan_text("code ١٨٠٣").fields.code is None
    assert scan_text("status ٤٠٤").fields.status is None
    assert extract.extract('{"code": "١٨٠٣"}').fields.code is None


def test_text_outside_ascii_is_matched_and_cut_on_whole_characters() -> None:
    report = scan_text("Tool_ToolNotFound: l'outil « é » est introuvable")
    assert report.fields.message == "l'outil « é » est introuvable"
    salvaged = extract.extract('{"message": "' + "é" * 1500)  # characters, not bytes
    assert salvaged.fields.message == "é" * 1000


def test_a_lone_surrogate_in_a_printed_dict_or_a_salvaged_string_is_replaced() -> None:
    # ast.literal_eval and json.loads turn '\ud800' into a lone surrogate, which UTF-8 cannot
    # encode: the report could not be sent.
    printed = extract.extract("{'error': 'Tool_ToolNotFound: gone \\ud800'}")
    assert printed.fields.message == "Tool_ToolNotFound: gone \ufffd"
    assert printed.slug_candidates == ("Tool_ToolNotFound",)
    salvaged = extract.extract('x {"code": 1201, "message": "\\ud800!", "at": f()}').fields
    assert (salvaged.code, salvaged.message) == (1201, "\ufffd!")
    paired = extract.extract("{'error': '\\ud83d\\ude00'}").fields
    assert paired.message == "\U0001f600"


def test_objects_nest_as_deep_as_the_limit_inside_text() -> None:
    depth = extract.MAX_OBJECT_DEPTH
    deep = "x " + '{"code": 2401, "n": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    assert extract.extract(deep).shape == "embedded_json"
    too_deep = "x " + '{"code": 2401, "n": ' + "[" * depth + "]" * depth + "}"
    assert extract.extract(too_deep).shape == "truncated"
    assert extract.extract(too_deep).fields.code == 2401


def literal_items_parsed(monkeypatch, text: str) -> int:
    """The separators handed to ``ast.literal_eval`` while ``text`` is extracted."""
    parsed: list[str] = []
    literal_eval = ast.literal_eval

    def counting(source: str) -> Any:
        parsed.append(source)
        return literal_eval(source)

    monkeypatch.setattr(extract.ast, "literal_eval", counting)
    extract.extract(text)
    return sum(s.count(",") + s.count(":") for s in parsed)


def test_python_literal_parsing_is_bounded_per_decode(monkeypatch):
    # Tiny items cost literal_eval per token: four 16K-character sets of ones took 220 ms.
    tiny = "{" + ",".join(["1"] * 8000) + "} "
    crafted = (tiny * 8)[:MAX_INPUT_BYTES]
    assert literal_items_parsed(monkeypatch, crafted) <= extract.MAX_REPR_ITEMS
    many_small = ("{" + ",".join(["1"] * 300) + "} ") * 8
    assert literal_items_parsed(monkeypatch, many_small) <= extract.MAX_REPR_ITEMS


def test_an_ordinary_python_repr_is_still_parsed(monkeypatch):
    text = "failed: {'error': {'code': 1205, 'status': 422, 'message': 'a, b: c'}}"
    assert literal_items_parsed(monkeypatch, text) > 0
    assert extract.extract(text).shape == "embedded_python_repr"
