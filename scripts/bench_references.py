"""The benchmark's references: what the bare framework does for the same requests.

- ``lookup``: a bare Litestar app answering ``GET /codes/{code}`` with one msgspec Struct from a
  dict holding every code of the catalogue under test (BENCH_SEED names its seed file);
- ``decode``: a bare Litestar app whose ``POST /validate-envelope`` and ``POST /decode`` decode
  the body into a msgspec Struct and answer a small report.

Run by scripts/bench.py as ``uvicorn scripts.bench_references:lookup`` (and ``:decode``) with the
same server settings as errcat; and, to tell what errcat's own HTTP protocol (app.server: the edge
limits, writes coalesced) is worth by itself, as ``python scripts/bench_references.py``: the
``lookup`` app on that protocol, on PORT.
"""

from __future__ import annotations

import os

import msgspec
from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException


class Item(msgspec.Struct):
    code: int
    name: str
    status: int
    description: str


class ErrorBody(msgspec.Struct):
    message: str
    code: int
    status: int
    slug: str | None = None
    request_id: str | None = None
    suggested_fix: str | None = None


class Envelope(msgspec.Struct):
    error: ErrorBody


class Report(msgspec.Struct):
    valid: bool
    code: int
    status: int


def _items() -> dict[int, Item]:
    path = os.environ.get("BENCH_SEED")
    if not path:
        return {1205: Item(1205, "AuthRefreshRequired", 422, "Authentication refresh required")}
    with open(path, "rb") as f:
        doc = msgspec.json.decode(f.read())
    return {
        row["code"]: Item(row["code"], row["name"], row["status"], row["description"])
        for section in doc["sections"]
        for row in section["rows"]
    }


ITEMS = _items()


@get("/codes/{code:int}", sync_to_thread=False)
def one(code: int) -> Item:
    try:
        return ITEMS[code]
    except KeyError:
        raise NotFoundException() from None


@post("/validate-envelope", sync_to_thread=False, status_code=200)
def check(data: Envelope) -> Report:
    return Report(valid=True, code=data.error.code, status=data.error.status)


@post("/decode", sync_to_thread=False, status_code=200)
def decode(data: Envelope) -> Report:
    return Report(valid=True, code=data.error.code, status=data.error.status)


lookup = Litestar([one])
decode_app = Litestar([one, check, decode])


if __name__ == "__main__":
    import uvicorn

    from app.server import EdgeProtocol

    uvicorn.run(
        "scripts.bench_references:lookup",
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        loop="uvloop",
        http=EdgeProtocol,
        access_log=False,
        log_level="warning",
    )
