"""Several processes at once: concurrent migrations and seeds must not race."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
