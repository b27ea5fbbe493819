"""`staff_totp` gives a staff member the authenticator the admin's second factor asks for."""

import json

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_member_gets_one_confirmed_authenticator(capsys):
    staff = UserFactory(username="agent", email="Agent@Support.example", is_staff=True)
    call_command("staff_totp", "agent@support.example", "--json")
    call_command("staff_totp", "agent@support.example", "--json")  # a second run replaces the first
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed and out["config_url"] == device.config_url
    assert out["config_url"].startswith("otpauth://totp/")


def test_a_merchant_account_gets_none():
    UserFactory(username="owner@firma.dk")
    with pytest.raises(CommandError, match="No staff member"):
        call_command("staff_totp", "owner@firma.dk")
    assert not TOTPDevice.objects.exists()
