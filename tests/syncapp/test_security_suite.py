"""The security suite, generated where it can be so new routes are covered the day they are added:
every tenant URL × every role, another tenant's object ids, CSRF on every write, and secrets that
never reach the database in plaintext nor any log line."""

import base64
import logging
import re
import subprocess

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from customers.models import ImportRun, ReviewItem, StripeEvent, SyncRecord
from syncapp.connections.economic import economic_connect
from syncapp.connections.stripe import stripe_connect
from syncapp.models import Invitation, Role, Tenant, new_webhook_endpoint_id
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.factories import MembershipFactory, TenantFactory
from tests.fixtures_stripe import first_account
from tests.url_walker import fill, tenant_url_templates, url_parameters

ROUTES = tenant_url_templates()


def _other_tenants_record(other: Tenant) -> int:
    return (
        SyncRecord.objects.for_tenant(other)
        .create(stripe_customer_id="cus_theirs", action="failed", message="x")
        .pk
    )


def _review_item(other: Tenant) -> int:
    return (
        ReviewItem.objects.for_tenant(other)
        .create(stripe_account=first_account(other), stripe_customer_id="cus_theirs", candidates=[1, 2])
        .pk
    )


def _member(other: Tenant) -> int:
    return MembershipFactory(tenant=other, role=Role.VIEWER).pk


def _invitation(other: Tenant) -> int:
    invitation = Invitation.objects.for_tenant(other).create(
        email="x@example.com", role=Role.VIEWER, token_hash=new_webhook_endpoint_id(), expires=timezone.now()
    )
    return invitation.pk


def _event(other: Tenant) -> int:
    event = StripeEvent.objects.for_tenant(other).create(
        stripe_account=first_account(other),
        stripe_event_id=f"evt_{new_webhook_endpoint_id()}",
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id="cus_theirs",
        payload={},
    )
    return event.pk


def _import_run(other: Tenant) -> int:
    # A dry run: its report page is then really rendered (an import's page redirects to the log).
    return (
        ImportRun.objects.for_tenant(other)
        .create(stripe_account=first_account(other), started_by="x@example.com", dry_run=True)
        .pk
    )


# Each object id a tenant URL takes, made in a given tenant (another one, or the member's own to
# reach the page): a new parameter must be added here.
OTHER_TENANTS_OBJECTS = {
    "record_id": _other_tenants_record,
    "item_id": _review_item,
    "member_id": _member,
    "invitation_id": _invitation,
    "event_id": _event,
    "run_id": _import_run,
    "account_id": lambda other: first_account(other).pk,
}


def _client_as(tenant: Tenant, role: str, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(MembershipFactory(tenant=tenant, role=role).user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_a_viewer_may_read_but_every_post_is_refused(route, tenant):
    viewer = _client_as(tenant, Role.VIEWER)
    ids = {name: OTHER_TENANTS_OBJECTS[name](tenant) for kind, name in url_parameters(route) if kind == "int"}
    url = fill(route, tenant.slug, **ids)
    assert viewer.post(url).status_code == 403, f"POST {route}"
    assert viewer.get(url).status_code in (200, 302, 403, 405), f"GET {route}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_members_who_may_edit_reach_every_page_without_a_server_error(route, role, tenant):
    member = _client_as(tenant, role)
    # The page of an object of the member's own tenant, so a detail page is really rendered.
    ids = {name: OTHER_TENANTS_OBJECTS[name](tenant) for kind, name in url_parameters(route) if kind == "int"}
    response = member.get(fill(route, tenant.slug, **ids))
    assert response.status_code in (200, 302, 405), f"GET {route} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_every_write_needs_the_csrf_token(route, tenant):
    owner = _client_as(tenant, Role.OWNER, enforce_csrf_checks=True)
    assert owner.post(fill(route, tenant.slug)).status_code == 403, f"POST {route} without a CSRF token"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if any(kind == "int" for kind, _ in url_parameters(r))])
def test_another_tenants_object_ids_are_404(route, tenant):
    other = TenantFactory()
    ids = {name: OTHER_TENANTS_OBJECTS[name](other) for kind, name in url_parameters(route) if kind == "int"}
    owner = _client_as(tenant, Role.OWNER)
    for method in ("get", "post"):
        response = getattr(owner, method)(fill(route, tenant.slug, **ids))
        assert response.status_code in (404, 405), f"{method.upper()} {route} with another tenant's ids"
    assert SyncRecord.objects.for_tenant(tenant).count() == 0


def test_webhook_endpoint_ids_carry_at_least_128_random_bits():
    ids = {new_webhook_endpoint_id() for _ in range(1000)}
    assert len(ids) == 1000
    for endpoint_id in list(ids)[:20]:
        assert len(base64.urlsafe_b64decode(endpoint_id + "=" * (-len(endpoint_id) % 4))) * 8 >= 128


@pytest.fixture
def every_log_record():
    """Every record any logger emits during the test, at every level, before any filter."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(keep)
        lg.setLevel(logging.DEBUG)
    yield records
    for lg, level in levels:
        lg.removeHandler(keep)
        lg.setLevel(level)


def _pg_dump() -> str:
    """Our data as a backup would hold it; the emulators' tables stand for Stripe's and
    e-conomic's own databases, which hold their keys as those services do."""
    db = connection.settings_dict
    command = ["pg_dump", "--data-only", "--exclude-table=sandbox_*", "-h", db["HOST"] or "127.0.0.1"]
    command += ["-U", db["USER"] or "postgres", db["NAME"]]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.django_db(transaction=True)
def test_a_full_connect_flow_leaves_no_plaintext_secret_in_the_database_or_the_logs(
    client, tenant, economic_agreement, stripe_account, sandbox_urls, every_log_record
):
    economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    stripe = stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    body = as_body(customer_event("cus_A1", event_id="evt_secret_check"))
    webhook = client.post(
        reverse("stripe_webhook", args=[first_account(tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, stripe.webhook_secret),
    )
    assert webhook.status_code == 200
    secrets = [economic_agreement.grant_token, stripe_account.api_key, stripe.webhook_secret]

    dump = _pg_dump()
    assert tenant.slug in dump and "gAAAAA" in dump  # the rows are there, as Fernet tokens
    assert [s for s in secrets if s in dump] == []

    assert every_log_record, "the flow logs what it does"
    logged = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in every_log_record
    )
    assert [s for s in secrets if s in logged] == []


JUNK = st.one_of(
    st.text(max_size=60),
    st.integers().map(str),
    # Numbers of any size (issue 20): past 19 digits no column holds them, past 4,300 int() refuses.
    st.builds(
        str.__add__, st.sampled_from(["", "-", "remove-"]), st.text("0123456789", min_size=19, max_size=6000)
    ),
    st.sampled_from(["", "-1", "1e309", "²", "\x00", "[]", "9" * 4400, "remove-²"]),
)


def _field_names(page: str) -> list[str]:
    names = set(re.findall(r'name="([^"]+)"', page)) - {"csrfmiddlewaretoken"}
    return sorted(names) or ["anything"]


def _post_junk_everywhere(client: Client, url: str) -> None:
    names = _field_names(client.get(url).content.decode())

    @hypothesis_settings(max_examples=12, deadline=None, derandomize=True)
    @given(data=st.dictionaries(st.sampled_from(names), st.lists(JUNK, min_size=1, max_size=2)))
    def post(data):
        response = client.post(url, data)
        assert response.status_code < 500, f"POST {url} {data!r} answered {response.status_code}"

    post()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_junk_in_every_tenant_form_is_answered_never_a_500(route, tenant):
    _post_junk_everywhere(_client_as(tenant, Role.OWNER), fill(route, tenant.slug))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["signup", "login", "password_reset"])
def test_junk_in_the_sign_up_and_login_forms_is_answered_never_a_500(name, settings):
    settings.AXES_ENABLED = False  # junk logins would lock the address out, which is another test
    _post_junk_everywhere(Client(), reverse(name))


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if any(kind == "int" for kind, _ in url_parameters(r))])
@pytest.mark.parametrize("number", ["9" * 25, "9" * 4400], ids=["25-digits", "4400-digits"])
def test_a_huge_object_id_in_any_tenant_url_is_404_never_a_500(route, number, tenant):
    owner = _client_as(tenant, Role.OWNER)
    ids = {name: number for kind, name in url_parameters(route) if kind == "int"}
    for method in ("get", "post"):
        response = getattr(owner, method)(fill(route, tenant.slug, **ids))
        assert response.status_code in (404, 405), f"{method.upper()} {route} with id {number[:5]}…"
