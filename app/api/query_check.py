"""Unknown query parameters: a 400 in the envelope naming them and the accepted ones.

One mechanism for every API route (those in the OpenAPI document): the query string's names are
compared with the parameters the route handler declares, by their public names (``from`` for
``start``). The accepted set is worked out once per handler and kept. Pages for people (routes
outside the document, and a browser's request for a negotiated page) are not checked: links
carry tracking parameters and a page should not refuse them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.params import BodyKwarg, DependencyKwarg, ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from app.api.errors import CatalogueError
from app.api.pages import prefers_html
from app.catalogue.text import quote

# Handler arguments Litestar fills from the connection itself, never from the query string.
_RESERVED = frozenset(
    {"request", "socket", "scope", "state", "headers", "cookies", "query", "body", "data"}
)
_PATH_PARAMETER = re.compile(r"{(\w+)")
MAX_NAMED = 10  # unknown names quoted in one answer


def accepted_query(handler: Any) -> frozenset[str] | None:
    """The public names of the query parameters a handler declares; None: not checked (the
    handler reads the whole query string itself, or is not part of the API)."""
    if not handler.resolve_include_in_schema():
        return None
    parameters = handler.parsed_fn_signature.parameters
    if "query" in parameters:
        return None
    in_path = {name for path in handler.paths for name in _PATH_PARAMETER.findall(path)}
    names = set()
    for name, parameter in parameters.items():
        if name in _RESERVED or name in in_path:
            continue
        kwarg = parameter.kwarg_definition
        if isinstance(kwarg, BodyKwarg | DependencyKwarg):
            continue
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.header or kwarg.cookie:
                continue
            name = kwarg.query or getattr(kwarg, "name", None) or name
        names.add(name)
    return frozenset(names)


def unknown_parameters(query_string: bytes, accepted: frozenset[str]) -> list[str]:
    """The names in ``query_string`` that are not ``accepted``, each once, in order."""
    if not query_string:
        return []
    names = dict.fromkeys(
        name
        for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if name not in accepted
    )
    return list(names)


def unknown_parameters_error(
    method: str, path: str, unknown: list[str], accepted: frozenset[str]
) -> CatalogueError:
    listed = ", ".join(sorted(accepted)) or "none"
    plural = "s" if len(unknown) > 1 else ""
    named = ", ".join(quote(name) for name in unknown[:MAX_NAMED])
    if len(unknown) > MAX_NAMED:
        named += f" and {len(unknown) - MAX_NAMED} more"
    return CatalogueError(
        400,
        f"Unknown query parameter{plural} {named}",
        errors=[f"query parameter {quote(name)}: not accepted" for name in unknown[:MAX_NAMED]]
        + [f"accepted query parameters of {method} {path}: {listed}"],
        suggested_fix=f"Remove or correct the parameter{plural}; this route accepts: {listed}.",
    )


class UnknownQueryMiddleware:
    """Refuses a request whose query string names a parameter its route does not declare."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.accepted: dict[int, frozenset[str] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query_string = scope.get("query_string", b"")
        handler = scope.get("route_handler")
        if query_string and scope["type"] == ScopeType.HTTP and handler is not None:
            key = id(handler)
            if key not in self.accepted:
                self.accepted[key] = accepted_query(handler)
            accepted = self.accepted[key]
            if accepted is not None and not prefers_html(scope["headers"]):
                unknown = unknown_parameters(query_string, accepted)
                if unknown:
                    template = next(iter(handler.paths))
                    path = re.sub(r"{(\w+):\w+}", r"{\1}", template)
                    raise unknown_parameters_error(scope["method"], path, unknown, accepted)
        await self.app(scope, receive, send)
