"""`tenant_create --owner-email` finds accounts made in the admin, whose username is not an e-mail."""

import json

import pytest
from django.core.management import CommandError, call_command

from syncapp.models import Membership, Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_owner_found_by_email_when_username_is_not_the_email(capsys):
    user = UserFactory(username="anna.support", email="Anna@Firma.dk")
    call_command("tenant_create", "firma", "--name", "Firma ApS", "--owner-email", "anna@firma.dk")
    slug = json.loads(capsys.readouterr().out)["slug"]
    membership = Membership.all_tenants.get(tenant__slug=slug)
    assert (membership.user, membership.role) == (user, Role.OWNER)


@pytest.mark.django_db
def test_two_accounts_with_one_email_are_refused_not_guessed():
    UserFactory(username="a1", email="shared@firma.dk")
    UserFactory(username="a2", email="SHARED@firma.dk")
    with pytest.raises(CommandError, match="Several users"):
        call_command("tenant_create", "firma", "--name", "Firma ApS", "--owner-email", "shared@firma.dk")
