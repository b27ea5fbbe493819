"""Saving, importing and previewing a tenant's customer sync settings."""

from dataclasses import dataclass
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction

from syncapp.clients.economic import EconomicError
from syncapp.clients.stripe import StripeError, StripeNotFound
from syncapp.connections.clients import NotConnected, economic_client_for, stripe_client_for
from syncapp.connections.selectors import stripe_accounts_for
from syncapp.models import ConnectionStatus, StripeConnection, Tenant

from .document import default_document, parse, validate_document
from .engine import CustomerPlan, MatchResult, SyncSettings, find_match, plan_customer
from .engine.two_way import FieldSides, field_sides
from .models import SettingsChange, SettingsSource, SyncSettingsDocument
from .selectors import sync_settings_for

# Long enough that flipping between tabs does not call e-conomic each time, short enough that a
# payment term added in e-conomic shows up while the merchant is still setting up.
ECONOMIC_LISTS_CACHE_SECONDS = 120
# Names beside numbers on the log pages ("3 · Netto 30 dage"): a day-old name is still right enough.
LIST_NAMES_CACHE_SECONDS = 24 * 3600


class SettingsInvalid(Exception):
    """The document has problems; `problems` names every one and nothing was saved."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the settings: " + " ".join(problems))
        self.problems = problems


class EconomicListsUnavailable(Exception):
    """e-conomic's lists (payment terms, groups, ...) cannot be read now; the message says why."""


class PreviewFailed(Exception):
    """The preview cannot run (Stripe customer unknown, a service not connected or not answering)."""


def settings_save(
    *, tenant: Tenant, user: AbstractBaseUser | None, document: dict, source: str
) -> SyncSettings:
    """Validate and store the whole document; record the change with before and after."""
    problems = validate_document(document)
    if problems:
        raise SettingsInvalid(problems)
    with transaction.atomic():
        row = SyncSettingsDocument.objects.for_tenant(tenant).select_for_update().first()
        if row is None:
            row = SyncSettingsDocument(tenant=tenant, document=default_document())
        before = row.document
        if before != document:
            row.document = document
            row.updated_by = user
            row.full_clean()
            row.save()
            SettingsChange.objects.for_tenant(tenant).create(
                user=user,
                user_email=getattr(user, "email", "") or "",
                source=source,
                before=before,
                after=document,
            )
    return parse(document)


@dataclass(frozen=True)
class ImportResult:
    settings: SyncSettings
    # False when e-conomic could not be reached: the numbers were not checked against its lists.
    checked_against_economic: bool


def settings_import(*, tenant: Tenant, user: AbstractBaseUser | None, document: object) -> ImportResult:
    """Replace the settings with an exported document, or change nothing and name every problem."""
    try:
        lists = economic_lists_for(tenant=tenant)
    except EconomicListsUnavailable:
        lists = None
    problems = validate_document(document, economic_lists=lists)
    if problems:
        raise SettingsInvalid(problems)
    settings = settings_save(tenant=tenant, user=user, document=document, source=SettingsSource.IMPORT)
    return ImportResult(settings=settings, checked_against_economic=lists is not None)


def economic_lists_for(*, tenant: Tenant) -> dict[str, list[dict]]:
    """The merchant's payment terms, customer groups, VAT zones, currencies and layouts.

    Each list holds {"value", "label"} items; `value` is what the settings document stores.
    """
    key = f"mappings:economic-lists:{tenant.pk}"
    lists = cache.get(key)
    if lists is not None:
        return lists
    try:
        client = economic_client_for(tenant)
        lists = {
            "payment_terms": _items(client.payment_terms(), "paymentTermsNumber"),
            "customer_groups": _items(client.customer_groups(), "customerGroupNumber"),
            "vat_zones": _items(
                [zone for zone in client.vat_zones() if zone.get("enabledForCustomer", True)], "vatZoneNumber"
            ),
            "currencies": _items(client.currencies(), "code"),
            "layouts": _items(client.layouts(), "layoutNumber"),
        }
    except NotConnected as exc:
        raise EconomicListsUnavailable(str(exc)) from exc
    except EconomicError as exc:
        raise EconomicListsUnavailable(
            f"e-conomic could not be reached ({exc.message}). Your saved values are kept; try again shortly."
        ) from exc
    cache.set(key, lists, ECONOMIC_LISTS_CACHE_SECONDS)
    cache.set(_list_names_key(tenant), lists, LIST_NAMES_CACHE_SECONDS)
    return lists


@dataclass(frozen=True)
class AgreementFacts:
    """What the merchant's e-conomic agreement says about itself (blank when it cannot be asked)."""

    base_currency: str = ""
    country: str = ""

    @property
    def danish(self) -> bool:
        return self.base_currency == "DKK" or self.country.strip().lower() in ("danmark", "denmark", "dk")


def economic_agreement_facts(*, tenant: Tenant) -> AgreementFacts:
    """The agreement's base currency and country (GET /self), to offer Danish defaults to Danish
    agreements; blank facts when e-conomic is not connected or not answering."""
    key = f"mappings:economic-agreement:{tenant.pk}"
    facts = cache.get(key)
    if facts is not None:
        return facts
    try:
        me = economic_client_for(tenant).self_info()
    except (NotConnected, EconomicError):
        return AgreementFacts()
    facts = AgreementFacts(
        base_currency=str((me.get("settings") or {}).get("baseCurrency") or ""),
        country=str((me.get("company") or {}).get("country") or ""),
    )
    cache.set(key, facts, LIST_NAMES_CACHE_SECONDS)
    return facts


def _list_names_key(tenant: Tenant) -> str:
    return f"mappings:economic-list-names:{tenant.pk}"


def economic_list_names(*, tenant: Tenant, fetch: bool = True) -> dict[str, list[dict]] | None:
    """The lists, to name the entries a page shows by number; None when they are not at hand (the
    page then shows numbers). Without `fetch`, only what an earlier read left in the cache: a list
    page never waits on e-conomic."""
    lists = cache.get(_list_names_key(tenant))
    if lists is not None or not fetch:
        return lists
    try:
        return economic_lists_for(tenant=tenant)
    except EconomicListsUnavailable:
        return None


def _items(rows: list[dict], number_key: str) -> list[dict]:
    items = []
    for row in rows:
        value = row[number_key]
        name = row.get("name") or ""
        label = f"{value} · {name}" if name and name != value else str(value)
        items.append({"value": value, "label": label})
    return sorted(items, key=lambda item: str(item["value"]) if number_key == "code" else item["value"])


@dataclass(frozen=True)
class Preview:
    stripe_customer: dict
    # Both None for a customer deleted in Stripe: there is nothing to plan or match.
    plan: CustomerPlan | None
    match: MatchResult | None
    defaults_complete: bool
    # Each mapped field on both sides, with its direction (the e-conomic side empty when the match
    # found no customer).
    sides: tuple[FieldSides, ...] = ()


def settings_preview(*, tenant: Tenant, stripe_customer_id: str) -> Preview:
    """What a sync of this Stripe customer would do now, found out without writing anything.

    The customer is looked up in each of the tenant's Stripe accounts (Stripe's ids are unique
    across accounts), and the settings are that account's.
    """
    account, customer = _stripe_customer_in_any_account(tenant, stripe_customer_id)
    settings = sync_settings_for(tenant=tenant, account=account.name)
    if customer.get("deleted"):
        return Preview(customer, None, None, settings.defaults_complete)
    plan = plan_customer(settings=settings, stripe_customer=customer)
    try:
        economic = economic_client_for(tenant)
        match = find_match(plan, lambda query: economic.search_customers(query.filter))
    except (NotConnected, EconomicError) as exc:
        raise PreviewFailed(f"e-conomic could not be searched: {exc}") from exc
    sides = field_sides(settings, customer, match.found)
    return Preview(customer, plan, match, settings.defaults_complete, sides)


def _stripe_customer_in_any_account(tenant: Tenant, stripe_customer_id: str) -> tuple[StripeConnection, dict]:
    accounts = _connected_stripe_accounts(tenant)
    if not accounts:
        raise PreviewFailed("Stripe could not be asked: Stripe is not connected (see the Connections page).")
    problem = None
    for account in accounts:
        try:
            return account, stripe_client_for(account).retrieve_customer(stripe_customer_id)
        except StripeNotFound:
            continue
        except StripeError as exc:
            problem = exc
    if problem is not None:
        raise PreviewFailed(f"Stripe could not be asked: {problem}")
    raise PreviewFailed(f"Stripe has no customer “{stripe_customer_id}”.")


def _connected_stripe_accounts(tenant: Tenant) -> list[StripeConnection]:
    return [a for a in stripe_accounts_for(tenant=tenant) if a.status != ConnectionStatus.NOT_CONNECTED]


def recent_stripe_customers(*, tenant: Tenant, limit: int = 8) -> list[dict]:
    """The newest Stripe customers of each account, to pick one for the preview; none of an
    account that can't answer."""
    accounts = _connected_stripe_accounts(tenant)
    recent = []
    for account in accounts:
        try:
            newest = list(islice(stripe_client_for(account).iter_customers(), limit))
        except StripeError:
            continue
        recent += [
            {
                "id": c["id"],
                "name": c.get("name") or "",
                "email": c.get("email") or "",
                "account": account.name if len(accounts) > 1 else "",
            }
            for c in newest
        ]
    return recent
