"""What the container files say about stopping matches what errcat does: the grace period they
state is GRACEFUL_SHUTDOWN_SECONDS's default, and Docker's stop timeout leaves room for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "docker" / "entrypoint.sh", ROOT / "docker-compose.yml"]
DEFAULT_GRACE = Settings().graceful_shutdown


def comment_sentences(path: Path) -> list[str]:
    """The comments of ``path`` joined into one text, split into sentences."""
    text = " ".join(
        line.split("#", 1)[1].strip() for line in path.read_text().splitlines() if "#" in line
    )
    return re.split(r"(?<=\.)\s+", text)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_stated_grace_period_for_in_flight_requests_is_the_default(path):
    stated = [s for s in comment_sentences(path) if "in-flight" in s]
    assert stated, "the file says what happens to in-flight requests"
    for sentence in stated:
        assert "GRACEFUL_SHUTDOWN_SECONDS" in sentence, sentence
        seconds = [float(n) for n in re.findall(r"(\d+(?:\.\d+)?) s\b", sentence)]
        assert seconds == [DEFAULT_GRACE], sentence


def test_compose_passes_the_grace_period_on_and_waits_longer_than_it():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "GRACEFUL_SHUTDOWN_SECONDS: ${GRACEFUL_SHUTDOWN_SECONDS:-}" in compose
    (stop,) = re.findall(r"^\s*stop_grace_period: (\d+)s$", compose, re.MULTILINE)
    assert int(stop) > DEFAULT_GRACE
