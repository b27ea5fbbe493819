"""Several Stripe accounts per tenant, step 1 of 3: the account's name and webhook endpoint id.

Each tenant's one Stripe connection becomes its first named account ("Main"), and the webhook URL
moves from the tenant to the account, keeping its id, so the endpoint already registered at Stripe
keeps delivering (0007). The data step is a migration of its own: PostgreSQL refuses to alter a
table in the transaction that wrote its rows."""

from django.db import migrations, models

import syncapp.models

FIRST = "Main"


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0005_invitations")]

    operations = [
        migrations.RemoveConstraint(model_name="stripeconnection", name="one_stripe_connection_per_tenant"),
        migrations.AddField(
            model_name="stripeconnection",
            name="name",
            field=models.CharField(default=FIRST, max_length=60),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="stripeconnection",
            name="webhook_endpoint_id",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="tenant",
            name="webhook_endpoint_id",
            field=models.CharField(
                default=syncapp.models.new_webhook_endpoint_id, editable=False, max_length=64, null=True
            ),
        ),
    ]
