"""Rows carry the Stripe account they are about, step 1 of 3 (0010 fills in every existing row's:
its tenant's first account, which `syncapp.0007` made of the tenant's one connection; 0011 then
requires it); and creates leave claims by match value (`CreateClaim`)."""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.db import migrations, models

ACCOUNT_OWNED = ("stripeevent", "customerlink", "syncrecord", "importrun", "reviewitem", "reconciliation")


def _account(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        null=null,
        blank=null,
        on_delete=django.db.models.deletion.SET_NULL if null else django.db.models.deletion.CASCADE,
        related_name="+",
        to="syncapp.stripeconnection",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_dry_run_report"),
        ("syncapp", "0008_stripe_account_names"),
    ]

    operations = [
        *[
            migrations.AddField(model_name=name, name="stripe_account", field=_account(null=True))
            for name in ACCOUNT_OWNED
        ],
        migrations.CreateModel(
            name="CreateClaim",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("agreement", models.CharField(max_length=40)),
                ("value_key", models.BigIntegerField()),
                ("economic_customer_number", models.BigIntegerField(blank=True, null=True)),
                ("started", models.DateTimeField(default=django.utils.timezone.now)),
                ("confirmed", models.DateTimeField(blank=True, null=True)),
                (
                    "link",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="create_claims",
                        to="customers.customerlink",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="syncapp.tenant"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["agreement", "value_key"], name="create_claim_value")],
            },
            managers=[("all_tenants", django.db.models.manager.Manager())],
        ),
    ]
