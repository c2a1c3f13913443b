# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# make serve-prod: gunicorn's address, worker processes (about 2 per core) and threads in each.
BIND ?= 127.0.0.1:8000
WORKERS ?= 2
THREADS ?= 4

.PHONY: install migrate seed run test test-postgres fixtures check bench bench-100k import-bench clean backup restore serve-prod

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

seed: migrate
	$(BIN)/python manage.py seed

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: DEBUG off, HTTPS-only cookies and HSTS. Needs SECRET_KEY and ALLOWED_HOSTS in the
# environment (and DATABASE_URL, migrated); static files are collected with hashed, compressed
# names, which WhiteNoise serves with far-future cache headers.
serve-prod: install
	DJANGO_ENV=production $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=production $(BIN)/python manage.py createcachetable
	DJANGO_ENV=production $(BIN)/python manage.py warm_cache --clear
	DJANGO_ENV=production $(BIN)/gunicorn briefings.wsgi --bind $(BIND) --workers $(WORKERS) --threads $(THREADS) $(GUNICORN_ARGS)

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

# Everything worth keeping, to backups/threat-briefings-<UTC time>.xml.gz (DATABASE_URL as usual),
# then loaded into a scratch database to prove every table comes back whole.
backup: install
	$(BIN)/python manage.py backup --verify

# Load a backup into an empty database: make restore FILE=backups/threat-briefings-….xml.gz
# Over a database that holds data, add FORCE=1 (everything in it is replaced).
restore: migrate
	@test -n "$(FILE)" || (echo "Usage: make restore FILE=backups/<file>.xml.gz [FORCE=1]" >&2; exit 2)
	$(BIN)/python manage.py restore --no-input $(if $(FORCE),--force) "$(FILE)"

# Server time and queries per page at the seed and 10,000 synthetic briefings, cold and warm, on
# SQLite (benchmarks/bench.sqlite3) and PostgreSQL (threat_briefings_bench on BENCH_POSTGRES_URL,
# default postgres://postgres@127.0.0.1:5432, created and dropped), then the realistic mix through
# gunicorn and wrk. Not part of CI; ~15 minutes.
bench: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk could not be installed: the realistic mix will be skipped"
	$(BIN)/python benchmarks/run.py

# Recall and precision of import_document's draft figures on tests/data/import_bench/, and its time per MB.
import-bench: install
	$(BIN)/python benchmarks/import_bench.py

# The same at the seed and 100,000 synthetic briefings (slow: about half an hour).
bench-100k: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk could not be installed: the realistic mix will be skipped"
	BENCH_SIZES=0,100000 $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache benchmarks/bench.sqlite3*
