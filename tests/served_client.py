"""A TestClient that keeps the application it serves: TestClient wraps any ASGI application
that is not a Litestar app (errcat's is ``app.api.front.Front``), so ``client.app`` is not it."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from app.api.front import Front


class ServedClient(TestClient):  # type: ignore[type-arg]
    def __init__(self, app: Front, **kwargs: Any) -> None:
        super().__init__(app=app, **kwargs)
        self.front = app
