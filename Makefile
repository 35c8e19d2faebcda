# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
PG_URL ?= postgres://postgres@127.0.0.1:5432/fengqiao
DEMO_SCALE ?=

export FENGQIAO_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install serve lint test-sqlite test-postgres test-postgres-apart test-postgres-rest check-postgres chromium pg-client messages clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed node_modules/.installed

var/secret_key: | $(BIN)/.installed
	mkdir -p var
	$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# The demo: an embedded SQLite database under ./var, a generated city, the demo accounts, a real
# HTTP server (gunicorn) and the worker (background tasks, the deadline sweep). Re-running reuses
# the database and the city. Two factors are optional and passwords do not expire, unless set.
demo: install var/secret_key
	@export FENGQIAO_SECRET_KEY="$$(cat var/secret_key)" FENGQIAO_HTTPS=0 \
	  FENGQIAO_ALLOWED_HOSTS="$${FENGQIAO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	  FENGQIAO_STAFF_MFA="$${FENGQIAO_STAFF_MFA:-optional}" \
	  FENGQIAO_STAFF_PASSWORD_DAYS="$${FENGQIAO_STAFF_PASSWORD_DAYS:-0}"; \
	$(BIN)/fengqiao migrate --noinput -v0 && \
	$(BIN)/fengqiao demo $(if $(DEMO_SCALE),--scale $(DEMO_SCALE)) && \
	echo "Serving on http://$(HOST):$(PORT)/ with the background worker (Ctrl-C stops both)" && \
	{ $(BIN)/fengqiao worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c python:fengqiao.gunicorn_conf fengqiao.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4; }

# Debian's chromium for the browser tests, and a Chinese font: the UI is Chinese, and without
# one every character is drawn as an empty box of another width.
chromium:
	@test -x /usr/bin/chromium && fc-list :lang=zh | grep -q . || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

# The guard rails: style, the layers (import-linter, contract in pyproject.toml), types of core
# (mypy with django-stubs), no private ORM name (docs/adr/0003), migrations in step with models.
lint: install
	$(BIN)/ruff check fengqiao tests bench tools
	$(BIN)/ruff format --check fengqiao tests bench tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/check_private_orm.py
	$(BIN)/mypy
	PYTHONPATH=. DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/fengqiao makemigrations --check --dry-run

check-postgres: install
	@$(BIN)/python -c "import psycopg,sys; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=5).close()" \
	  || { echo "FAIL: no PostgreSQL answers on 127.0.0.1:5432: the PostgreSQL half of the suite cannot run" >&2; exit 1; }

# Each run keeps its files (uploads, import error files) in a data directory of its own.
test-sqlite: install chromium
	FENGQIAO_DATA_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest

# PostgreSQL's client tools, for backups and their restore (pg_dump, pg_restore): Debian's package.
pg-client:
	@command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }

# The PostgreSQL half in two parts, each with a database of its own: the browser and demo tests,
# and the rest. PostgreSQL's run is the longer one (its server works too), so beside SQLite's it
# runs as two, and no core waits idle at the end while the last run finishes.
POSTGRES_APART := tests/browser tests/demo

test-postgres: test-postgres-apart test-postgres-rest

test-postgres-apart: install chromium check-postgres pg-client
	FENGQIAO_DATA_DIR=$(CURDIR)/var/test-postgres-apart FENGQIAO_DATABASE_URL=$(PG_URL)_apart \
	  $(BIN)/pytest $(POSTGRES_APART)

test-postgres-rest: install chromium check-postgres pg-client
	FENGQIAO_DATA_DIR=$(CURDIR)/var/test-postgres-rest FENGQIAO_DATABASE_URL=$(PG_URL)_rest \
	  $(BIN)/pytest $(addprefix --ignore=,$(POSTGRES_APART))

# The whole suite: lint, migrations check, then every test on SQLite and on PostgreSQL (in two
# parts), the three runs side by side; each run's output is printed whole when it ends.
test: lint
	$(MAKE) --no-print-directory -j3 --output-sync=target test-sqlite test-postgres-apart test-postgres-rest

messages: install
	cd fengqiao && ../$(BIN)/fengqiao makemessages -l zh_Hans --ignore=.venv --ignore=node_modules
	$(BIN)/fengqiao compile_translations

clean:
	rm -rf $(VENV) node_modules var
