"""The layers: the core, the live catalogue, the store and observability know nothing of app.api;
the core knows nothing of HTTP or SQL at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

BELOW_THE_API = [
    *sorted((APP / "catalogue").glob("*.py")),
    APP / "live.py",
    APP / "db" / "store.py",
    APP / "observability.py",
    APP / "revisions.py",
    APP / "requestid.py",
    APP / "error_envelope.py",
    APP / "seeding.py",
]
CORE = sorted((APP / "catalogue").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import: resolve it against the file's package
                package = path.relative_to(APP.parent).with_suffix("").parts[: -node.level]
                base = ".".join(package)
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_walk_sees_imports() -> None:
    # The check below means something only if the walk finds what a router plainly imports.
    assert "app.api.common" in imported_modules(APP / "api" / "codes.py")
    assert "app.catalogue.errors" in imported_modules(APP / "live.py")


@pytest.mark.parametrize("path", BELOW_THE_API, ids=lambda p: str(p.relative_to(APP)))
def test_imports_nothing_from_the_api(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if m == "app.api" or m.startswith("app.api."))
    assert bad == [], f"{path.relative_to(APP)} imports {bad}"


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_knows_no_http_or_sql(path: Path) -> None:
    outside = ("litestar", "sqlalchemy", "app.db", "app.live", "app.settings", "app.observability")
    bad = sorted(
        m for m in imported_modules(path) if any(m == o or m.startswith(o + ".") for o in outside)
    )
    assert bad == [], f"{path.name} imports {bad}"
