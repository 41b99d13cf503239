"""The benchmark's adversarial decode row: POST /decode of 64 KiB bodies built to make a
backtracking regex engine quadratic, against POST /decode of a plain 64 KiB body, both on the same
errcat server in the same run (scripts/bench.py alternates them).

Each adversarial body is a keyword the decoder looks for, then a 64 KiB run of one character
(spaces, tabs, digits, quotes, brackets, colons), then a character that makes the match fail: on
Python's `re`, `status` then 32 KiB of spaces took 18 s. The plain body is log lines of ordinary
words, decoded as free text like the others. Target: the adversarial bodies' req/s at least a
third of the plain body's (at most 3x slower).
"""

from __future__ import annotations

from pathlib import Path

CASE = "POST /decode, adversarial 64 KiB bodies (each in turn)"
REFERENCE = "the same, a plain 64 KiB body"
BODY_BYTES = 64 * 1024  # the decoder's limit (app.catalogue.extract.MAX_INPUT_BYTES)
KEYWORDS = ("status", "status code", "code", "error code", "HTTP", "Error code:", '{"code":', "{")
RUNS = (" ", "\t", "9", '"', "'", "[", "{", ":")
_LONG_BRACKET = "=" * 8  # Lua's [========[ ... ]========]: no body holds its closing form


def adversarial_bodies() -> list[str]:
    tail = "x"
    return [k + r * (BODY_BYTES - len(k) - len(tail)) + tail for k in KEYWORDS for r in RUNS]


def plain_body() -> str:
    line = "2026-12-05T10:00:00Z worker-3 retried the upstream request after a slow reply\n"
    return (line * (BODY_BYTES // len(line) + 1))[:BODY_BYTES]


def _script(work: Path, name: str, bodies: list[str]) -> Path:
    """A wrk script posting ``bodies`` to /decode as text/plain, one per request, in turn."""
    close = f"]{_LONG_BRACKET}]"
    assert not any(close in body for body in bodies)
    quoted = ",\n".join(f"[{_LONG_BRACKET}[{body}{close}" for body in bodies)
    path = work / f"{name}.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "text/plain"\n'
        f"bodies = {{\n{quoted}\n}}\n"
        "i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format(nil, "/decode", nil, bodies[i])\n'
        "end\n"
    )
    return path


def scripts(work: Path) -> tuple[Path, Path]:
    """The wrk scripts of the row: the adversarial bodies, and the plain body (its reference)."""
    return (
        _script(work, "decode-adversarial", adversarial_bodies()),
        _script(work, "decode-plain", [plain_body()]),
    )
