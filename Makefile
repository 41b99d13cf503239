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

.PHONY: run test fuzz lint format bench bench-smoke clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "errcat needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/errcat serve

test: $(STAMP)
	$(BIN)/pytest

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
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python scripts/bench.py

# The same, a few seconds long, into a temporary folder: CI runs it so that it cannot rot.
bench-smoke: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python scripts/bench.py --smoke

clean:
	rm -rf $(VENV) errcat.db errcat.db-wal errcat.db-shm .pytest_cache .ruff_cache
