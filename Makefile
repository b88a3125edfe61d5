# The two commands of the README, and a few for working on Candor. Both create .venv on first use, so a fresh
# machine with only Python 3.11+ needs nothing else.
#
#   make demo        serve a demo registry at http://127.0.0.1:8000; PORT=8080 picks another port
#   make test        lint, then the whole suite in parallel; ARGS="-k publish -x" passes options to pytest
#   make test-fast   the suite without slow, PostgreSQL and browser tests, no lint: for the edit-test loop
#   make lint        ruff, ruff format --check, mypy and the import-layering contracts (lint-imports)
#   make fmt         format and auto-fix what ruff can
#   make bench       print the CLI start-up and check figures (benchmarks/; BENCHMARKS="cli tlog" picks others)
#   make clean       remove .venv and caches; never candor-data, which holds a registry's signing key
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra pytest options, e.g. make test ARGS="tests/cli -x".
ARGS ?=
# The demo's port: make demo PORT=8080.
PORT ?= 8000
# Parallel workers: "auto" is one per CPU. --dist loadgroup keeps the browser tests (one shared demo registry
# and Chromium, see tests/conftest.py) on one worker and spreads everything else test by test.
WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadgroup --durations=25
FAST := -m "not slow and not postgres and not browser"
BENCHMARKS ?= cli check

.PHONY: demo test test-fast lint fmt bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files so that a changed pyproject.toml reinstalls, and an unchanged one does not.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/candor demo --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: lint
	$(PYTEST) $(ARGS)

test-fast: $(VENV)/.installed-dev
	$(PYTEST) $(FAST) $(ARGS)

bench: $(VENV)/.installed-dev
	@for name in $(BENCHMARKS); do echo "== benchmarks/$$name.py"; $(BIN)/python benchmarks/$$name.py || exit 1; done

# candor-data is not removed: it is where `candor db upgrade` puts a registry, with the log's signing key.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis test-artifacts
