"""Operations as code: settings for production, compose file, health, management commands."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from syncapp.models import Membership, Tenant
from tests.fixtures_stripe import first_account

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k8$Zq!2vLw9@pR4tY7uI1oP3aS6dF0gH5jK8lZ2xC4vB7nM9qW1eR3tY6uI8oP0",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "sync.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/syncapp",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
    "ECONOMIC_APP_SECRET_TOKEN": "app-secret-token",
    "ECONOMIC_APP_PUBLIC_TOKEN": "app-public-token",
    "EMAIL_URL": "smtp+tls://alerts:secret@smtp.example.com:587",
}


def _manage(*args, env):
    dev_only = {"SANDBOX_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in dev_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _assert_refused_naming(result, name):
    assert result.returncode != 0
    last_line = result.stderr.splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert name in last_line


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "ALLOWED_HOSTS",
        "ECONOMIC_APP_SECRET_TOKEN",
        "ECONOMIC_APP_PUBLIC_TOKEN",
        "EMAIL_URL",
    ],
)
def test_production_refuses_to_start_without_required_env(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    _assert_refused_naming(_manage("check", env=env), missing)


def test_production_refuses_to_start_without_a_broker():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CELERY_BROKER_URL"}
    _assert_refused_naming(_manage("check", env={**env, "REDIS_URL": ""}), "CELERY_BROKER_URL")


def test_production_refuses_to_start_with_the_sandbox_on():
    result = _manage("check", env={**PRODUCTION_ENV, "SANDBOX_ENABLED": "true"})
    _assert_refused_naming(result, "SANDBOX_ENABLED")


@pytest.mark.parametrize(
    "keys",
    [
        "change-me-fernet-key",
        f"{PRODUCTION_ENV['FIELD_ENCRYPTION_KEY']},bm90LWEta2V5",
        f"{PRODUCTION_ENV['FIELD_ENCRYPTION_KEY'][:-4]}",
    ],
    ids=["placeholder", "second-of-two-bad", "truncated"],
)
def test_production_refuses_to_start_with_an_invalid_fernet_key(keys):
    result = _manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEY": keys})
    _assert_refused_naming(result, "FIELD_ENCRYPTION_KEY")
    assert keys.split(",")[-1] not in result.stderr  # the value itself is never printed


# Built at run time, as the contract tests do: nothing in the repository looks like a live key.
PLATFORM_SECRET_KEY = "sk_live_" + "platform"
STRIPE_APP_ENV = {
    "STRIPE_OAUTH_ENABLED": "true",
    "STRIPE_CLIENT_ID": "ca_production",
    "STRIPE_PLATFORM_SECRET_KEY": PLATFORM_SECRET_KEY,
    "STRIPE_PLATFORM_WEBHOOK_SECRET": "whsec_platform",
}


@pytest.mark.parametrize(
    "missing", ["STRIPE_CLIENT_ID", "STRIPE_PLATFORM_SECRET_KEY", "STRIPE_PLATFORM_WEBHOOK_SECRET"]
)
def test_production_refuses_to_start_connect_with_stripe_without_the_platforms_values(missing):
    env = {**PRODUCTION_ENV, **{k: v for k, v in STRIPE_APP_ENV.items() if k != missing}}
    result = _manage("check", env=env)
    _assert_refused_naming(result, missing)
    assert PLATFORM_SECRET_KEY not in result.stderr


def test_production_starts_connect_with_stripe_with_the_platforms_values():
    result = _manage("check", env={**PRODUCTION_ENV, **STRIPE_APP_ENV})
    assert result.returncode == 0, result.stderr


def test_compose_file_wires_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "imports", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        assert service["healthcheck"]["test"], name
    assert "gunicorn syncapp.wsgi:application" in services["web"]["command"]
    # The access log shows paths without query strings: e-conomic's grant callback carries ?token=.
    assert "%(U)s" in services["web"]["command"] and "%(r)s" not in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A syncapp worker --queues=celery ")
    # Imports have their own queue (settings.CELERY_TASK_ROUTES) and workers, started nicer.
    assert "celery -A syncapp worker --queues=imports " in services["imports"]["command"]
    assert services["beat"]["command"].startswith("celery -A syncapp beat")
    # Worker and beat are each judged by themselves: the worker's own node answers a ping; beat's
    # heartbeat file (touched on every tick by syncapp.celery.HeartbeatScheduler) is fresh.
    assert "celery@$$HOSTNAME" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "celerybeat-heartbeat" in " ".join(services["beat"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    example_names = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for name in ("web", "worker", "imports", "beat"):
        assert services[name]["env_file"] == ".env"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    # The app containers read what settings.py reads; .env.example documents each of them.
    settings_source = (ROOT / "syncapp" / "settings.py").read_text()
    for name in example_names:
        assert f'"{name}"' in settings_source, f".env.example lists {name}, settings.py ignores it"
    assert (
        "postgres:5432"
        in dict(
            line.split("=", 1)
            for line in (ROOT / ".env.example").read_text().splitlines()
            if line and not line.startswith("#")
        )["DATABASE_URL"]
    )


@pytest.mark.django_db
def test_healthz_is_liveness_the_process_and_its_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_stays_200_when_the_broker_is_down_readyz_reports_it(client, settings):
    # A dead broker must not pull the web nodes: they keep storing Stripe's webhooks.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.METRICS_TOKEN = "monitor-token"
    assert client.get("/healthz").status_code == 200
    # The details are the monitor's (the metrics token): issue 20.
    response = client.get("/readyz", HTTP_AUTHORIZATION="Bearer monitor-token")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded" and report["broker"].startswith("error")
    assert report["database"] == "ok" and "due_events" in report["sync"]


@pytest.mark.django_db
def test_tenant_create_prints_slug_and_webhook_path(capsys, django_user_model):
    django_user_model.objects.create_user("own@example.com", "own@example.com", "pw-123456789")
    call_command("tenant_create", "acme", "--name", "Acme ApS", "--owner-email", "own@example.com")
    output = json.loads(capsys.readouterr().out.strip())
    tenant = Tenant.objects.get(slug="acme")
    endpoint_id = first_account(tenant).webhook_endpoint_id
    assert output == {"slug": "acme", "webhook_path": f"/webhooks/stripe/{endpoint_id}/"}
    assert len(endpoint_id) >= 32
    assert Membership.objects.for_tenant(tenant).get().role == "owner"


@pytest.mark.django_db
def test_tenant_create_with_a_taken_slug_exits_2_and_creates_nothing():
    call_command("tenant_create", "acme", "--name", "Acme ApS")
    with pytest.raises(CommandError) as excinfo:
        call_command("tenant_create", "acme", "--name", "Another")
    assert excinfo.value.returncode == 2
    assert "already taken" in str(excinfo.value)
    assert Tenant.objects.count() == 1


def test_tenant_create_documents_its_options_in_help():
    env = {"DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"].replace("/syncapp", "/postgres")}
    result = _manage("tenant_create", "--help", env={**env, "DEBUG": "true"})
    assert result.returncode == 0
    assert "--owner-email" in result.stdout
