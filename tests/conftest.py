import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import hypothesis
import pytest
from django.conf import settings

from tests.factories import PASSWORD, MembershipFactory, TenantFactory

ROOT = Path(__file__).resolve().parent.parent

# No run has a deadline: an example's time says how busy the 2-core machine is, not whether the
# code is right (timings belong to `make bench`). CI also replays the same examples every run (a
# red build means a change broke something, not bad luck); local runs keep exploring new examples.
hypothesis.settings.register_profile("local", deadline=None)
hypothesis.settings.register_profile("ci", derandomize=True, deadline=None)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "local")
CHROMIUM = "/usr/bin/chromium"


def wait_for(condition, *, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `condition()` is truthy and return its value; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def admin_login(client, user):
    """Sign a staff member in to the admin as its login would: password and second factor (a
    confirmed TOTP device, verified for this session)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def tenant(db):
    return TenantFactory()


@pytest.fixture
def owner(tenant):
    return MembershipFactory(tenant=tenant, role="owner").user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def viewer_client(client, tenant):
    viewer = MembershipFactory(tenant=tenant, role="viewer").user
    client.force_login(viewer)
    return client


@pytest.fixture
def outsider_client(client, db):
    """Logged in, member of another tenant only."""
    other = MembershipFactory(role="owner").user
    client.force_login(other)
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login_page(page, live_server):
    """Log a user in through the real login form; returns a function(user) -> page."""

    def _login(user):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return _login


@pytest.fixture
def sandbox_urls(live_server, settings):
    """Point the product at the built-in emulators served by the live server, over real HTTP."""
    settings.ECONOMIC_API_URL = f"{live_server.url}/sandbox/economic"
    settings.STRIPE_API_BASE = f"{live_server.url}/sandbox/stripe"
    settings.ECONOMIC_GRANT_URL = f"{live_server.url}/sandbox/economic/requestaccess.aspx"
    settings.SITE_URL = live_server.url
    settings.STRIPE_DASHBOARD_URL = f"{live_server.url}/sandbox/stripe/dashboard"
    settings.ECONOMIC_WEB_URL = f"{live_server.url}/sandbox/economic/web"
    return {
        "ECONOMIC_API_URL": settings.ECONOMIC_API_URL,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "ECONOMIC_GRANT_URL": settings.ECONOMIC_GRANT_URL,
        "SITE_URL": settings.SITE_URL,
        "STRIPE_DASHBOARD_URL": settings.STRIPE_DASHBOARD_URL,
        "ECONOMIC_WEB_URL": settings.ECONOMIC_WEB_URL,
    }


@pytest.fixture(scope="session")
def _celery_worker_env(django_db_setup, django_db_blocker):
    """Environment for worker processes: the test database pytest-django created."""
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {**os.environ, "DATABASE_URL": url, "CONN_MAX_AGE": "0"}


# The schedule in PostgreSQL, shortened so a test sees minutes of it in seconds (a test module
# overrides `worker_env` to shorten more, e.g. the retry window). The test process gets the same
# values through `settings`, since it sweeps and checks too.
WORKER_SCHEDULE = {
    "SYNC_SWEEP_SECONDS": "1",
    "SYNC_PROBE_SECONDS": "2",
    "SYNC_RETRY_MIN_SECONDS": "0.5",
    "SYNC_RETRY_MAX_SECONDS": "5",
    "SYNC_LEASE_SECONDS": "15",
}


@pytest.fixture
def worker_env() -> dict[str, str]:
    return {}


@pytest.fixture
def celery_worker(
    transactional_db, sandbox_urls, economic_app_settings, _celery_worker_env, tmp_path, worker_env, settings
):
    """Real Celery worker processes (prefork, 2 children) on the real Redis broker, with beat
    inside (the sweeper and the probe run as in production, on a shortened schedule)."""
    import redis

    schedule = {**WORKER_SCHEDULE, **worker_env}
    for name, value in schedule.items():
        if hasattr(settings, name):  # e.g. EMAIL_URL is read into other settings, for workers only
            setattr(settings, name, type(getattr(settings, name))(value))

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    log = tmp_path / "worker.log"
    env = {
        **_celery_worker_env,
        **sandbox_urls,
        "ECONOMIC_APP_SECRET_TOKEN": settings.ECONOMIC_APP_SECRET_TOKEN,
        # Longer than any stall the tests inject, so a stalled reply is not mistaken for a timeout.
        "ECONOMIC_TIMEOUT_SECONDS": "30",
        **schedule,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "syncapp",
            "worker",
            "--queues=celery,imports",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--beat",
            f"--schedule={tmp_path / 'beat-schedule'}",
            f"--logfile={log}",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for(lambda: log.exists() and "ready." in log.read_text(), timeout=60, message="celery worker ready")
    process.log = log
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(autouse=True, scope="session")
def _flush_by_delete():
    """A transactional test (live server, worker processes) ends with Django's flush, a TRUNCATE
    of every table: about a second each on this machine (new files for each table and index),
    hundreds of tests. DELETE FROM each table in the flush's one transaction, the foreign keys
    deferred (Django makes them DEFERRABLE INITIALLY DEFERRED), leaves the same empty tables in
    milliseconds; sequences are not reset by either. Only the flush without options is changed."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [f"DELETE FROM {self.quote_name(table)}" for table in tables]
        return ["SET CONSTRAINTS ALL DEFERRED", *deletes]

    DatabaseOperations.sql_flush = delete
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True, scope="session")
def _artifacts_dir():
    (ROOT / "test-artifacts").mkdir(exist_ok=True)


@pytest.fixture(scope="session", autouse=True)
def _close_stray_database_sessions(django_db_setup, django_db_blocker):
    """Live-server threads and killed workers can leave sessions open; end them so the test
    database can be dropped cleanly at the end of the run."""
    yield
    from django.db import connection

    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # pytest-django made no test database: no test in this run used one
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty shared cache (tenant ids repeat across test runs), and so does
    the webhook entry's per-process one."""
    from django.core.cache import cache

    from customers import webhook_lookup

    cache.clear()
    webhook_lookup._kept.clear()


@pytest.fixture(autouse=True)
def _warm_clients_closed():
    """Each test's syncs start without the warm clients an earlier test left in this thread."""
    from syncapp.connections.pool import pool_clear

    yield
    pool_clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the default language: a request that read Danish leaves Danish active in
    its thread (Django activates per request and never switches back), and a later test on the same
    worker that calls a service directly would read Danish."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
