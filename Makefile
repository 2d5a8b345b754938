VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
CLIENT := clients/typescript

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(CLIENT)/node_modules/.installed: $(CLIENT)/package-lock.json
	npm ci --prefix $(CLIENT) --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: run test lint format migrate bench client clean
run: $(VENV)/.installed     ## embedded PostgreSQL, migrations, demo data, API on :8000
	$(VENV)/bin/getmygrapher serve --demo

test: $(VENV)/.installed $(CLIENT)/node_modules/.installed  ## the whole suite against a real PostgreSQL
	$(VENV)/bin/pytest -n 2 --cov --cov-report=term --cov-report=xml:var/coverage.xml

lint: $(VENV)/.installed $(CLIENT)/node_modules/.installed  ## format, lint, import contracts, types, migrations in sync, TS client current
	$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check . && $(VENV)/bin/lint-imports \
	  && $(VENV)/bin/mypy && $(VENV)/bin/getmygrapher migrate --check
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	  && $(VENV)/bin/getmygrapher openapi --output "$$tmp/openapi.json" \
	  && $(CLIENT)/node_modules/.bin/openapi-typescript "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" >/dev/null \
	  && { { cmp -s "$$tmp/openapi.json" $(CLIENT)/openapi.json \
	         && cmp -s "$$tmp/schema.d.ts" $(CLIENT)/src/schema.d.ts; } \
	       || { echo "$(CLIENT) is out of date with the API: run make client" >&2; exit 1; }; }
	$(CLIENT)/node_modules/.bin/tsc -p $(CLIENT)

format: $(VENV)/.installed
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

migrate: $(VENV)/.installed
	$(VENV)/bin/getmygrapher migrate

client: $(VENV)/.installed $(CLIENT)/node_modules/.installed  ## regenerate the TypeScript client's openapi.json and src/schema.d.ts
	$(VENV)/bin/getmygrapher openapi --output $(CLIENT)/openapi.json
	cd $(CLIENT) && node_modules/.bin/openapi-typescript openapi.json -o src/schema.d.ts

bench: $(VENV)/.installed   ## 1,000,000 jobs on a scratch database; table on screen, JSON in var/bench
	$(VENV)/bin/getmygrapher bench

clean:
	rm -rf $(VENV) $(CLIENT)/node_modules var/coverage* .coverage*
