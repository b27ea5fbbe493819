import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

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
