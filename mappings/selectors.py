import time

from django.db.models import OuterRef, Subquery

from syncapp.models import EconomicConnection, Tenant

from .document import default_document, parse
from .engine import SyncSettings
from .models import SettingsChange, SyncSettingsDocument


def settings_document_for(*, tenant: Tenant) -> dict:
    """The tenant's saved document, or the defaults when it has saved nothing yet."""
    row = SyncSettingsDocument.objects.for_tenant(tenant).only("document").first()
    return row.document if row is not None else default_document()


def settings_document_of(tenant: OuterRef) -> Subquery:
    """The saved document of the tenant an outer query names (NULL when it has saved none): for a
    caller that reads it in the same query as the tenant's other rows."""
    return Subquery(SyncSettingsDocument.all_tenants.filter(tenant=tenant).values("document")[:1])


def sync_settings_for(
    *, tenant: Tenant, account: str | None = None, document: dict | None = None
) -> SyncSettings:
    """The tenant's settings, with the overrides of its Stripe account named `account`, if any;
    from `document` when the caller has read it already (`settings_document_of`)."""
    return parse(document or settings_document_for(tenant=tenant), account=account)


def settings_changes_for(*, tenant: Tenant):
    return SettingsChange.objects.for_tenant(tenant).select_related("user")


# How long a process keeps what the other tenants on an agreement match on: a field they add is
# locked by this tenant's creates within a minute; meanwhile every sync saves two queries.
OTHER_TENANTS_FIELDS_SECONDS = 60.0
_other_tenants_fields: dict[int, tuple[float, frozenset[str]]] = {}


def agreement_match_fields(*, tenant: Tenant, settings: SyncSettings) -> frozenset[str]:
    """The e-conomic fields any tenant on this agreement matches on (its own always included).

    A create is locked by its values in these fields too, so a tenant matching on another field
    of the same agreement cannot create the customer a second time meanwhile.
    """
    own = frozenset(rule.economic_field for rule in settings.match_rules)
    kept = _other_tenants_fields.get(tenant.pk)
    if kept is None or time.monotonic() - kept[0] > OTHER_TENANTS_FIELDS_SECONDS:
        kept = (time.monotonic(), _fields_of_tenants_sharing(tenant))
        _other_tenants_fields[tenant.pk] = kept
    return own | kept[1]


def _fields_of_tenants_sharing(tenant: Tenant) -> frozenset[str]:
    """Read across tenants on purpose: only the field names, of tenants on the same agreement."""
    fields: set[str] = set()
    own_agreement = EconomicConnection.objects.for_tenant(tenant).values("agreement_number")[:1]
    sharing = EconomicConnection.all_tenants.filter(
        agreement_number__isnull=False, agreement_number=Subquery(own_agreement)
    ).exclude(tenant=tenant)
    sharing_ids = set(sharing.values_list("tenant_id", flat=True))
    if not sharing_ids:
        return frozenset(fields)
    documents = list(SyncSettingsDocument.all_tenants.filter(tenant_id__in=sharing_ids).only("document"))
    for row in documents:
        fields |= {rule.economic_field for rule in parse(row.document).match_rules}
    if len(documents) < len(sharing_ids):  # a tenant that never saved matches on the defaults
        fields |= {rule.economic_field for rule in parse(default_document()).match_rules}
    return frozenset(fields)
