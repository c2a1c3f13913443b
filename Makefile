# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate seed run test test-postgres fixtures check bench clean

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Django's checks, then the whole suite (browser tests run when Chromium is present).
check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py build_fixtures --dry-run

test: check
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL; DATABASE_URL defaults to the local server.
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

# Rebuild fixtures/briefings.json after editing fixtures/curation.toml.
fixtures: install
	$(BIN)/python manage.py build_fixtures

# Server time and queries per page at the seed, 1,000 and 10,000 synthetic briefings, on SQLite
# (benchmarks/bench.sqlite3) and PostgreSQL (threat_briefings_bench on BENCH_POSTGRES_URL,
# default postgres://postgres@127.0.0.1:5432, created and dropped). Not part of CI; ~5 minutes.
bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache benchmarks/bench.sqlite3*
