# Xinfang: `make run` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
export XINFANG_DATA_DIR ?= $(CURDIR)/var
# A secret generated once per data directory unless one is given.
export XINFANG_SECRET_KEY_FILE ?= $(XINFANG_DATA_DIR)/secret_key

.PHONY: run test lint bench install demo messages clean

# The venv is rebuilt when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(XINFANG_SECRET_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(64))" > $@

# Serves with gunicorn (not runserver, DEBUG off); plain HTTP on the loopback, so
# cookies are not marked Secure here (XINFANG_HTTPS=0). Behind TLS leave it at 1.
run: install $(XINFANG_SECRET_KEY_FILE)
	XINFANG_HTTPS=0 XINFANG_ALLOWED_HOSTS="$(HOST),localhost,127.0.0.1" $(PY) manage.py prepare_instance --demo
	XINFANG_HTTPS=0 XINFANG_ALLOWED_HOSTS="$(HOST),localhost,127.0.0.1" \
	  $(VENV)/bin/gunicorn xinfang.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --forwarded-allow-ips="127.0.0.1"

demo: install $(XINFANG_SECRET_KEY_FILE)
	$(PY) manage.py prepare_instance --demo

test: install
	$(PY) -m pytest -n 2 --dist loadgroup

lint: install $(XINFANG_SECRET_KEY_FILE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: install $(XINFANG_SECRET_KEY_FILE)
	$(PY) bench/run.py

# Re-extracts translatable strings (needs GNU gettext); the .mo is committed so
# that running the project never needs gettext.
messages: install
	cd src/xinfang && ../../$(PY) ../../manage.py makemessages -l zh_Hans --no-obsolete && \
	  ../../$(PY) ../../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
