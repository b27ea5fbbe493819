"""The guided go-live on the dashboard: connect e-conomic → connect Stripe → defaults → dry run →
import → live, each step done, next, or still to come."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import ImportRun, SyncRecord
from mappings.engine.types import REQUIRED_DEFAULTS
from mappings.selectors import sync_settings_for
from mappings.wording import default_words
from syncapp.connections.common import Service
from syncapp.connections.selectors import connections_summary
from syncapp.models import ConnectionStatus, Tenant


@dataclass
class Step:
    key: str
    label: str
    done: bool
    url: str
    hint: str
    state: str = "todo"  # done | next | todo


def golive_steps(tenant: Tenant) -> list[Step]:
    summary = connections_summary(tenant=tenant)
    connected = {s: summary[s]["status"] == ConnectionStatus.CONNECTED for s in Service}
    imports = ImportRun.objects.for_tenant(tenant)
    dry_run = imports.filter(dry_run=True, status=ImportRun.Status.FINISHED).first()  # the latest
    missing_defaults = sync_settings_for(tenant=tenant).missing_defaults
    slug = tenant.slug
    steps = [
        Step(
            "economic",
            _("Connect e-conomic"),
            connected[Service.ECONOMIC],
            reverse("connections", args=[slug]),
            _("Approve our app in e-conomic."),
        ),
        Step(
            "stripe",
            _("Connect Stripe"),
            connected[Service.STRIPE],
            reverse("connections", args=[slug]),
            _("Approve our app in Stripe, or paste a restricted key.")
            if settings.STRIPE_OAUTH_ENABLED
            else _("Paste a restricted key; we register the webhook."),
        ),
        Step(
            "defaults",
            _("Set customer defaults"),
            not missing_defaults,
            reverse("mappings:defaults", args=[slug]),
            _("Still missing: %(missing)s.") % {"missing": ", ".join(default_words(missing_defaults))}
            if len(missing_defaults) < len(REQUIRED_DEFAULTS)
            else _("Payment terms, customer group, VAT zone, currency."),
        ),
        Step(
            "dry_run",
            _("Dry run"),
            dry_run is not None,
            reverse("import_report", args=[slug, dry_run.pk]) if dry_run else reverse("import", args=[slug]),
            _("See what the import would do before anything is written."),
        ),
        Step(
            "import",
            _("Import your existing customers"),
            imports.filter(dry_run=False, status=ImportRun.Status.FINISHED).exists(),
            reverse("import", args=[slug]),
            _("Link or create every Stripe customer you already have."),
        ),
        Step(
            "live",
            _("Live: Stripe changes sync by themselves"),
            # Not while a connection is lost (an app removed in Stripe, a refused key): nothing
            # syncs by itself then, and reconnecting is the step to take.
            all(connected.values())
            and SyncRecord.objects.for_tenant(tenant).filter(event__isnull=False).exists(),
            reverse("sync_log", args=[slug]),
            _("The first webhook sync lands in the sync log."),
        ),
    ]
    upcoming = False
    for step in steps:
        if step.done:
            step.state = "done"
        elif not upcoming:
            step.state, upcoming = "next", True
    return steps


def golive_panel(tenant: Tenant) -> dict:
    steps = golive_steps(tenant)
    return {
        "template": "customers/panels/golive.html",
        "steps": steps,
        "all_done": all(step.done for step in steps),
        "done_count": sum(step.done for step in steps),
        # Connect with Stripe is one click from here, like on the Connections page.
        "stripe_oauth_enabled": settings.STRIPE_OAUTH_ENABLED,
    }
