"""Several Stripe accounts per tenant, step 2 of 3: every tenant's first account ("Main") holds the
webhook endpoint id its tenant had. A tenant that never connected Stripe gets its first account
too (not connected), so its webhook URL is known before it connects."""

from django.db import migrations

FIRST = "Main"


def tenants_first_account(apps, schema_editor):
    Tenant = apps.get_model("syncapp", "Tenant")
    StripeConnection = apps.get_model("syncapp", "StripeConnection")
    for tenant in Tenant.objects.all():
        connection = StripeConnection._default_manager.filter(tenant=tenant).order_by("id").first()
        if connection is None:
            connection = StripeConnection(tenant=tenant)
        connection.name = FIRST
        connection.webhook_endpoint_id = tenant.webhook_endpoint_id
        connection.save()


def accounts_back_to_tenants(apps, schema_editor):
    Tenant = apps.get_model("syncapp", "Tenant")
    StripeConnection = apps.get_model("syncapp", "StripeConnection")
    for tenant in Tenant.objects.all():
        first = StripeConnection._default_manager.filter(tenant=tenant).order_by("id").first()
        if first is not None:
            tenant.webhook_endpoint_id = first.webhook_endpoint_id
            tenant.save(update_fields=["webhook_endpoint_id"])
        StripeConnection._default_manager.filter(tenant=tenant).exclude(pk=getattr(first, "pk", None)).delete()


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0006_several_stripe_accounts")]

    operations = [migrations.RunPython(tenants_first_account, accounts_back_to_tenants)]
