"""Rows carry the Stripe account they are about, step 3 of 3: required (a sync record keeps its own
when an account is gone), and reconciliation runs per account."""

import django.db.models.deletion
from django.db import migrations, models

REQUIRED = ("stripeevent", "customerlink", "importrun", "reviewitem", "reconciliation")


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_rows_to_first_accounts")]

    operations = [
        migrations.RemoveConstraint(model_name="reconciliation", name="one_reconciliation_per_tenant"),
        *[
            migrations.AlterField(
                model_name=name,
                name="stripe_account",
                field=models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+", to="syncapp.stripeconnection"
                ),
            )
            for name in REQUIRED
        ],
        migrations.AddConstraint(
            model_name="reconciliation",
            constraint=models.UniqueConstraint(
                fields=("stripe_account",), name="one_reconciliation_per_stripe_account"
            ),
        ),
    ]
