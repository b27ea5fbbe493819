"""Several Stripe accounts per tenant, step 3 of 3: the endpoint id is the account's alone, and a
tenant's accounts have names of their own."""

from django.db import migrations, models

import syncapp.models


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0007_first_stripe_accounts")]

    operations = [
        migrations.AlterField(
            model_name="stripeconnection",
            name="webhook_endpoint_id",
            field=models.CharField(
                default=syncapp.models.new_webhook_endpoint_id, editable=False, max_length=64, unique=True
            ),
        ),
        migrations.RemoveField(model_name="tenant", name="webhook_endpoint_id"),
        migrations.AlterModelOptions(name="stripeconnection", options={"ordering": ["id"]}),
        migrations.AddConstraint(
            model_name="stripeconnection",
            constraint=models.UniqueConstraint(fields=("tenant", "name"), name="one_stripe_account_name_per_tenant"),
        ),
    ]
