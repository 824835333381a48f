# changebot: `make run` starts the product, `make test` runs the suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test-postgres install run ingest test test-fast lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# torch is pinned in pyproject.toml (CPU build); an unpinned one would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/changebot ingest

run: install
	# A file that fails to load is reported but does not stop the product from starting.
	-$(BIN)/changebot ingest
	$(BIN)/changebot serve

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

# The suite again on PostgreSQL, each test on a fresh database (CHANGEBOT_TEST_POSTGRES names the server).
test-postgres: install
	CHANGEBOT_TEST_POSTGRES=$${CHANGEBOT_TEST_POSTGRES:-postgresql+psycopg://postgres@127.0.0.1} $(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
