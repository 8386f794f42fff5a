# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo test install install-dev serve lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Install, create the SQLite database, load the demo district, serve at http://$(HOST):$(PORT)
demo: install
	$(BIN)/rootcause init
	$(BIN)/rootcause demo --skip-if-present
	$(BIN)/rootcause serve --host $(HOST) --port $(PORT)

## Install dev dependencies and run the whole suite (SQLite and PostgreSQL, unit to browser)
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

serve: install
	$(BIN)/rootcause serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python bench/demo_generation.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
