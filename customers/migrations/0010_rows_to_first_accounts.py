"""Rows carry the Stripe account they are about, step 2 of 3: every existing row gets its tenant's
first account."""

from django.db import migrations

ACCOUNT_OWNED = ("stripeevent", "customerlink", "syncrecord", "importrun", "reviewitem", "reconciliation")


def rows_to_first_accounts(apps, schema_editor):
    StripeConnection = apps.get_model("syncapp", "StripeConnection")
    first = {}
    for connection in StripeConnection._default_manager.order_by("-id"):
        first[connection.tenant_id] = connection.pk  # the lowest id wins: ordered descending
    for model_name in ACCOUNT_OWNED:
        model = apps.get_model("customers", model_name)
        for tenant_id, account_id in first.items():
            model._default_manager.filter(tenant_id=tenant_id).update(stripe_account_id=account_id)


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_stripe_accounts_and_create_claims")]

    operations = [migrations.RunPython(rows_to_first_accounts, migrations.RunPython.noop)]
