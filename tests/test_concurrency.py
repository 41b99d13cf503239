"""Several processes at once: concurrent migrations and seeds must not race."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import msgspec

from app.db import store
from app.seeding import seed_catalogue
from app.seeds import load_seed

ROOT = Path(__file__).resolve().parent.parent


def _run_together(db, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": db.url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", *cmd],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cmd in commands
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(60), *p.communicate()) for p in procs]


def test_replicas_starting_together_migrate_and_seed_once(empty_db):
    migrations = _run_together(empty_db, ["migrate"], ["migrate"], ["migrate"])
    assert [m.returncode for m in migrations] == [0, 0, 0], [m.stderr[-500:] for m in migrations]
    seeds = _run_together(empty_db, ["seed"], ["seed"], ["seed"])
    assert [s.returncode for s in seeds] == [0, 0, 0], [s.stderr[-500:] for s in seeds]
    outputs = sorted(s.stdout.split(":")[0] for s in seeds)
    assert outputs == ["catalogue seeded", "catalogue unchanged", "catalogue unchanged"]


def test_reading_while_reseeding_never_mixes_two_revisions(fresh_db, tmp_path):
    """A replica polling during a reseed must load one whole revision, never a mixture."""
    fresh_db.migrate_and_seed()
    doc = load_seed()
    variants = []
    for n in range(2):
        section = doc.sections[0]
        rows = (
            msgspec.structs.replace(section.rows[0], description=f"variant {n}"),
            *section.rows[1:],
        )
        variants.append(
            msgspec.structs.replace(
                doc, sections=(msgspec.structs.replace(section, rows=rows), *doc.sections[1:])
            )
        )
    stop = threading.Event()

    def reseed() -> None:
        async def run():
            engine = store.make_engine(fresh_db.url)
            try:
                for i in range(30):
                    await seed_catalogue(engine, variants[i % 2])
            finally:
                await engine.dispose()

        try:
            asyncio.run(run())
        finally:
            stop.set()

    async def read_until_stopped() -> list[int]:
        engine = store.make_engine(fresh_db.url)
        counts = []
        try:
            while not stop.is_set():
                found = await store.read_catalogue(engine)  # raises InconsistentRead if mixed
                assert found is not None
                counts.append(sum(len(s.rows) for s in found[0].sections))
        finally:
            await engine.dispose()
        return counts

    writer = threading.Thread(target=reseed)
    writer.start()
    counts = asyncio.run(read_until_stopped())
    writer.join()
    assert counts and set(counts) == {202}
