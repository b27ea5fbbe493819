import secrets

from django.db import migrations, models

import syncapp.models


def give_each_its_own(apps, schema_editor):
    EconomicConnection = apps.get_model("syncapp", "EconomicConnection")
    for connection in EconomicConnection._base_manager.filter(notification_id__isnull=True):
        connection.notification_id = secrets.token_urlsafe(24)
        connection.save(update_fields=["notification_id"])


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0010_stripe_oauth_grants")]

    operations = [
        migrations.AddField(
            model_name="economicconnection",
            name="notification_id",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunPython(give_each_its_own, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="economicconnection",
            name="notification_id",
            field=models.CharField(
                max_length=64, unique=True, default=syncapp.models.new_webhook_endpoint_id, editable=False
            ),
        ),
    ]
