"""The request path stays short and fixed: at most four ASGI layers errcat owns in app/ (the
server edge, app/server.py, apart), and docs/architecture.md lists the chain create_app builds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
MAX_LAYERS = 4
ASGI_PARAMETERS = ["scope", "receive", "send"]
MIDDLEWARE_BASES = {"AbstractMiddleware", "MiddlewareProtocol", "ASGIMiddleware"}


def asgi_layers(source_text: str, module: str) -> set[str]:
    """Each class with a method, and each function, taking (scope, receive, send) first, and each
    class deriving from a Litestar middleware base: one name per class or function."""
    found: set[str] = set()

    def takes_asgi(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> bool:
        names = [a.arg for a in node.args.args][1 if method else 0 :]
        return names[:3] == ASGI_PARAMETERS

    tree = ast.parse(source_text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            methods = [
                n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            if bases & MIDDLEWARE_BASES or any(takes_asgi(m, True) for m in methods):
                found.add(f"{module}.{node.name}")
    methods = {
        id(m)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for m in cls.body
        if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and id(node) not in methods
            and takes_asgi(node, False)
        ):
            found.add(f"{module}.{node.name}")
    return found


def layers_in_app() -> set[str]:
    found: set[str] = set()
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "server.py":
            continue  # the server edge counts apart
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found |= asgi_layers(path.read_text(encoding="utf-8"), module)
    return found


SAMPLE = """
class Wrapper:
    async def __call__(self, scope, receive, send): ...
    async def helper(self, scope, receive, send, extra): ...
class Named(AbstractMiddleware):
    pass
async def application(scope, receive, send): ...
def hook(message, scope): ...
class Plain:
    def record(self, scope, status): ...
"""


def test_the_count_sees_classes_functions_and_middleware() -> None:
    assert asgi_layers(SAMPLE, "m") == {"m.Wrapper", "m.Named", "m.application"}


def test_at_most_four_asgi_layers_in_app() -> None:
    layers = layers_in_app()
    assert len(layers) <= MAX_LAYERS, sorted(layers)


def documented_path() -> list[str]:
    """The layers docs/architecture.md lists under "The path", in order: the first name in
    backticks of each numbered line."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The path", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `(\w+)`", section, re.M)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "rate_limit": ("minute", 3),
            "metrics": True,
            "access_log": True,
            "cors_origins": ("https://a.example",),
        },
    ],
    ids=["defaults", "every-option"],
)
def test_the_documented_path_is_what_create_app_builds(overrides) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", **overrides)
    assert create_app(settings).layers() == documented_path()
