"""The hostile tests' database: the page seeded into SQLite once per module (the server process
under test is what these tests are about, not the backend)."""

from __future__ import annotations

import pytest

from tests.conftest import Database


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = Database("sqlite", tmp_path_factory.mktemp("hostile"))
    database.migrate_and_seed()
    yield database
    database.close()
