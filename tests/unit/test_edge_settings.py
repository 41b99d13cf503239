"""The edge limits: read from the environment, refused when out of range, handed to uvicorn;
and what the edge (app/server.py) takes from uvicorn is what docs/architecture.md lists."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap
import tomllib
from pathlib import Path

import pytest
import uvicorn
from packaging.requirements import Requirement
from packaging.version import Version
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

from app.catalogue.errors import InvalidFilter
from app.catalogue.query import parse_status_filter
from app.server import EdgeLimits, EdgeProtocol, uvicorn_config
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_edge_defaults():
    s = Settings.from_env({})
    assert (s.max_header_bytes, s.max_headers, s.max_connections) == (16_384, 100, 1000)
    assert (s.header_timeout, s.body_timeout, s.keepalive_timeout) == (10.0, 30.0, 5.0)
    assert s.graceful_shutdown == 5.0


def test_edge_settings_from_the_environment_reach_uvicorn():
    s = Settings.from_env(
        {
            "MAX_HEADER_BYTES": "8192",
            "MAX_HEADERS": "50",
            "HEADER_TIMEOUT": "2.5",
            "BODY_TIMEOUT": "7",
            "KEEPALIVE_TIMEOUT": "3",
            "MAX_CONNECTIONS": "64",
            "GRACEFUL_SHUTDOWN_SECONDS": "4",
        }
    )
    config = uvicorn_config(s)
    assert config.edge_limits == EdgeLimits(8192, 50, 2.5, 7.0, 64)
    assert config.http is EdgeProtocol and config.ws == "none"
    assert (config.server_header, config.timeout_keep_alive) == (False, 3.0)
    assert config.timeout_graceful_shutdown == 4.0


@pytest.mark.parametrize(
    "env",
    [
        {"MAX_HEADER_BYTES": "100"},
        {"MAX_HEADER_BYTES": "16k"},
        {"MAX_HEADERS": "0"},
        {"HEADER_TIMEOUT": "-1"},
        {"MAX_CONNECTIONS": "0"},
        {"GRACEFUL_SHUTDOWN_SECONDS": "soon"},
    ],
)
def test_bad_edge_settings_are_refused(env):
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("404", (404, 404)), ("4xx", (400, 499)), (" 5XX\t", (500, 599)), ("100", (100, 100))],
)
def test_status_filter_forms(raw, expected):
    assert parse_status_filter(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "\u0664\u0660\u0664",
        "\uff14\uff10\uff14",
        "\x1c404",
        "404\x1f",
        "\u2003404",
        "600",
        "099",
        "6xx",
        "4x",
        "",
    ],
)
def test_status_filter_refuses_non_ascii_and_control_characters(raw):
    with pytest.raises(InvalidFilter):
        parse_status_filter(raw)


# --- what the edge takes from uvicorn is what docs/architecture.md lists -------------------

SERVER = ROOT / "app" / "server.py"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
EDGE_SECTION = "## The server edge (app/server.py)"
# uvicorn's classes whose members app/server.py may use, and the expressions naming them there.
UVICORN_CLASSES: dict[str, type] = {
    "HttpToolsProtocol": HttpToolsProtocol,
    "RequestResponseCycle": RequestResponseCycle,
    "ServerState": ServerState,
    "FlowControl": FlowControl,
    "Config": uvicorn.Config,
    "Server": uvicorn.Server,
    "Multiprocess": Multiprocess,
}
RECEIVERS = {
    "self.cycle": "RequestResponseCycle",
    "cycle": "RequestResponseCycle",
    "queued": "RequestResponseCycle",
    "self.server_state": "ServerState",
    "self.flow": "FlowControl",
    "config": "Config",
    "server": "Server",
}
# A subclass's own self and super() are the uvicorn class it extends.
SUBCLASSES = {"EdgeProtocol": "HttpToolsProtocol", "EdgeConfig": "Config"}
ASYNCIO_PROTOCOL = {name for name in dir(asyncio.Protocol) if not name.startswith("_")}


def members(cls: type) -> set[str]:
    """A class's methods and attributes, those its methods assign to self included."""
    names = {name for name in dir(cls) if name not in dir(object)} | {"__init__"}
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls)))):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
            names.add(node.attr)
    return names


def uvicorn_members_used(tree: ast.Module) -> set[str]:
    """``Class.member`` for every member of a uvicorn class that server.py reads, assigns,
    calls or overrides, public asyncio.Protocol methods apart."""
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, own: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, SUBCLASSES.get(child.name))
                continue
            if own and isinstance(child, ast.FunctionDef) and isinstance(node, ast.ClassDef):
                found.add((own, child.name))  # an override
            if isinstance(child, ast.Attribute):
                receiver = ast.unparse(child.value)
                if own and receiver in ("self", "super()"):
                    found.add((own, child.attr))
                elif receiver in RECEIVERS:
                    found.add((RECEIVERS[receiver], child.attr))
                elif receiver.startswith("Multiprocess("):
                    found.add(("Multiprocess", child.attr))
            visit(child, own)

    visit(tree, None)
    return {
        f"{cls}.{name}"
        for cls, name in found
        if name in members(UVICORN_CLASSES[cls])
        and not (cls == "HttpToolsProtocol" and name in ASYNCIO_PROTOCOL)
    }


def uvicorn_names_imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "uvicorn":
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Attribute) and ast.unparse(node.value) == "uvicorn":
            names.add(f"uvicorn.{node.attr}")
    return names


def edge_section_lists() -> tuple[set[str], set[str]]:
    """(members, imported names): the first cell of each table row of the edge's section."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split(EDGE_SECTION, 1)[1].split("\n## ", 1)[0]
    cells = set(re.findall(r"^\| `([\w.]+)` \|", section, flags=re.MULTILINE))
    imported = {cell for cell in cells if cell.startswith("uvicorn.")}
    return cells - imported, imported


def test_every_uvicorn_member_and_name_the_edge_uses_is_listed_in_the_architecture():
    tree = ast.parse(SERVER.read_text(encoding="utf-8"))
    listed_members, listed_imports = edge_section_lists()
    assert uvicorn_members_used(tree) == listed_members
    assert uvicorn_names_imported(tree) == listed_imports


def test_the_edge_uses_no_private_uvicorn_member_and_copies_none_of_its_parsing():
    tree = ast.parse(SERVER.read_text(encoding="utf-8"))
    used = uvicorn_members_used(tree)
    assert not {m for m in used if m.split(".")[1].startswith("_") and not m.endswith(".__init__")}
    assert not {n for n in uvicorn_names_imported(tree) if "._" in n}
    # Bytes reach the parser through uvicorn's data_received, never fed here directly.
    protocol = next(
        n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "EdgeProtocol"
    )
    calls = {ast.unparse(n.func) for n in ast.walk(protocol) if isinstance(n, ast.Call)}
    assert "super().data_received" in calls
    assert not {call for call in calls if call.endswith("feed_data")}


def test_only_the_edge_imports_uvicorn():
    importers = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                modules.append(getattr(node, "module", None) or "")
                if any(m.split(".")[0] == "uvicorn" for m in modules):
                    importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"app/server.py"}


def test_uvicorn_is_capped_at_the_minor_the_suite_runs_on():
    # The locked version (make test; make test-lowest runs the floor, below the cap anyway).
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    (locked,) = [Version(p["version"]) for p in lock["package"] if p["name"] == "uvicorn"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (requirement,) = [
        Requirement(line) for line in project["dependencies"] if line.startswith("uvicorn")
    ]
    caps = [Version(s.version) for s in requirement.specifier if s.operator == "<"]
    assert caps == [Version(f"{locked.major}.{locked.minor + 1}")]
    assert f"uvicorn {locked.major}.{locked.minor}" in ARCHITECTURE.read_text(encoding="utf-8")
