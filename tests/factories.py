import factory
from django.contrib.auth import get_user_model

from syncapp.models import Membership, Role, Tenant

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password(PASSWORD)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"merchant-{n}")
    name = factory.Sequence(lambda n: f"Merchant {n} ApS")


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
