# errcat: `make run` serves the API on the embedded SQLite default, `make test` runs every test.
# Both create .venv and install the project when needed; nothing else is required but Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The PostgreSQL half of the suite; tests skip it (saying so) when no server answers there,
# except in CI, where they fail.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

.PHONY: run test test-lowest lock fuzz lint format bench bench-smoke clean

# What is installed comes from uv.lock, never from whatever is newest that day: uv (pinned here)
# is installed into the venv by pip (requirements-uv.txt), then syncs the venv to the lock.
# `make lock` updates the lock.
UV := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv
# uv trusts the platform's certificate store, as pip does (its own bundled roots would refuse a
# registry mirror or proxy signed by a local CA).
UV_SYSTEM_CERTS ?= 1
export UV_SYSTEM_CERTS
# --inexact keeps pip and uv themselves, which the lock does not list.
SYNC := $(UV) sync --locked --inexact

$(BIN)/uv: requirements-uv.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "errcat needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-uv.txt
	touch $(BIN)/uv

$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	$(SYNC) --quiet --extra test
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/errcat serve

test: $(STAMP)
	$(BIN)/pytest

# The suite once more at the lowest versions that pyproject.toml admits for errcat's direct
# dependencies (their own dependencies at the newest), in a venv of its own made anew each time
# (installing into an old one would keep what it had): CI runs it besides
# the locked suite, so that a floor in pyproject.toml is a version that was tested.
LOWEST := .venv-lowest
test-lowest: | $(BIN)/uv
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test]'
	ERRCAT_LOWEST_DIRECT=1 $(LOWEST)/bin/pytest -p no:cacheprovider

# Re-resolve uv.lock: every dependency to the newest release that pyproject.toml admits. Commit
# the result once `make test` passes on it.
lock: | $(BIN)/uv
	$(BIN)/uv lock --upgrade

# schemathesis against a live errcat on SQLite and PostgreSQL (scripts/fuzz.py); longer runs:
# make fuzz FUZZ_ARGS='--examples 500'
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py $(FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark (needs wrk: apt-get install wrk); writes docs/benchmark.md and docs/benchmark.png.
bench: $(STAMP)
	$(SYNC) --quiet --extra test --extra bench
	$(BIN)/python scripts/bench.py

# The same, a few seconds long, into a temporary folder: CI runs it so that it cannot rot.
bench-smoke: $(STAMP)
	$(SYNC) --quiet --extra test --extra bench
	$(BIN)/python scripts/bench.py --smoke

clean:
	rm -rf $(VENV) $(LOWEST) errcat.db errcat.db-wal errcat.db-shm .pytest_cache .ruff_cache
