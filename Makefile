# Redress — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format install demo check clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) requirements.txt requirements-dev.txt requirements-lock.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -c requirements-lock.txt
	touch $(STAMP)

install: $(STAMP)

## make run: migrate, load the demo, print credentials, then web + worker + beat in the foreground.
run: install
	SECURE_HTTPS=$${SECURE_HTTPS:-false} $(PY) manage.py migrate --noinput
	SECURE_HTTPS=$${SECURE_HTTPS:-false} $(PY) manage.py collectstatic --noinput --verbosity 0
	SECURE_HTTPS=$${SECURE_HTTPS:-false} $(PY) manage.py seed_demo
	SECURE_HTTPS=$${SECURE_HTTPS:-false} $(PY) manage.py demo_credentials
	SECURE_HTTPS=$${SECURE_HTTPS:-false} $(VENV)/bin/honcho start -f Procfile

## make test: the whole suite (PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set).
test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/ staticfiles/ .pytest_cache
