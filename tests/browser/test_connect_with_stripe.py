"""Connect with Stripe in Chromium: a new merchant signs up, clicks "Connect with Stripe",
approves in the emulator's consent screen, and a customer created in that Stripe account reaches
e-conomic through the platform's Connect endpoint and a real Celery worker. Then the merchant
removes the app in Stripe: the tenant is paused with a banner, and the owners get an e-mail."""

import pytest
from playwright.sync_api import expect

from customers.models import ConnectionPause, SyncRecord
from sandbox.economic_api.models import Customer as EconomicCustomer
from sandbox.stripe_api import control
from sandbox.stripe_api.seed import seed_account
from syncapp.models import ConnectionStatus, StripeConnection, Tenant
from tests.conftest import ROOT, wait_for
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import stripe_oauth_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def worker_env(live_server, tmp_path):
    # The worker refreshes tokens with the platform's key, and writes its e-mails to files here.
    return {**stripe_oauth_environment(live_server.url), "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}"}


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"connect-with-stripe-{name}.png"), full_page=True)


def test_sign_up_connect_with_stripe_sync_then_remove_the_app(
    page, live_server, stripe_platform, stripe_account, economic_agreement, celery_worker, tmp_path
):
    stripe_account.account.name = "Kobber Kaffe (Stripe)"
    stripe_account.account.save()
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Company name").fill("Kobber Kaffe IVS")
    page.get_by_label("E-mail").fill("ida@kobberkaffe.dk")
    page.get_by_label("Password").fill("correct horse battery 7")
    page.get_by_role("button", name="Sign up").click()
    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/connections/")
    shot(page, "1-connections")

    page.get_by_role("button", name="Connect with Stripe").click()
    consent = page.get_by_test_id("stripe-consent")
    expect(consent).to_contain_text("customers")
    page.get_by_label("Kobber Kaffe (Stripe)").check()
    shot(page, "2-consent")
    consent.get_by_role("button", name="Install app").click()

    expect(page.get_by_role("status")).to_contain_text("is connected through our Stripe App (test mode)")
    expect(page.get_by_test_id("stripe-status")).to_have_text("Connected")
    expect(page.get_by_test_id("stripe-account-id")).to_have_text(stripe_account.account.stripe_id)
    assert "code=" not in page.url
    page.get_by_role("button", name="Connect e-conomic").click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("economic-status")).to_have_text("Connected")
    shot(page, "3-connected")

    tenant = Tenant.objects.get(slug="kobber-kaffe-ivs")
    configure(tenant)
    made = stripe_account.create_customer(name="Solsort Tryk ApS", email="ordre@solsort-tryk.dk")
    wait_for(
        lambda: SyncRecord.objects.for_tenant(tenant).filter(stripe_customer_id=made["id"]).exists(),
        timeout=30,
        message="the customer synced",
    )
    record = SyncRecord.objects.for_tenant(tenant).get(stripe_customer_id=made["id"])
    assert record.action == SyncRecord.Action.CREATED and record.event is not None
    assert EconomicCustomer.objects.filter(
        agreement=economic_agreement.agreement, data__email="ordre@solsort-tryk.dk"
    ).exists()

    # The merchant removes our app in Stripe's Dashboard (the emulator's control endpoint).
    page.request.post(
        f"{live_server.url}/sandbox/stripe/_control/apps/uninstall",
        form={"client_id": stripe_platform.client_id},
        headers={"Authorization": f"Bearer {stripe_account.api_key}"},
    )
    wait_for(
        lambda: (
            StripeConnection.objects.for_tenant(tenant).get(name="Main").status == ConnectionStatus.REVOKED
        ),
        message="the connection revoked",
    )
    assert ConnectionPause.objects.for_tenant(tenant).get(service="stripe").active
    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/")
    expect(page.get_by_test_id("stripe-revoked-banner")).to_contain_text("was removed in Stripe")
    shot(page, "4-revoked")
    mails = tmp_path / "mail"
    wait_for(lambda: mails.exists() and any(mails.iterdir()), message="the owners' e-mail")
    text = "".join(path.read_text() for path in mails.iterdir())
    assert "ida@kobberkaffe.dk" in text and "Stripe access removed" in text

    # A second Stripe account, connected through the app beside the first; then the first again.
    second = control.account_for_key(seed_account())
    second.name = "Kobber Kaffe SE (Stripe)"
    second.save()
    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/connections/")
    add = page.get_by_test_id("stripe-add-app-form")
    add.get_by_label("Account name").fill("SE shop")
    add.get_by_role("button", name="Connect with Stripe").click()
    page.get_by_label("Kobber Kaffe SE (Stripe)").check()
    page.get_by_role("button", name="Install app").click()
    expect(page.get_by_role("status")).to_contain_text("Stripe account “SE shop” is connected")
    cards = page.get_by_test_id("stripe-connection")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="SE shop").get_by_test_id("stripe-account-id")).to_have_text(
        second.stripe_id
    )
    expect(cards.filter(has_text="Main").get_by_test_id("stripe-status")).to_have_text(
        "Access removed in Stripe"
    )
    shot(page, "5-two-accounts")

    cards.filter(has_text="Main").get_by_role("button", name="Connect with Stripe").click()
    page.get_by_label("Kobber Kaffe (Stripe)").check()
    page.get_by_role("button", name="Install app").click()
    expect(page.get_by_test_id("stripe-revoked-banner")).to_have_count(0)
    expect(cards.filter(has_text="Main").get_by_test_id("stripe-status")).to_have_text("Connected")
    assert not ConnectionPause.objects.for_tenant(tenant).get(service="stripe").active
