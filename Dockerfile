FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies only from the hashed lock (`make lock`): a changed file on the index fails the build.
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes -r requirements/lock.txt

# Only what the product runs: never a local .env, .venv or test artefacts, and not the sandbox
# (production refuses to start with SANDBOX_ENABLED on).
COPY pyproject.toml manage.py ./
COPY syncapp syncapp
COPY mappings mappings
COPY customers customers
COPY operations operations
COPY templates templates
COPY static static
COPY locale locale
# The translations compiled in the image (the .mo files are not in the repository).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext \
    && find locale -name '*.po' -exec sh -c 'msgfmt --check-format -o "${1%.po}.mo" "$1"' _ {} \; \
    && apt-get purge -y -qq gettext && apt-get autoremove -y -qq && rm -rf /var/lib/apt/lists/*
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p staticfiles \
    && chown app staticfiles

# The code is root's and read-only to the app; only collectstatic's output is its own.
USER app
EXPOSE 8000
# Liveness of the web process (compose overrides it for the worker and beat, which serve no HTTP).
# It asks as the first allowed host: Django answers 400 to a Host it does not serve.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "\
import os, urllib.request; \
host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.*') or 'localhost'; \
urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=3)"]
