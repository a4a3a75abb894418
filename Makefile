# tdi — every command a newcomer needs. `make run` and `make test` install what they need.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
PY := python$(PYTHON_VERSION)
UV := UV_PYTHON_DOWNLOADS=never $(PY) -m uv
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
export DJANGO_DEBUG ?= 1
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
CHROMIUM ?= /usr/bin/chromium
# The suite runs on one process per CPU (pytest-xdist, each with its own test database; the
# tests of a module that loads the demo once go to one of them: --dist loadgroup);
# `make test PYTEST_WORKERS=0` runs it in a single process.
PYTEST_WORKERS ?= auto

.PHONY: install migrate demo demo-national run test test-postgres e2e chromium lint format check-deploy bench loadtest drills clean

$(VENV)/.installed: pyproject.toml uv.lock .python-version
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) demo

# The national data set for measuring (issue 13): 183 territories of 110 projects, meant for
# PostgreSQL (DATABASE_URL); a few minutes.
demo-national: migrate
	$(MANAGE) demo --national

run: demo
	@echo "tdi : http://127.0.0.1:8000  (Ctrl+C pour arrêter)"
	$(MANAGE) runserver 127.0.0.1:8000

# The SQLite suite builds its schema from the models (--nomigrations: 10 s less per worker); the
# migrations are applied by the production-settings test and by the PostgreSQL suite.
test: install
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --nomigrations

test-postgres: install
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL=postgres://… est requis"; exit 2; }
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

e2e: install chromium
	DJANGO_ALLOW_ASYNC_UNSAFE=true CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest -q -m e2e tests/e2e

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# `check --deploy` with production-like environment variables (no debug, a real secret key).
check-deploy: install
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) DJANGO_ALLOWED_HOSTS=tdi.example.fr \
		$(MANAGE) check --deploy --fail-level WARNING

bench: install
	$(VENV)/bin/python -m tests.bench
	$(VENV)/bin/python -m tests.bench_national
	@if [[ "$$DATABASE_URL" == postgres* ]]; then $(VENV)/bin/python -m tests.bench_portfolio; fi

# The load test and the fault drills (issue 13), on PostgreSQL (DATABASE_URL: the national data
# set) under production-like settings: gunicorn, db_worker and locust on the loopback only.
# Locust (dependency group `load`) lives in its own environment, .venv-load, so that the
# suite's .venv never sees it; LOADTEST_DURATION (60 s), LOADTEST_USERS (20), DRILLS=a,b,c.
LOAD_VENV := .venv-load

$(LOAD_VENV)/.installed: pyproject.toml uv.lock .python-version
	UV_PROJECT_ENVIRONMENT=$(LOAD_VENV) $(UV) sync --frozen --only-group load
	@touch $@

loadtest: install $(LOAD_VENV)/.installed
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL=postgres://… est requis"; exit 2; }
	$(VENV)/bin/python -m tests.load.run

drills: install $(LOAD_VENV)/.installed
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL=postgres://… est requis"; exit 2; }
	$(VENV)/bin/python -m tests.load.drills $(DRILLS)

clean:
	rm -rf $(VENV) $(LOAD_VENV) staticfiles
