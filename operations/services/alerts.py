"""The alert e-mail: at most one an hour per tenant, to its owners and admins, listing the sync
failures and the customers waiting for review that are new since the last one, with links."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import AlertDigest, ReviewItem, SyncRecord
from syncapp.mail import mail_send_in_languages
from syncapp.models import Membership, Role, Tenant

ALERT_INTERVAL = timedelta(hours=1)
# The first alert of a tenant looks back this far; later ones start where the last one ended.
FIRST_LOOK_BACK = timedelta(hours=24)
LISTED = 20


def alerts_send_due(*, now=None) -> int:
    """The beat task's work: every tenant with alerts on gets its e-mail if one is due. How many sent."""
    now = now or timezone.now()
    # Spans all tenants on purpose, like the sweeper.
    tenant_ids = Tenant.objects.filter(alerts_enabled=True).values_list("pk", flat=True)
    return sum(1 for pk in tenant_ids if alert_send(tenant_id=pk, now=now) is not None)


def alert_send(*, tenant_id: int, now=None) -> AlertDigest | None:
    """Send the tenant's alert if alerts are on, an hour has passed since the last one and
    something new failed or waits for review; the digest sent, or None."""
    now = now or timezone.now()
    with transaction.atomic():
        # The tenant row lock makes two beat runs at once send one e-mail, not two.
        tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
        if not tenant.alerts_enabled:
            return None
        last = AlertDigest.objects.for_tenant(tenant).order_by("-sent_at").first()
        if last is not None and now - last.sent_at < ALERT_INTERVAL:
            return None
        since = last.up_to if last is not None else now - FIRST_LOOK_BACK
        failures = SyncRecord.objects.for_tenant(tenant).filter(
            action=SyncRecord.Action.FAILED, dry_run=False, created__gt=since, created__lte=now
        )
        reviews = ReviewItem.objects.for_tenant(tenant).filter(
            resolved_at__isnull=True, created__gt=since, created__lte=now
        )
        counts = failures.count(), reviews.count()
        recipients = _recipients(tenant)
        if counts == (0, 0) or not recipients:
            return None
        _mail(tenant, recipients, failures.order_by("-created")[:LISTED], reviews[:LISTED], counts)
        return AlertDigest.objects.for_tenant(tenant).create(
            sent_at=now,
            up_to=now,
            failures=counts[0],
            reviews=counts[1],
            recipients=sorted({email for email, _language in recipients}),
        )


def _recipients(tenant: Tenant) -> list[tuple[str, str]]:
    """(e-mail, language) of the owners and admins: each reads the e-mail in their own language."""
    members = Membership.objects.for_tenant(tenant).filter(role__in=[Role.OWNER, Role.ADMIN])
    return sorted(
        {
            (email, language or "")
            for email, language in members.values_list("user__email", "user__profile__language")
            if email
        }
    )


def _mail(
    tenant: Tenant, recipients: list[tuple[str, str]], failures, reviews, counts: tuple[int, int]
) -> None:
    def link(name: str, *args) -> str:
        return f"{settings.SITE_URL}{reverse(name, args=[tenant.slug, *args])}"

    context = {
        "tenant": tenant,
        "failures": [(record, link("sync_record", record.pk)) for record in failures],
        "reviews": [
            (item, link("review_detail", item.pk), ", ".join(map(str, item.candidates))) for item in reviews
        ],
        "failure_count": counts[0],
        "review_count": counts[1],
        "sync_log_url": link("sync_log") + "?action=failed",
        "review_url": link("review"),
        "settings_url": link("members"),
    }
    mail_send_in_languages(
        recipients=recipients,
        compose=lambda: (
            _subject(tenant.name, *counts),
            render_to_string("customers/alert_email.txt", context),
        ),
    )


def _subject(tenant_name: str, failures: int, reviews: int) -> str:
    words = {"tenant": tenant_name, "failures": failures, "reviews": reviews}
    if failures and reviews:
        # Two counts in one sentence: each plural chosen by its own count, the sentence whole.
        return _("%(tenant)s: %(failed)s and %(waiting)s") % {
            "tenant": tenant_name,
            "failed": ngettext("%(failures)d failed sync", "%(failures)d failed syncs", failures) % words,
            "waiting": ngettext("%(reviews)d customer to review", "%(reviews)d customers to review", reviews)
            % words,
        }
    if failures:
        return (
            ngettext(
                "%(tenant)s: %(failures)d failed sync", "%(tenant)s: %(failures)d failed syncs", failures
            )
            % words
        )
    return (
        ngettext(
            "%(tenant)s: %(reviews)d customer to review",
            "%(tenant)s: %(reviews)d customers to review",
            reviews,
        )
        % words
    )
