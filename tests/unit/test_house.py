"""The rules of the house, as README.md's Layout section states them: no import cycle in app/
(imports inside functions and under TYPE_CHECKING count), no private name imported from another
module, no module over 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def imports_of(name: str) -> Iterator[tuple[str, str | None, int]]:
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source_text: str, package: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported app module, name taken from it or None, line) for every import statement of a
    module, at any depth: inside functions, under TYPE_CHECKING, in try blocks."""
    for node in ast.walk(ast.parse(source_text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:  # `from app.catalogue import query`
                    yield f"{source}.{alias.name}", None, node.lineno
                elif source in MODULES:
                    yield source, alias.name, node.lineno


def import_graph() -> dict[str, set[str]]:
    return {name: {target for target, _, _ in imports_of(name)} - {name} for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


HIDDEN_IMPORTS = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from app.catalogue.query import Snapshot
def later() -> None:
    from . import diff_model
    import app.live
    from ..settings import _private
"""


def test_the_checker_sees_imports_inside_functions_and_under_type_checking() -> None:
    assert sorted(imports_in(HIDDEN_IMPORTS, "app.catalogue")) == [
        ("app.catalogue.diff_model", None, 6),
        ("app.catalogue.query", "Snapshot", 4),
        ("app.live", None, 7),
        ("app.settings", "_private", 8),
    ]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_name_imported_from_another_module() -> None:
    private = [
        f"{name}:{line} imports {imported} from {source}"
        for name in MODULES
        for source, imported, line in imports_of(name)
        if imported is not None and is_private(imported) and source != name
    ]
    assert private == []


def test_no_module_over_400_lines() -> None:
    long = {
        f"{path.relative_to(ROOT)}": lines
        for path in MODULES.values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


# Python's `re` backtracks; over text a client sent, errcat uses RE2 (app.catalogue.linear) or
# plain str/bytes methods. These modules keep `re`, each over text that is not a client's or
# with a pattern whose quantified runs cannot overlap.
BACKTRACKING_RE_ALLOWED = {
    "app.api.openapi": "route paths of errcat's own OpenAPI document",
    "app.api.query_check": "errcat's own route templates",
    "app.settings": "msgspec's message about an environment variable",
    "app.catalogue.page": "the vendor's page, read when seeding",
    "app.catalogue.constants": "the catalogue's own names, for the constants exports",
    "app.catalogue.query": "the HTTP section's own reason phrases",
    "app.catalogue.jsondoc": "msgspec's own message; `\"\\s*:`, whose one run follows a quote",
}


def test_backtracking_regular_expressions_stay_off_client_text():
    users = {
        name
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (isinstance(node, ast.Import) and any(alias.name == "re" for alias in node.names))
        or (isinstance(node, ast.ImportFrom) and node.module == "re")
    }
    assert users <= set(BACKTRACKING_RE_ALLOWED), sorted(users - set(BACKTRACKING_RE_ALLOWED))
