from django.db import migrations, models

BATCH = 500


def fill_stripe_email(apps, schema_editor):
    """Events stored before the field existed get the e-mail their payload carried."""
    StripeEvent = apps.get_model("customers", "StripeEvent")
    events = StripeEvent.all_tenants.filter(stripe_email="").only("pk", "payload").order_by("pk")
    batch = []
    for event in events.iterator(chunk_size=BATCH):
        data_object = ((event.payload or {}).get("data") or {}).get("object") or {}
        email = data_object.get("email") if isinstance(data_object, dict) else None
        if isinstance(email, str) and email.strip():
            event.stripe_email = email.strip()[:255]
            batch.append(event)
        if len(batch) >= BATCH:
            StripeEvent.all_tenants.bulk_update(batch, ["stripe_email"])
            batch = []
    if batch:
        StripeEvent.all_tenants.bulk_update(batch, ["stripe_email"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="stripeevent",
            name="stripe_email",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(fill_stripe_email, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="importrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("finished", "Finished"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
    ]
