# Entry points: make run, make test, make bench, make chaos. The virtualenv is .venv/ here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Pinned with hashes (`make lock` regenerates them from pyproject.toml): a changed or swapped file
# on the index fails the install instead of running.
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host

# `make test` talks to the real services on this machine.
TEST_ENV := DEBUG=true SANDBOX_ENABLED=true \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/syncapp} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/10} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/11} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true

.PHONY: run test bench chaos lint services chromium gettext messages messages-update venv lock audit

venv: $(STAMP) messages

# The translations (docs/i18n.md): locale/<language>/LC_MESSAGES/*.po are the source, committed;
# the compiled .mo files Django reads are built here and never committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)

%.mo: %.po | gettext
	msgfmt --check-format -o $@ $<

# After adding or changing strings: refresh the .po files with every new msgid, then translate them
# (docs/i18n.md). The same options as tests/i18n/test_catalogues.py; the emulators and tests are
# not the product.
MAKEMESSAGES := DEBUG=true SANDBOX_ENABLED=false $(PY) manage.py makemessages --locale da \
	--add-location file --no-obsolete --ignore 'tests/*' --ignore 'sandbox/*' --ignore 'bench/*' \
	--ignore 'var/*' --ignore 'staticfiles/*' --ignore 'requirements/*'
messages-update: $(STAMP) gettext
	$(MAKEMESSAGES) --domain django
	$(MAKEMESSAGES) --domain djangojs

# Debian's gettext: msgfmt builds the catalogues, makemessages (and its test) runs xgettext.
gettext:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }

# The project itself adds only its own metadata: its dependencies all come from the lock, and its
# build backend (setuptools) is pinned there too, so nothing unhashed is fetched.
$(STAMP): $(DEV_LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve after a change to pyproject.toml's dependencies; `make lock UPGRADE=1` takes the newest
# releases the ranges allow. The dev lock is constrained by the production one, so both agree.
lock: $(STAMP)
	$(PY) -m piptools compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) -o $(LOCK) pyproject.toml
	$(PY) -m piptools compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) --extra dev -c $(LOCK) \
		-o $(DEV_LOCK) pyproject.toml

# Known vulnerabilities in the pinned releases: exit 1 when one is found. When the advisory service
# cannot be reached (an error, or every package skipped as unknown) it warns and exits 0: the audit
# did not run, it did not pass.
AUDIT_FILES ?= $(LOCK) $(DEV_LOCK)
PIP_AUDIT ?= $(PY) -m pip_audit
audit: $(STAMP)
	@out=$$($(PIP_AUDIT) --progress-spinner off --disable-pip --require-hashes \
		$(foreach f,$(AUDIT_FILES),-r $(f)) $(AUDIT_ARGS) 2>&1); rc=$$?; echo "$$out"; \
	if grep -qiE "found [0-9]+ known vulnerabilit" <<<"$$out"; then exit 1; fi; \
	skipped=$$(grep -c "could not be audited" <<<"$$out"); \
	if [ $$rc -ne 0 ] && grep -qiE "connection|resolve|timed? ?out|unreachable|max retries|proxy" <<<"$$out"; then \
		echo "WARNING: make audit could not reach the vulnerability service; nothing was audited." >&2; \
		exit 0; \
	fi; \
	if [ $$rc -eq 0 ] && [ $$skipped -gt 0 ]; then \
		echo "WARNING: make audit: $$skipped packages could not be audited (advisory service unreachable?)." >&2; \
	fi; exit $$rc

# The offline demo: SQLite, tasks in-process, the built-in sandboxes; no account anywhere needed.
# The product reaches the sandboxes over HTTP at their own addresses, as it would the real APIs.
# `make run PORT=8001` serves on another port; every address below follows it.
PORT ?= 8000
RUN_ADDRESS := http://127.0.0.1:$(PORT)
RUN_ENV := DEBUG=true SANDBOX_ENABLED=true SITE_URL=$(RUN_ADDRESS) \
	ECONOMIC_API_URL=$(RUN_ADDRESS)/sandbox/economic \
	STRIPE_API_BASE=$(RUN_ADDRESS)/sandbox/stripe \
	ECONOMIC_GRANT_URL=$(RUN_ADDRESS)/sandbox/economic/requestaccess.aspx \
	STRIPE_DASHBOARD_URL=$(RUN_ADDRESS)/sandbox/stripe/dashboard ECONOMIC_WEB_URL=$(RUN_ADDRESS)/sandbox/economic/web \
	ECONOMIC_APP_SECRET_TOKEN=sandbox-app-secret ECONOMIC_APP_PUBLIC_TOKEN=sandbox-app-public \
	STRIPE_OAUTH_ENABLED=true STRIPE_CLIENT_ID=ca_sandboxSyncApp \
	STRIPE_PLATFORM_SECRET_KEY=sk_test_sandboxPlatformKeyForMakeRun \
	STRIPE_PLATFORM_WEBHOOK_SECRET=whsec_sandboxPlatformSecretForMakeRun \
	STRIPE_OAUTH_AUTHORIZE_URL=$(RUN_ADDRESS)/sandbox/stripe/oauth/v2/authorize \
	STRIPE_CONNECT_BASE=$(RUN_ADDRESS)/sandbox/stripe

run: $(STAMP) messages
	mkdir -p var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py demo_setup
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

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

# In parallel (docs/testing.md): TEST_WORKERS processes, each with its own test database and Redis
# databases; the longest tests are dealt first, one to each worker. `-n 0` in PYTEST_ARGS runs in
# one process.
TEST_WORKERS ?= 4
test: $(STAMP) messages chromium services
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

# Every figure a ratio against a floor measured in the same run (docs/benchmarks.md): a private
# stack (its own database and Redis, the emulators with 40 ms per call); sizes by BENCH_* variables.
bench: $(STAMP) services
	$(PY) -m bench

# The whole stack under faults (docs/chaos.md): its own database and its own Redis on a spare
# port; the last line is one JSON object, the exit status 1 when a count is off.
chaos: $(STAMP) services
	$(PY) -m bench.chaos $(CHAOS_ARGS)
