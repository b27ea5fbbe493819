import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from syncapp import crypto
from syncapp.models import StripeConnection
from tests.factories import StripeConnectionFactory

SECRET = "sk_test_51Abcdefghijklmnopqrstuvwxyz0123456789"


def _raw_api_key(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM syncapp_stripeconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_secret_is_stored_as_ciphertext(tenant):
    conn = StripeConnectionFactory(tenant=tenant, api_key=SECRET)
    raw = _raw_api_key(conn.pk)
    assert raw != SECRET
    assert SECRET not in raw
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET


@pytest.mark.django_db
def test_key_rotation_old_key_decrypts_new_key_encrypts(tenant, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    conn = StripeConnectionFactory(tenant=tenant, api_key=SECRET)

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET
    conn.save()  # re-encrypts with the first key
    raw = _raw_api_key(conn.pk)
    assert Fernet(new_key.encode()).decrypt(raw.encode()).decode() == SECRET

    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is retired
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET


@pytest.mark.django_db
def test_admin_never_shows_the_secret(client, tenant, django_user_model):
    StripeConnectionFactory(tenant=tenant, api_key=SECRET, webhook_secret="whsec_abcdefSECRET1234")
    staff = django_user_model.objects.create_superuser(
        "support@example.com", "support@example.com", "x-pass-123456"
    )
    client.force_login(staff)
    page = client.get(reverse("admin:syncapp_tenant_change", args=[tenant.pk])).content.decode()
    assert SECRET not in page
    assert "whsec_abcdefSECRET1234" not in page
    assert "•••• 6789" in page  # the masked form is shown instead


def test_masked_shows_only_the_last_four():
    assert crypto.masked(SECRET) == "•••• 6789"
    assert crypto.masked("") == ""


def test_log_filter_redacts_stripe_secrets(caplog):
    logger = logging.getLogger("syncapp.test")
    logger.addFilter(crypto.RedactSecretsFilter())
    with caplog.at_level(logging.INFO, logger="syncapp.test"):
        logger.info("connecting with %s", SECRET)
    assert SECRET not in caplog.text
    assert "sk_••••" in caplog.text


def test_log_filter_redacts_a_grant_token_in_a_request_line(caplog):
    logger = logging.getLogger("syncapp.test")
    logger.addFilter(crypto.RedactSecretsFilter())
    with caplog.at_level(logging.INFO, logger="syncapp.test"):
        logger.info('"GET /t/acme/connections/economic/callback/abc/?token=GrantTok3n-xyz&x=1 HTTP/1.1" 302')
    assert "GrantTok3n-xyz" not in caplog.text
    assert "?token=••••&x=1" in caplog.text
