# One entry point for humans and CI. `make run` and `make test` set everything up on a fresh
# machine with only Python 3.11+ (and git, make) installed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PROMPT ?= rotate an object at 90 degrees per second

.PHONY: run demo test lint format bench clean install

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("SPARK needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The web app on http://127.0.0.1:8000 (SQLite and the offline provider unless configured).
run: $(STAMP)
	$(BIN)/spark serve

# One generation from the terminal, written to out/.
demo: $(STAMP)
	$(BIN)/spark generate "$(PROMPT)" -o out/ --force

# One worker per core (pytest-xdist): tests use their own ports, folders and databases.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/validate.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
