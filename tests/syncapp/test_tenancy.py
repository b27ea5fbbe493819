"""The tenancy boundary: every tenant URL 404s for non-members and sends strangers to log in."""

import pytest
from django.urls import reverse

from syncapp.models import Membership, StripeConnection
from syncapp.tenancy import TenantScopeMissing
from tests.factories import MembershipFactory, TenantFactory
from tests.url_walker import fill, tenant_url_templates


def test_url_walker_finds_the_tenant_pages():
    routes = tenant_url_templates()
    assert "t/<slug:slug>/" in routes


@pytest.mark.django_db
@pytest.mark.parametrize("route", tenant_url_templates())
def test_non_member_gets_404_on_every_tenant_url(route, outsider_client, tenant):
    for method in ("get", "post"):
        response = getattr(outsider_client, method)(fill(route, tenant.slug))
        assert response.status_code == 404, f"{method.upper()} {route} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", tenant_url_templates())
def test_anonymous_user_is_sent_to_login_on_every_tenant_url(route, client, tenant):
    url = fill(route, tenant.slug)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_member_sees_their_dashboard(owner_client, tenant):
    response = owner_client.get(reverse("dashboard", args=[tenant.slug]))
    assert response.status_code == 200
    assert tenant.name in response.content.decode()


@pytest.mark.django_db
def test_scoped_manager_refuses_a_query_without_tenant(tenant):
    with pytest.raises(TenantScopeMissing):
        list(Membership.objects.all())
    with pytest.raises(TenantScopeMissing):
        Membership.objects.for_tenant(None)


@pytest.mark.django_db
def test_scoped_manager_returns_only_that_tenants_rows():
    first, second = MembershipFactory(), MembershipFactory()
    assert list(Membership.objects.for_tenant(first.tenant)) == [first]
    assert list(Membership.objects.for_tenant(second.tenant)) == [second]


@pytest.mark.django_db
def test_scoped_create_sets_the_tenant(tenant):
    connection = StripeConnection.objects.for_tenant(tenant).create(api_key="sk_test_abc123")
    assert connection.tenant == tenant


@pytest.mark.django_db
def test_member_of_two_tenants_can_switch(client):
    first = MembershipFactory()
    second = MembershipFactory(user=first.user, tenant=TenantFactory(name="Second Shop ApS"))
    client.force_login(first.user)
    home = client.get(reverse("home"))
    assert home.status_code == 200  # two tenants: the chooser
    page = client.get(reverse("dashboard", args=[first.tenant.slug])).content.decode()
    assert "Switch merchant" in page
    assert reverse("dashboard", args=[second.tenant.slug]) in page
    assert client.get(reverse("dashboard", args=[second.tenant.slug])).status_code == 200


@pytest.mark.django_db
def test_single_tenant_member_lands_on_dashboard(owner_client, tenant):
    response = owner_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[tenant.slug])
