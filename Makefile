VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

.PHONY: run test lint format migrate bench clean
run: $(VENV)/.installed     ## embedded PostgreSQL, migrations, demo data, API on :8000
	$(VENV)/bin/getmygrapher serve --demo

test: $(VENV)/.installed    ## the whole suite against a real PostgreSQL
	$(VENV)/bin/pytest -n 2 --cov --cov-report=term --cov-report=xml:var/coverage.xml

lint: $(VENV)/.installed    ## format, lint, import contracts, types, migrations in sync
	$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check . && $(VENV)/bin/lint-imports \
	  && $(VENV)/bin/mypy && $(VENV)/bin/getmygrapher migrate --check

format: $(VENV)/.installed
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

migrate: $(VENV)/.installed
	$(VENV)/bin/getmygrapher migrate

bench: $(VENV)/.installed   ## 1,000,000 jobs on a scratch database; table on screen, JSON in var/bench
	$(VENV)/bin/getmygrapher bench

clean:
	rm -rf $(VENV) var/coverage* .coverage*
