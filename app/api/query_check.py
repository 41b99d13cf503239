"""Unknown query parameters: a 400 in the envelope naming them and the accepted ones.

One mechanism for every API route (those in the OpenAPI document): the query string's names are
compared with the parameters the route handler declares, by their public names (``from`` for
``start``). The accepted set is worked out once per handler and kept. Pages for people (routes
outside the document, and a browser's request for a negotiated page) are not checked: links
carry tracking parameters and a page should not refuse them.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import parse_qsl

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import BodyKwarg, DependencyKwarg, ParameterKwarg
from litestar.types import Guard, HTTPScope

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


def unknown_query_guard() -> Guard:
    """A guard for every route: refuses a request whose query string names a parameter its
    route does not declare (a guard runs after routing and before any parameter is parsed)."""
    accepted_by_handler: dict[int, frozenset[str] | None] = {}

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        scope = cast("HTTPScope", connection.scope)  # guards run for HTTP routes only here
        query_string = scope["query_string"]
        if not query_string:
            return
        # Litestar hands guards a copy of the handler: the routed one, kept for the app's life,
        # is the stable key.
        key = id(scope.get("route_handler", handler))
        if key not in accepted_by_handler:
            accepted_by_handler[key] = accepted_query(handler)
        accepted = accepted_by_handler[key]
        if accepted is None or prefers_html(scope["headers"]):
            return
        unknown = unknown_parameters(query_string, accepted)
        if unknown:
            template = next(iter(handler.paths))
            path = re.sub(r"{(\w+):\w+}", r"{\1}", template)
            raise unknown_parameters_error(scope["method"], path, unknown, accepted)

    return guard
