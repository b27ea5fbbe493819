"""Issue 20, the edges a review found (items 2 and 4 to 9; the support console's are in
tests/admin/test_support_least_privilege.py): spoofed client addresses, exports, invitations and
e-mail, junk numbers and signed junk, metrics labels, CSP, future signatures, the placeholder
secret key, /readyz, and the sandbox's grant page."""

import csv
import io
import json
import re
import smtplib
import time
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from customers.models import ImportRun, StripeEvent, SyncRecord
from sandbox.economic_api.grants import agreement_hold
from sandbox.economic_api.models import Agreement, Grant
from sandbox.economic_api.seed import DEFAULT_APP_PUBLIC, seed_agreement
from syncapp import members, proxies
from syncapp.export import tenant_export
from syncapp.models import Invitation, Role, Tenant, ViewAsSession
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures_stripe import connect_stripe, first_account
from tests.syncapp.test_operations import PRODUCTION_ENV, ROOT, _assert_refused_naming, _manage

pytestmark = pytest.mark.django_db
SECRET = "whsec_review_signing_secret_0123456789"
ATTACKER, PROXY = "203.0.113.7", "10.0.0.2"

# --- item 2: client addresses --------------------------------------------------------------------


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored_and_the_lockout_still_triggers(
    client, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    UserFactory(username="anna@nordlys.dk")
    answers = [
        client.post(
            "/login/",
            {"username": "anna@nordlys.dk", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",  # a new address on every try
        ).status_code
        for n in range(6)
    ]
    assert answers == [200, 200, 200, 200, 429, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_a_spoofed_forwarded_for_does_not_escape_the_sign_up_limit(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.SIGNUP_RATE_PER_HOUR = 2
    bad = {"company_name": "X", "email": "not-an-email", "password": "x"}
    answers = [
        client.post(reverse("signup"), bad, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]


def _through_the_middleware(remote: str, **headers):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    return proxies.ProxyHeadersMiddleware(lambda r: r)(request)


def test_forwarded_proto_counts_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forged = _through_the_middleware(ATTACKER, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert not forged.is_secure() and "HTTP_X_FORWARDED_FOR" not in forged.META
    assert proxies.client_address(forged) == ATTACKER
    ours = _through_the_middleware(PROXY, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert ours.is_secure() and proxies.client_address(ours) == ATTACKER


def test_a_junk_forwarded_hop_from_our_proxy_is_not_taken_for_an_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-ip")
    assert proxies.client_address(request) == PROXY


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TRUSTED_PROXY_COUNT": "1"}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,lb"}, "TRUSTED_PROXIES"),
    ],
    ids=["the-old-count", "not-a-network"],
)
def test_the_app_refuses_to_start_with_a_proxy_setting_it_cannot_honour(env, name):
    _assert_refused_naming(_manage("check", env={**PRODUCTION_ENV, **env}), name)


def test_compose_publishes_the_web_port_on_localhost_only():
    import yaml

    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8000:8000"]
    example = (ROOT / ".env.example").read_text()
    assert "TRUSTED_PROXIES=" in example and "TRUSTED_PROXY_COUNT=" not in example
    assert "`TRUSTED_PROXIES`" in (ROOT / "README.md").read_text()


# --- item 4: exports -----------------------------------------------------------------------------


def _export_tables(tenant: Tenant) -> dict[str, str]:
    out = io.BytesIO()
    tenant_export(tenant=tenant, out=out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_the_export_writes_formulas_as_text_and_names_support_staff_by_their_role(tenant):
    staff = UserFactory(username="agent@support.example", is_staff=True)
    ViewAsSession.objects.create(staff=staff, staff_email=staff.email, tenant=tenant)
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_1", stripe_email='=HYPERLINK("http://x")', action="failed", message="@SUM(1)"
    )
    ImportRun.objects.for_tenant(tenant).create(stripe_account=first_account(tenant), started_by=staff.email)
    tables = _export_tables(tenant)
    everything = "".join(tables.values())
    assert staff.email not in everything
    rows = list(csv.DictReader(io.StringIO(tables["customers_syncrecord.csv"])))
    assert (rows[0]["stripe_email"], rows[0]["message"]) == ('\'=HYPERLINK("http://x")', "'@SUM(1)")
    views = list(csv.DictReader(io.StringIO(tables["syncapp_viewassession.csv"])))
    assert (views[0]["staff_email"], views[0]["staff__email"]) == ("support staff", "support staff")
    assert json.loads(tables["customers_importrun.json"])[0]["started_by"] == "support staff"
    # The JSON keeps the value as it is (a JSON reader runs no formula).
    assert json.loads(tables["customers_syncrecord.json"])[0]["message"] == "@SUM(1)"


# --- item 5: invitations and e-mail --------------------------------------------------------------


def _invite(client, tenant, email):
    return client.post(reverse("member_invite", args=[tenant.slug]), {"email": email, "role": "viewer"})


def test_invitations_are_limited_per_tenant_per_hour(owner_client, tenant, settings):
    settings.INVITATIONS_PER_HOUR = 2
    for n in range(3):
        _invite(owner_client, tenant, f"person{n}@firma.dk")
    assert Invitation.objects.for_tenant(tenant).count() == 2 and len(mail.outbox) == 2
    page = owner_client.get(reverse("members", args=[tenant.slug])).content.decode()
    assert "sent 2 invitations in the past hour, the most we send" in page
    # Another merchant is not held back by this one.
    other = MembershipFactory(role=Role.OWNER)
    members.invitation_create(tenant=other.tenant, email="a@b.dk", role="viewer", invited_by=other.user)


def test_a_new_owner_verifies_the_email_before_inviting_and_can_connect_meanwhile(client):
    signup = {
        "company_name": "Nordlys ApS",
        "email": "anna@nordlys.dk",
        "password": "correct horse battery 7",
    }
    assert client.post(reverse("signup"), signup).status_code == 302
    tenant = Tenant.objects.get(name="Nordlys ApS")
    (verification,) = mail.outbox
    assert verification.to == ["anna@nordlys.dk"]
    link = re.search(r"https?://\S+/verify-email/\S+/", verification.body).group(0)
    assert client.get(reverse("connections", args=[tenant.slug])).status_code == 200

    refused = client.post(
        reverse("member_invite", args=[tenant.slug]),
        {"email": "bo@nordlys.dk", "role": "viewer"},
        follow=True,
    )
    assert "Verify your e-mail address first" in refused.content.decode()
    assert not Invitation.objects.for_tenant(tenant).exists()
    page = client.get(reverse("members", args=[tenant.slug])).content.decode()
    assert 'data-testid="verify-email"' in page

    client.logout()  # the link works signed out too: it proves the mailbox, not the session
    opened = client.get("/" + link.split("/", 3)[3])
    assert opened.status_code == 200 and "anna@nordlys.dk is verified" in opened.content.decode()
    client.force_login(tenant_owner(tenant))
    assert _invite(client, tenant, "bo@nordlys.dk").status_code == 302
    assert Invitation.objects.for_tenant(tenant).get().email == "bo@nordlys.dk"


def test_a_tampered_or_expired_verification_link_is_refused(client, settings):
    user = UserFactory(email_verified=False)
    from syncapp.verification import email_verified, verification_url

    link = "/" + verification_url(user=user).split("/", 3)[3]
    assert client.get(link[:-3] + "xx/").status_code == 410
    assert not email_verified(user=user)


def test_a_company_name_with_line_breaks_invites_without_a_500(owner_client, tenant):
    tenant.name = "Nordlys\r\nBcc: everyone@example.com\nApS"
    tenant.save()
    assert _invite(owner_client, tenant, "bo@firma.dk").status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Join Nordlys Bcc: everyone@example.com ApS on Stripe ↔ e-conomic sync"
    assert Invitation.objects.for_tenant(tenant).count() == 1


def test_closing_an_account_with_line_breaks_in_its_name_sends_one_line_subject(tenant, owner):
    from syncapp.offboarding import tenant_close

    tenant.name = "Evil\nName"
    tenant.save()
    tenant_close(tenant=tenant, user=owner)
    (message,) = mail.outbox
    assert message.subject.startswith("Evil Name: your account is closed")


def test_an_invitation_whose_email_cannot_be_sent_leaves_nothing_behind(owner_client, tenant, monkeypatch):
    def refuse(**kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    earlier, _ = members.invitation_create(
        tenant=tenant, email="bo@firma.dk", role="viewer", invited_by=tenant_owner(tenant)
    )
    monkeypatch.setattr(members, "mail_send", refuse)
    answer = _invite(owner_client, tenant, "bo@firma.dk")
    assert answer.status_code == 302
    assert list(Invitation.objects.for_tenant(tenant)) == [earlier]
    earlier.refresh_from_db()
    assert earlier.revoked_at is None  # the earlier link still works: nothing was half done


def tenant_owner(tenant):
    return tenant_membership(tenant).user


def tenant_membership(tenant):
    from syncapp.models import Membership

    return Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).select_related("user").first()


def test_a_forgotten_password_is_reset_through_a_link_and_proves_the_email(client, settings):
    settings.SITE_URL = "https://sync.example.com"
    user = UserFactory(username="anna@nordlys.dk", email_verified=False)
    answer = client.post(reverse("password_reset"), {"email": "Anna@Nordlys.dk"})
    assert answer.status_code == 302 and answer["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    link = re.search(r"https://sync\.example\.com(/password-reset/\S+/)", message.body).group(1)
    assert "testserver" not in message.body  # the link is built on SITE_URL, not on the Host header
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase 9", "new_password2": "a brand new passphrase 9"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase 9")
    from syncapp.verification import email_verified

    assert email_verified(user=user)
    assert client.get(link, follow=True).context["validlink"] is False  # once only


def test_password_reset_e_mails_are_limited_per_address(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR = 2
    UserFactory(username="anna@nordlys.dk")
    answers = [client.post(reverse("password_reset"), {"email": "anna@nordlys.dk"}) for _ in range(4)]
    assert {a.status_code for a in answers} == {302}  # the same answer: nothing tells a limit apart
    assert len(mail.outbox) == 2
    assert client.post(reverse("password_reset"), {"email": "nobody@nordlys.dk"}).status_code == 302


def test_the_login_page_offers_the_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


# --- item 6: no 500 on junk ----------------------------------------------------------------------

HUGE = "9" * 4400


def test_a_settings_document_with_a_5000_digit_number_is_refused_clearly(owner_client, tenant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = '{"version": 1, "defaults": {"layout_number": ' + "1" * 5000 + "}}"
    upload = SimpleUploadedFile("settings.json", document.encode(), content_type="application/json")
    response = owner_client.post(reverse("mappings:transfer", args=[tenant.slug]), {"file": upload})
    assert response.status_code in (200, 400)
    assert "holds a number of 5,000 digits" in response.content.decode()


@pytest.mark.parametrize("term", [HUGE, "²", "9" * 25, "cus_\x00", "-" + HUGE])
def test_junk_in_the_sync_log_search_is_answered(owner_client, tenant, term):
    response = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"q": term})
    assert response.status_code == 200


@pytest.mark.parametrize("term", [HUGE, "²", "9" * 25, "anna\x00@firma.dk"])
def test_junk_in_every_admin_search_is_answered(client, term):
    from django.contrib import admin

    from tests.conftest import admin_login

    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    searchable = [model for model, model_admin in admin.site._registry.items() if model_admin.search_fields]
    assert len(searchable) > 10
    for model in searchable:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url, {"q": term}).status_code == 200, url


def _signed_post(client, tenant, event: dict | str):
    body = event.encode() if isinstance(event, str) else as_body(event)
    return client.post(
        reverse("stripe_webhook", args=[first_account(tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, SECRET),
    )


@pytest.fixture
def webhook_tenant(db):
    tenant = TenantFactory()
    connect_stripe(tenant, "sk_test_x1234567", webhook_secret=SECRET)
    return tenant


def _event(**fields):
    return {**customer_event("cus_A1", event_id="evt_junk"), **fields}


SIGNED_JUNK = {
    "created-text": _event(created="abc"),
    "created-huge": _event(created=10**30),
    "created-bool": _event(created=True),
    "data-text": _event(data="x"),
    "object-list": _event(data={"object": [1]}),
    "object-missing": _event(data={}),
    "id-long": _event(id="evt_" + "x" * 300),
    "id-number": _event(id=12),
    "id-nul": _event(id="evt_\x00"),
    "type-long": _event(type="customer." + "x" * 200),
    "customer-long": _event(data={"object": {"id": "cus_" + "x" * 300}}),
    "customer-number": _event(data={"object": {"id": 5}}),
    "account-list": _event(account=["acct_1"]),
    "nul-deep": _event(data={"object": {"id": "cus_1", "name": "a\x00b"}}),
    "nul-key": _event(data={"object": {"id": "cus_1", "metadata": {"k\x00": "v"}}}),
    "surrogate": '{"id": "evt_s", "type": "customer.updated", "created": 1700000000, '
    '"data": {"object": {"id": "cus_1", "name": "\\ud800"}}}',
}


@pytest.mark.parametrize("event", list(SIGNED_JUNK.values()), ids=list(SIGNED_JUNK))
def test_a_signed_junk_event_is_refused_with_a_reason_never_a_500(client, webhook_tenant, event):
    response = _signed_post(client, webhook_tenant, event)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Not a Stripe event: ")
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


def test_other_event_types_without_an_object_are_still_stored(client, webhook_tenant):
    response = _signed_post(client, webhook_tenant, _event(type="v2.core.event", data=None))
    assert response.status_code == 200 and response.json()["status"] == "ignored"


JUNK_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
EVENT_FIELDS = ["id", "type", "created", "account", "livemode", "data", "object"]


def test_junk_in_any_field_of_a_signed_event_is_answered_never_a_500(client, webhook_tenant):
    @hypothesis_settings(max_examples=60, deadline=None, derandomize=True)
    @given(
        fields=st.dictionaries(st.sampled_from(EVENT_FIELDS + ["data.object", "data.object.id"]), JUNK_VALUES)
    )
    def post(fields):
        event = _event()
        for name, value in fields.items():
            if name == "data.object":
                event["data"] = {"object": value}
            elif name == "data.object.id":
                event["data"] = {"object": {"id": value}}
            else:
                event[name] = value
        event["id"] = event["id"] if fields.get("id") is not None else f"evt_{time.monotonic_ns()}"
        response = _signed_post(client, webhook_tenant, event)
        assert response.status_code < 500, (fields, response.content)

    post()


@pytest.mark.parametrize("length", ["²", HUGE])
def test_a_junk_content_length_is_refused_never_a_500(client, webhook_tenant, length):
    response = client.post(
        reverse("stripe_webhook", args=[first_account(webhook_tenant).webhook_endpoint_id]),
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=length,
    )
    assert response.status_code == 413


# --- item 7: metrics cardinality ------------------------------------------------------------------


def test_a_signed_event_of_any_type_counts_as_other_and_puts_no_text_in_metrics(
    client, webhook_tenant, settings
):
    from syncapp import metrics

    settings.METRICS_TOKEN = "scrape"
    metrics.write_pending()  # earlier tests' counts in this process, before the slate is wiped
    metrics._redis().delete(metrics.REDIS_KEY)
    strange = 'evil"} 1\nsyncapp_fake{a="b'
    assert _signed_post(client, webhook_tenant, _event(type=strange)).status_code == 200
    assert (
        _signed_post(client, webhook_tenant, _event(id="evt_2", type="customer.created")).status_code == 200
    )
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode()
    assert "evil" not in scraped and "syncapp_fake" not in scraped
    assert 'syncapp_stripe_events_received_total{duplicate="false",type="other"} 1.0' in scraped
    assert 'syncapp_stripe_events_received_total{duplicate="false",type="customer.created"} 1.0' in scraped


# --- item 8: CSP, future signatures, the placeholder secret key, /readyz -------------------------


@pytest.mark.parametrize("path", ["/login/", "/signup/", "/admin/login/"])
def test_pages_send_a_content_security_policy_of_our_own_files_only(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_a_signature_from_the_future_is_refused(client, webhook_tenant):
    body = as_body(_event())
    future = int(time.time()) + 301
    response = client.post(
        reverse("stripe_webhook", args=[first_account(webhook_tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, SECRET, timestamp=future),
    )
    assert response.status_code == 400 and response.json() == {"error": "Invalid Stripe-Signature."}
    near = stripe_signature(body, SECRET, timestamp=int(time.time()) + 60)  # a clock a minute ahead
    assert _post_signed(client, webhook_tenant, body, near).status_code == 200


def _post_signed(client, tenant, body, signature):
    return client.post(
        reverse("stripe_webhook", args=[first_account(tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


@pytest.mark.parametrize("name", ["SECRET_KEY", "ECONOMIC_APP_SECRET_TOKEN"])
def test_production_refuses_the_placeholder_values_of_env_example(name):
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example[name].startswith("change-me")
    result = _manage("check", "--deploy", env={**PRODUCTION_ENV, name: example[name]})
    _assert_refused_naming(result, name)
    assert example[name] not in result.stderr


def test_readyz_gives_details_only_to_the_metrics_token(client, settings):
    settings.METRICS_TOKEN = "monitor"
    plain = client.get("/readyz")
    assert plain.status_code == 200 and set(plain.json()) == {"status"}
    assert client.get("/readyz", HTTP_AUTHORIZATION="Bearer wrong").json().keys() == {"status"}
    detailed = client.get("/readyz", HTTP_AUTHORIZATION="Bearer monitor").json()
    assert {"status", "database", "broker", "sync"} <= set(detailed)


# --- item 9: the sandbox's grant page -----------------------------------------------------------


def _callback(slug: str) -> str:
    return f"{settings.SITE_URL}/t/{slug}/connections/economic/callback/state123/"


def _grant(client, redirect_url: str, method="get", **extra):
    data = {"appPublicToken": DEFAULT_APP_PUBLIC, "redirectUrl": redirect_url, **extra}
    return getattr(client, method)("/sandbox/economic/requestaccess.aspx", data)


@pytest.mark.parametrize(
    "redirect_url",
    ["https://evil.example/steal", "http://127.0.0.1:8000/login/", "http://127.0.0.1:8000.evil.example/t/a/"],
)
def test_the_grant_page_sends_tokens_only_to_our_own_callback(client, economic_app_settings, redirect_url):
    seed_agreement()
    assert _grant(client, redirect_url).status_code == 400
    assert _grant(client, redirect_url, method="post").status_code == 400


def test_the_grant_page_never_hands_out_another_signups_agreement_or_stored_token(
    client, economic_app_settings
):
    held_token = seed_agreement(company_name="Theirs ApS")
    theirs = Grant.objects.get(token=held_token).agreement
    agreement_hold(agreement_number=theirs.agreement_number, signup="theirs")

    asked = _grant(client, _callback("mine"), method="post", agreementNumber=theirs.agreement_number)
    assert asked.status_code == 400 and "belongs to another sign-up" in asked.content.decode()

    page = _grant(client, _callback("mine"))
    offered = int(re.search(r'name="agreementNumber" value="(\d+)"', page.content.decode()).group(1))
    assert offered != theirs.agreement_number
    accepted = _grant(client, _callback("mine"), method="post", agreementNumber=offered)
    token = parse_qs(urlsplit(accepted["Location"]).query)["token"][0]
    assert token != held_token and Grant.objects.get(token=token).agreement.agreement_number == offered
    assert Agreement.objects.get(agreement_number=offered).granted_to == "mine"
    again = _grant(client, _callback("mine"), method="post", agreementNumber=offered)
    assert parse_qs(urlsplit(again["Location"]).query)["token"][0] not in (token, held_token)


def test_the_demo_account_button_holds_its_agreement_for_its_tenant(tenant, economic_app_settings, settings):
    from sandbox.demo import sandbox_account_connect

    seeded = sandbox_account_connect(tenant=tenant, customers=2)
    agreement = Agreement.objects.get(agreement_number=seeded["economic"]["agreement_number"])
    assert agreement.granted_to == tenant.slug


def test_password_reset_and_verification_pages_are_behind_no_login(client):
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("email_verify", args=["junk"])).status_code == 410
