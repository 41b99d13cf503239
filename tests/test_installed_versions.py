"""What the suite runs on is what errcat declares: the lock's versions (``make test``), or the
lowest versions pyproject.toml admits for errcat's direct dependencies (``make test-lowest``,
which sets ERRCAT_LOWEST_DIRECT=1). Either way a floor or a lock entry is a tested version."""

from __future__ import annotations

import os
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOWEST_DIRECT = os.environ.get("ERRCAT_LOWEST_DIRECT") == "1"


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return [Requirement(line) for line in declared]


def installed(name: str) -> Version | None:
    try:
        return Version(version(name))
    except PackageNotFoundError:
        return None


def floor(requirement: Requirement) -> Version:
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(floors) == 1, f"{requirement}: one '>=' floor expected"
    return floors[0]


def check_locked_versions() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    # A package may be locked at one version per Python version (resolution markers).
    locked: dict[str, set[Version]] = {}
    for package in lock["package"]:
        if "version" in package:
            locked.setdefault(canonicalize_name(package["name"]), set()).add(
                Version(package["version"])
            )
    compared = 0
    for name, pinned in locked.items():
        found = installed(name)
        if found is not None:
            assert found in pinned, f"{name} {found} is installed, uv.lock pins {sorted(pinned)}"
            compared += 1
    assert compared >= len(direct_requirements())


def check_floors() -> None:
    for requirement in direct_requirements():
        assert installed(requirement.name) == floor(requirement), requirement


def test_installed_versions_are_the_declared_ones():
    for requirement in direct_requirements():
        assert installed(requirement.name) is not None, f"{requirement.name} is not installed"
    if LOWEST_DIRECT:
        check_floors()
    else:
        check_locked_versions()
