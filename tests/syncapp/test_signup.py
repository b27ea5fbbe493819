import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from syncapp import services
from syncapp.models import Membership, Tenant
from tests.factories import UserFactory

User = get_user_model()
GOOD = {
    "company_name": "Nordlys Design ApS",
    "email": "Anna@Nordlys.dk",
    "password": "correct horse battery 7",
}


@pytest.mark.django_db
def test_signup_creates_user_tenant_and_owner_membership(client):
    response = client.post(reverse("signup"), GOOD)
    tenant = Tenant.objects.get(name="Nordlys Design ApS")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[tenant.slug])
    assert tenant.slug == "nordlys-design-aps"
    user = User.objects.get(username="anna@nordlys.dk")
    assert Membership.objects.for_tenant(tenant).get(user=user).role == "owner"


@pytest.mark.django_db
def test_signup_with_a_taken_company_slug_gets_a_free_one(client):
    client.post(reverse("signup"), GOOD)
    client.logout()
    client.post(reverse("signup"), {**GOOD, "email": "bo@other.dk"})
    assert sorted(Tenant.objects.values_list("slug", flat=True)) == [
        "nordlys-design-aps",
        "nordlys-design-aps-2",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password": "123"}, "password", "This password is too short"),
        ({"password": "password1"}, "password", "This password is too common."),
        ({"company_name": ""}, "company_name", "This field is required."),
    ],
)
def test_bad_signup_shows_the_error_and_creates_nothing(client, change, field, message):
    response = client.post(reverse("signup"), {**GOOD, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert any(message in e for e in response.context["form"].errors[field])
    assert not User.objects.exists()
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_signup_with_an_existing_email_says_log_in(client):
    UserFactory(username="anna@nordlys.dk")
    response = client.post(reverse("signup"), GOOD)
    assert "already exists" in response.content.decode()
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_a_200_character_email_is_a_form_error_not_a_crash(client):
    email = "a" * 189 + "@nordlys.dk"
    assert len(email) == 200
    response = client.post(reverse("signup"), {**GOOD, "email": email})
    assert response.status_code == 200
    assert "at most 150 characters" in response.context["form"].errors["email"][0]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_an_email_longer_than_a_username(client):
    with pytest.raises(ValidationError) as excinfo:
        services.user_signup(email="a" * 190 + "@nordlys.dk", password=GOOD["password"], company_name="X")
    assert "at most 150 characters" in excinfo.value.message_dict["email"][0]


@pytest.mark.django_db
def test_signups_are_limited_per_client_address(client, settings):
    settings.SIGNUP_RATE_PER_HOUR = 2
    bad = {**GOOD, "password": "123"}  # attempts count, whether they succeed or not
    for _ in range(2):
        assert client.post(reverse("signup"), bad, REMOTE_ADDR="203.0.113.7").status_code == 200
    refused = client.post(reverse("signup"), GOOD, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many sign-ups from your address" in refused.content.decode()
    assert not User.objects.exists()
    # The form itself still shows, and another address can sign up.
    assert client.get(reverse("signup"), REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.post(reverse("signup"), GOOD, REMOTE_ADDR="198.51.100.9").status_code == 302


def _sign_up_at_once(monkeypatch, *forms, meet_after):
    """Post the sign-ups from threads that all pass `meet_after` (a function the service calls)
    before any of them goes on: the race that a unique constraint, not a pre-check, must decide."""
    barrier = threading.Barrier(len(forms), timeout=20)
    original = getattr(services, meet_after)
    met = threading.local()

    def then_meet(*args, **kwargs):
        result = original(*args, **kwargs)
        if not getattr(met, "done", False):  # a retry goes on alone
            met.done = True
            barrier.wait()
        return result

    monkeypatch.setattr(services, meet_after, then_meet)
    responses = [None] * len(forms)

    def post(index, form):
        try:
            responses[index] = Client().post(reverse("signup"), form, REMOTE_ADDR=f"203.0.113.{index + 1}")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, form)) for i, form in enumerate(forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.django_db(transaction=True)
def test_two_signups_with_one_email_at_once_make_one_account_and_one_form_error(monkeypatch):
    second = {**GOOD, "company_name": "Nordlys Two"}
    responses = _sign_up_at_once(monkeypatch, GOOD, second, meet_after="validate_password")
    assert sorted(r.status_code for r in responses) == [200, 302]
    [refused] = [r for r in responses if r.status_code == 200]
    assert "An account with this e-mail already exists" in refused.context["form"].errors["email"][0]
    assert User.objects.filter(username="anna@nordlys.dk").count() == 1
    assert Tenant.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_signups_for_one_company_name_at_once_both_succeed(monkeypatch):
    second = {**GOOD, "email": "bo@nordlys.dk"}
    responses = _sign_up_at_once(monkeypatch, GOOD, second, meet_after="unique_tenant_slug")
    assert [r.status_code for r in responses] == [302, 302]
    assert sorted(Tenant.objects.values_list("slug", flat=True)) == [
        "nordlys-design-aps",
        "nordlys-design-aps-2",
    ]
