import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from mappings.document import default_document
from syncapp.models import (
    FIRST_STRIPE_ACCOUNT_NAME,
    ConnectionStatus,
    EconomicConnection,
    Membership,
    Role,
    StripeConnection,
    Tenant,
    VerifiedEmail,
)

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def email_verified(user, create, extracted, **kwargs):
        """Verified, as an account that opened its link is; `email_verified=False` for a new sign-up."""
        if create and extracted is not False and user.email:
            VerifiedEmail.objects.update_or_create(user=user, defaults={"email": user.email.lower()})


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"merchant-{n}")
    name = factory.Sequence(lambda n: f"Merchant {n} ApS")

    @factory.post_generation
    def first_stripe_account(tenant, create, extracted, **kwargs):
        """As `tenant_create` does: the first Stripe account, not connected yet."""
        if create:
            StripeConnection.all_tenants.get_or_create(tenant=tenant, name=FIRST_STRIPE_ACCOUNT_NAME)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        # Factories go through the explicit cross-tenant manager, like the admin does.
        django_get_or_create = ("tenant", "user")

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.all_tenants


class _ConnectionFactory(factory.django.DjangoModelFactory):
    """A connected service. Secrets are set as model fields, so they are encrypted on save as the
    product stores them."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)
    status = ConnectionStatus.CONNECTED
    verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.all_tenants


class EconomicConnectionFactory(_ConnectionFactory):
    class Meta:
        model = EconomicConnection

    grant_token = factory.Sequence(lambda n: f"grant-{n:04d}-" + "g" * 32)
    agreement_number = factory.Sequence(lambda n: 100000 + n)
    company_name = factory.Sequence(lambda n: f"Firma {n} ApS")


class StripeConnectionFactory(_ConnectionFactory):
    """The tenant's first Stripe account, connected (`name=` another: a further account)."""

    class Meta:
        model = StripeConnection

    name = FIRST_STRIPE_ACCOUNT_NAME

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The tenant has its first account from the start: connecting it fills that row in.
        account = model_class.all_tenants.filter(tenant=kwargs["tenant"], name=kwargs["name"]).first()
        if account is None:
            return super()._create(model_class, *args, **kwargs)
        for name, value in kwargs.items():
            setattr(account, name, value)
        account.save()
        return account

    api_key = factory.Sequence(lambda n: f"sk_test_{n:04d}" + "k" * 20)
    webhook_secret = factory.Sequence(lambda n: f"whsec_{n:04d}" + "s" * 28)
    livemode = False


# e-conomic lists seeded in every sandbox agreement: Netto 30, Domestic, DKK, layout 19.
COMPLETE_DEFAULTS = {
    "payment_terms_number": 1,
    "customer_group_number": 1,
    "vat_zone_number": 1,
    "currency": "DKK",
    "layout_number": 19,
}


def settings_document(*, complete: bool = True, **sections) -> dict:
    """A settings document: the defaults a tenant starts with, with complete customer defaults
    unless `complete=False`, and the sections given merged one level deep."""
    document = default_document()
    if complete:
        document["defaults"] = {**document["defaults"], **COMPLETE_DEFAULTS}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return document
