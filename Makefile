# Xinfang: `make run` and `make test` are the whole set-up on a fresh machine
# (Python >= 3.11). Everything else is optional. See README.md.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 8000
WORKERS ?= 2

# Where the SQLite database, uploaded files, collected static files and the
# generated secret key live. Passed only to the commands that run the app: the
# test suite picks its own throwaway directory (tests/settings.py).
DATA_DIR := $(abspath $(or $(XINFANG_DATA_DIR),var))
APP_ENV  := XINFANG_DATA_DIR="$(DATA_DIR)"

# A secret key is generated once per data directory, unless the caller supplies
# one (XINFANG_SECRET_KEY or XINFANG_SECRET_KEY_FILE): settings refuse both at once.
ifeq ($(strip $(XINFANG_SECRET_KEY)$(XINFANG_SECRET_KEY_FILE)),)
SECRET_KEY_FILE := $(DATA_DIR)/secret_key
APP_ENV += XINFANG_SECRET_KEY_FILE="$(SECRET_KEY_FILE)"
endif

# `make run` speaks plain HTTP on the loopback, so cookies cannot be Secure and
# there is no HTTPS to redirect to. Behind a TLS proxy, run gunicorn yourself
# with the defaults (docs/configuration.md).
XINFANG_ALLOWED_HOSTS ?= $(HOST),localhost,127.0.0.1
# Demo mode: its accounts share a published password, so neither forced two-factor
# enrolment nor password expiry would protect anything (docs/security.md).
RUN_ENV := $(APP_ENV) XINFANG_HTTPS=0 XINFANG_ALLOWED_HOSTS="$(XINFANG_ALLOWED_HOSTS)" XINFANG_DEMO=1

.PHONY: run worker rq-worker scale-smoke bench-deadlines bench-documents bench-reports test lint lint-ruff lint-format lint-django lint-migrations bench install demo messages clean

# The venv is rebuilt when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Xinfang needs Python 3.11 or newer; set PYTHON=python3.x")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

ifdef SECRET_KEY_FILE
$(SECRET_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(64))" > $@.tmp && mv $@.tmp $@
endif

# Migrates, collects static files, loads the demo organisation on an empty
# database, then serves with gunicorn (not runserver; DEBUG stays off).
run: install $(SECRET_KEY_FILE)
	$(RUN_ENV) $(PY) manage.py prepare_instance --demo
	@echo "Xinfang on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(RUN_ENV) $(VENV)/bin/gunicorn xinfang.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --forwarded-allow-ips=127.0.0.1 --no-control-socket

# The deadline worker (reminders, escalation, queued tasks): run it in a second
# terminal beside `make run`. Several may run at once.
worker: install $(SECRET_KEY_FILE)
	$(APP_ENV) $(PY) manage.py run_deadline_worker

# With XINFANG_TASKS=rq and XINFANG_REDIS_URL: a process running the Redis queue's jobs. Start
# as many as wanted, on any machine; `make worker` then only schedules the periodic jobs
# (docs/scaling.md).
rq-worker: install $(SECRET_KEY_FILE)
	$(APP_ENV) $(PY) manage.py rqworker default --with-scheduler --job-class django_tasks_rq.backend.Job

# A primary and a hot standby, Redis, two app servers and an RQ worker on the loopback, a smoke
# test through them, then everything stopped (scripts/scale_out_smoke.py, docs/scaling.md).
# Needs PostgreSQL's server binaries and redis-server (or a running Redis).
scale-smoke: install
	$(PY) scripts/scale_out_smoke.py

demo: install $(SECRET_KEY_FILE)
	$(RUN_ENV) $(PY) manage.py prepare_instance --demo

# Two workers; tests that must not run side by side share an xdist_group.
# DATABASE_URL (if set) selects PostgreSQL, as in production. The shell's
# XINFANG_* variables are dropped: tests/settings.py is the test environment.
PYTEST_ARGS ?= -n 2 --dist loadgroup
test: install
	env $(foreach name,$(sort $(filter XINFANG_%,$(.VARIABLES))),-u $(name)) $(PY) -m pytest $(PYTEST_ARGS)

# Four checks; `make -k lint` runs them all even when one fails (CI does).
# The Django checks run on production settings (HTTPS on, DEBUG off): they must
# pass the deployment checks with not one warning.
lint: lint-ruff lint-format lint-django lint-migrations

lint-ruff: install
	$(VENV)/bin/ruff check .

lint-format: install
	$(VENV)/bin/ruff format --check .

lint-django: install $(SECRET_KEY_FILE)
	$(APP_ENV) $(PY) manage.py check --deploy --fail-level WARNING

lint-migrations: install $(SECRET_KEY_FILE)
	$(APP_ENV) $(PY) manage.py makemigrations --check --dry-run

bench: install $(SECRET_KEY_FILE) bench-deadlines bench-documents
	$(APP_ENV) $(PY) bench/run.py

# Official documents: .docx and PDF per document, documents per minute with two workers
# (a throwaway SQLite database; needs LibreOffice). docs/benchmarks.md.
bench-documents: install
	$(PY) bench/documents.py

# Statistics p95, a 10^5-row ledger export (time, peak RSS) and an import, on a throwaway
# database of its own (SQLite; BENCH_DATABASE_URL=postgresql://... for PostgreSQL). Not part of
# `make bench`, which measures the same on each database bench/run.py filled (docs/benchmarks.md).
bench-reports: install
	$(PY) bench/reports.py

# Needs DATABASE_URL (PostgreSQL); BENCH_SIZES="100000 1000000" by default.
bench-deadlines: install $(SECRET_KEY_FILE)
	$(APP_ENV) $(PY) bench/deadlines.py

# Re-extracts translatable strings (needs GNU gettext) and compiles the catalog;
# the .mo is committed so that running the project never needs gettext.
messages: install $(SECRET_KEY_FILE)
	mkdir -p src/xinfang/locale
	cd src/xinfang && $(APP_ENV) $(abspath $(PY)) $(CURDIR)/manage.py makemessages -l zh_Hans --no-obsolete && \
	  $(APP_ENV) $(abspath $(PY)) $(CURDIR)/manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
