"""Helpers the export tests share: snapshots without a database, and the TypeScript compiler."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.catalogue.build import build_snapshot
from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
    SectionDoc,
    Snapshot,
)
from app.seeds import DEFAULT_SEED_PATH, load_seed

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "seeds" / "source" / "composio-error-codes.txt"
LOCAL_TSC = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "tsc"


def seed_snapshot(
    revision: int = 7, content_hash: str = "0f" * 32, loaded_at: str = "x"
) -> Snapshot:
    version = CatalogueVersion(revision=revision, content_hash=content_hash, loaded_at=loaded_at)
    return build_snapshot(load_seed(DEFAULT_SEED_PATH), version)


def small_snapshot(sections: list[SectionDoc], *, source: str = "A small page") -> Snapshot:
    doc = CatalogueDocument(
        source=source,
        envelope=(EnvelopeFieldDoc(name="message", type="string", required=True, example="m"),),
        ranges=(DeclaredRange(start=100, end=199, label="Alpha"),),
        sections=tuple(sections),
        error_types=(ErrorTypeDoc(type="json_decode", description="JSON decoding error"),),
    )
    return build_snapshot(doc, CatalogueVersion(revision=3, content_hash="ab" * 32, loaded_at="y"))


def section(name: str, *rows: tuple[int, str, int, str], namespace: str = "platform") -> SectionDoc:
    return SectionDoc(
        namespace=namespace,  # type: ignore[arg-type]
        name=name,
        heading=f"{name} Errors",
        range_start=None,
        range_end=None,
        rows=tuple(CodeRow(code=c, name=n, status=s, description=d) for c, n, s, d in rows),
    )


def _required_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(path: Path | None, name: str, how: str) -> str:
    """The tool's path; missing, it fails the test in CI (CI=true) and skips it elsewhere."""
    found = str(path) if path is not None and path.exists() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed ({how})"
        if _required_in_ci():
            pytest.fail(message + "; CI requires it")
        pytest.skip(message)
    return found


def tsc() -> str:
    return require_tool(LOCAL_TSC, "tsc", "npm ci --prefix .ci/node installs it; .ci/run does")


def node() -> str:
    return require_tool(None, "node", "Node.js runs the compiled TypeScript module")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
