# Entry points: make run, make test, make bench, make chaos. The virtualenv is .venv/ here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# `make test` talks to the real services on this machine.
TEST_ENV := DEBUG=true SANDBOX_ENABLED=true \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/syncapp} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/10} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/11} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true

.PHONY: run test bench chaos lint services chromium venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The offline demo: SQLite, tasks in-process, the built-in sandboxes; no account anywhere needed.
# The product reaches the sandboxes over HTTP at their own addresses, as it would the real APIs.
RUN_ENV := DEBUG=true SANDBOX_ENABLED=true SITE_URL=http://127.0.0.1:8000 \
	ECONOMIC_API_URL=http://127.0.0.1:8000/sandbox/economic \
	STRIPE_API_BASE=http://127.0.0.1:8000/sandbox/stripe \
	ECONOMIC_GRANT_URL=http://127.0.0.1:8000/sandbox/economic/requestaccess.aspx \
	ECONOMIC_APP_SECRET_TOKEN=sandbox-app-secret ECONOMIC_APP_PUBLIC_TOKEN=sandbox-app-public

run: $(STAMP)
	mkdir -p var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py demo_setup
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Debian's chromium for Playwright (a browser download does not work here).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# Start PostgreSQL and Redis with Debian's own commands when they do not answer.
services:
	@command -v pg_ctlcluster >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { mkdir -p /var/lib/redis /var/log/redis; \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
		echo "PostgreSQL or Redis did not start" >&2; exit 1

test: $(STAMP) chromium services
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP) services
	$(TEST_ENV) $(PY) -m bench

chaos: $(STAMP) chromium services
	$(TEST_ENV) $(PY) -m pytest -m worker $(PYTEST_ARGS)
