"""What the observation tables hold, read straight from the database (never through a proxy a
test stalls): the sum every durability test compares with what was acknowledged."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.db.store import make_engine


def stored_observations(url: str) -> int:
    """Every observation the database at ``url`` holds: counted ones and overflow."""

    async def count() -> int:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                query = "SELECT (SELECT COALESCE(SUM(count), 0) FROM observations) + "
                query += "(SELECT COALESCE(SUM(count), 0) FROM observation_overflow)"
                return int((await conn.execute(text(query))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())
