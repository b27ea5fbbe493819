"""What one sync does in e-conomic, case by case: deleted, linked, found by a match rule, or new.

Each decision reads the customer's plan (the pure core in `mappings`) and its link, calls
e-conomic as little as it can, keeps the link in step, and returns the `Outcome` the sync
records. Searching and creating hold the match values' locks (`claims.py`); the customer's own
lock, the record and the write to Stripe are `sync.py`'s, around them.
"""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from mappings.engine import (
    CustomerPlan,
    MatchQuery,
    MatchResult,
    RuleResult,
    Search,
    SyncSettings,
    barred_payload,
    find_match,
    update_payload,
)
from mappings.engine.two_way import agreed_fingerprints
from mappings.match_index import MatchIndex
from mappings.selectors import agreement_match_fields
from mappings.vocabulary import MatchOutcome, OnAmbiguous, OnStripeDelete, UpdateExisting
from syncapp.clients.economic import EconomicClient, EconomicNotFound, EconomicRejected, EconomicThrottled
from syncapp.clients.stripe import StripeClient
from syncapp.models import StripeConnection, Tenant

from ..errors import merchant_facts
from ..explanations import fact, in_english, quoted
from ..models import CustomerLink, SyncRecord
from .both_ways import both_ways_update
from .claims import (
    claims_confirm,
    claims_drop,
    claims_start,
    index_learn_creates,
    match_values_held,
    plan_value_keys,
)

Action = SyncRecord.Action


@dataclass
class Outcome:
    action: str
    # What happened, as facts (customers/explanations.py): the reader's language writes the sentence.
    facts: list[dict]
    number: int | None = None
    # Facts too: the engine's notes (`Note.fact`) and the write-back's.
    warnings: list[dict] = field(default_factory=list)
    payload: dict | None = None
    log_id: str = ""
    email: str = ""
    name: str = ""
    stripe_request_id: str = ""
    # Stripe says the customer is deleted: the sync erases our copies of its personal data.
    stripe_deleted: bool = False
    # e-conomic customers the match rules found, when they found several: the review queue's.
    candidates: list[int] = field(default_factory=list)
    # The match rule that found them, e.g. "rule 1: email" (the import report shows it).
    rule: str = ""

    def __post_init__(self) -> None:
        # A sentence we only have as text (a caller's own) travels as a quoted fact.
        if isinstance(self.facts, str):
            self.facts = [quoted(self.facts)]

    @property
    def message(self) -> str:
        return in_english(self.facts)


@dataclass(frozen=True)
class Resolution:
    """A merchant's choice in the review queue: link `number`, create a new customer, or skip."""

    choice: str  # a ReviewItem.Resolution value
    by: str
    number: int | None = None


@dataclass
class SyncContext:
    """What one sync works with; `sync.py` opens it (and closes its clients)."""

    tenant: Tenant
    stripe_account: StripeConnection
    stripe_customer_id: str
    settings: SyncSettings
    stripe: StripeClient
    economic: EconomicClient
    dry_run: bool
    # Imports preload e-conomic's customers here instead of searching once per customer, and
    # pass the Stripe customer they have just listed instead of fetching it again.
    match_index: MatchIndex | None = None
    listed_customer: dict | None = None
    # The match value locks held while matching and creating (`claims.py`): a create claims them.
    value_keys: list[int] = field(default_factory=list)

    @property
    def agreement(self) -> str:
        """What tenants on one e-conomic agreement share: its rate limit's key."""
        return self.economic.rate_key


def deleted_in_stripe(ctx: SyncContext, link: CustomerLink | None) -> Outcome:
    """The customer was deleted in Stripe: keep its e-conomic customer, or bar it."""
    if link is None or link.economic_customer_number is None:
        return Outcome(Action.SKIPPED, [fact("deleted_never_linked", stripe_id=ctx.stripe_customer_id)])
    number = link.economic_customer_number
    if ctx.settings.on_stripe_delete != OnStripeDelete.BAR:
        return Outcome(
            Action.SKIPPED,
            [fact("deleted_kept", stripe_id=ctx.stripe_customer_id, number=number)],
            number=number,
        )
    try:
        current = ctx.economic.get_customer(number)
    except EconomicNotFound:
        _drop_link(ctx, link)
        return Outcome(
            Action.SKIPPED, [fact("deleted_and_gone", stripe_id=ctx.stripe_customer_id, number=number)]
        )
    if current.get("barred"):
        return Outcome(Action.UNCHANGED, [fact("already_barred", number=number)], number=number)
    body = barred_payload(current_customer=current)
    if ctx.dry_run:
        return Outcome(Action.UPDATED, [fact("would_bar", number=number)], number=number, payload=body)
    ctx.economic.update_customer(number, body)
    return Outcome(
        Action.UPDATED,
        [fact("barred", stripe_id=ctx.stripe_customer_id, number=number)],
        number=number,
        payload=body,
    )


def update_linked(ctx: SyncContext, link: CustomerLink, plan: CustomerPlan) -> Outcome:
    """Already linked: update the e-conomic customer if the policy allows and a mapped field changed.

    A linked customer that e-conomic no longer has (deleted there) is unlinked, and this Stripe
    customer goes through the match rules (or is created) again in the same sync.
    """
    try:
        return _update_linked(ctx, link, plan)
    except EconomicNotFound:
        gone = link.economic_customer_number
        _drop_link(ctx, link)
        outcome = match_or_create(ctx, None, plan)
        outcome.facts.insert(0, fact("linked_gone", gone=gone))
        return outcome


def _update_linked(ctx: SyncContext, link: CustomerLink, plan: CustomerPlan) -> Outcome:
    number = link.economic_customer_number
    policy = ctx.settings.update_existing
    if policy == UpdateExisting.NEVER or (policy == UpdateExisting.CREATED_BY_US and not link.created_by_us):
        code = "not_updated_never" if policy == UpdateExisting.NEVER else "not_updated_not_ours"
        return Outcome(Action.UNCHANGED, [fact(code, number=number)], number=number)
    if plan.fingerprint == link.fingerprint:
        return Outcome(
            Action.UNCHANGED,
            [fact("unchanged", number=number)],
            number=number,
        )
    return _put_update(ctx, link, plan, number, [fact("updated", number=number)])


@contextmanager
def _values_held(ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan) -> Iterator[None]:
    """The match value locks around a search and a create (`claims.py`); none for a dry run,
    which writes nothing."""
    if ctx.dry_run:
        yield
        return
    fields = agreement_match_fields(tenant=ctx.tenant, settings=ctx.settings)
    ctx.value_keys = plan_value_keys(agreement=ctx.agreement, plan=plan, fields=fields)
    try:
        with match_values_held(agreement=ctx.agreement, keys=ctx.value_keys, link=link):
            if ctx.match_index is not None:
                index_learn_creates(
                    index=ctx.match_index,
                    economic=ctx.economic,
                    agreement=ctx.agreement,
                    keys=ctx.value_keys,
                    link=link,
                )
            yield
    finally:
        ctx.value_keys = []


def match_or_create(ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan) -> Outcome:
    """Not linked yet: the match rules decide between linking, refusing to guess and creating,
    with the values' locks held (no other sync can create the customer meanwhile)."""
    with _values_held(ctx, link, plan):
        return _match_or_create(ctx, link, plan)


def _match_or_create(ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan) -> Outcome:
    match = find_match(plan, _search(ctx))
    if match.outcome == MatchOutcome.BLOCKED:
        return Outcome(Action.FAILED, [plan.blocking_error.fact])
    if match.outcome == MatchOutcome.AMBIGUOUS:
        return _ambiguous(ctx, match)
    if match.outcome == MatchOutcome.MATCHED:
        return link_found(ctx, link, plan, match.deciding, match.found)
    return create(ctx, link, plan)


def link_found(
    ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan, rule: RuleResult, found: dict
) -> Outcome:
    """One e-conomic customer has the value: link it (and update it, if the policy says always)."""
    if ctx.dry_run:
        return _would_link(rule, found)
    number = int(found["customerNumber"])
    query = rule.query
    # A create whose reply was lost (worker killed, connection dropped) is found here by searching.
    recovered = link is not None and link.create_started is not None
    link = _save_link(
        ctx, number=number, created_by_us=recovered, fingerprint=plan.fingerprint if recovered else ""
    )
    if recovered:
        return Outcome(
            Action.CREATED,
            [fact("created_again", number=number, field=query.economic_field)],
            number=number,
        )
    outcome = Outcome(
        Action.MATCHED,
        [
            fact(
                "matched",
                number=number,
                field=query.economic_field,
                value=query.value,
                rule=query.rule_number,
            )
        ],
        number=number,
        rule=_rule_label(query),
    )
    if ctx.settings.update_existing == UpdateExisting.ALWAYS:
        outcome.payload = _put_update(ctx, link, plan, number, []).payload
        outcome.facts.append(fact("matched_and_updated"))
    return outcome


def create(ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan) -> Outcome:
    """Nobody matched: create the customer, marking the create in flight first (on `link`, the
    customer's link read under its lock, or on a new one)."""
    if not ctx.settings.defaults_complete:
        return Outcome(Action.FAILED, [fact("defaults_missing")])
    payload = plan.create_payload
    if ctx.dry_run:
        if ctx.match_index is not None:
            # As a real create is: a later Stripe customer with the same value would match it.
            ctx.match_index.add(payload, planned_for=ctx.stripe_customer_id)
        return Outcome(
            Action.CREATED,
            [fact("would_create")],
            payload=payload,
        )
    # Committed before the POST: if the reply is lost, the retry knows what it finds is ours, and
    # the claims keep other Stripe customers with these values from creating it again meanwhile.
    _save_link(
        ctx,
        number=None,
        created_by_us=True,
        fingerprint="",
        create_started=timezone.now(),
        claim=True,
        earlier_claims=link is not None,
    )
    try:
        created = ctx.economic.create_customer(payload)
    except EconomicRejected as exc:
        return _create_rejected(ctx, plan, exc)
    except EconomicThrottled as exc:
        if exc.status is None:
            # Our own pacing or the daily budget held the POST back: nothing is in flight, so the
            # next try need not search for a customer it never asked for.
            _create_not_in_flight(ctx)
        raise
    number = int(created["customerNumber"])
    # Both sides hold the same values now: the start of every field's two-way history.
    agreed = agreed_fingerprints(ctx.settings, {**payload, **created})
    _save_link(
        ctx, number=number, created_by_us=True, fingerprint=plan.fingerprint, field_fingerprints=agreed
    )
    if ctx.match_index is not None:
        ctx.match_index.add({**payload, "customerNumber": number})
    return Outcome(Action.CREATED, [fact("created", number=number)], number=number, payload=payload)


def review_resolved(
    ctx: SyncContext, link: CustomerLink | None, plan: CustomerPlan, choice: Resolution
) -> Outcome:
    """The merchant chose in the review queue: link the candidate they picked, or create anew."""
    if choice.choice == "created":
        with _values_held(ctx, link, plan):
            outcome = create(ctx, link, plan)
        outcome.facts.insert(0, fact("review_chose_create", by=choice.by))
        return outcome
    number = choice.number
    try:
        ctx.economic.get_customer(number)
    except EconomicNotFound:
        return Outcome(Action.FAILED, [fact("review_choice_gone", by=choice.by, number=number)])
    _save_link(ctx, number=number, created_by_us=False, fingerprint="")
    return Outcome(
        Action.MATCHED,
        [fact("review_linked", number=number, by=choice.by)],
        number=number,
    )


def _rule_label(query: MatchQuery) -> str:
    # Stored in English (a sync writes with English active); `match_rule_text` of the record
    # writes it in the reader's language.
    return f"rule {query.rule_number}: {query.economic_words}"


def _would_link(rule: RuleResult, found: dict) -> Outcome:
    planned_for = found.get("plannedFor")
    if planned_for:
        # Found among the customers this dry run would create: no e-conomic number exists yet.
        return Outcome(
            Action.MATCHED,
            [
                fact(
                    "would_link_planned",
                    planned_for=planned_for,
                    field=rule.query.economic_field,
                    rule=rule.query.rule_number,
                )
            ],
            rule=_rule_label(rule.query),
        )
    number = int(found["customerNumber"])
    return Outcome(
        Action.MATCHED,
        [fact("would_link", number=number, field=rule.query.economic_field, rule=rule.query.rule_number)],
        number=number,
        rule=_rule_label(rule.query),
    )


def _search(ctx: SyncContext) -> Search:
    if ctx.match_index is not None:
        return ctx.match_index.lookup
    return lambda query: ctx.economic.search_customers(query.filter)


def _ambiguous(ctx: SyncContext, match: MatchResult) -> Outcome:
    query, hits = match.deciding.query, match.deciding.hits
    # A dry run's would-be customer has no number yet: the Stripe customer it is planned for names it.
    numbers = [c["customerNumber"] if c["customerNumber"] is not None else c.get("plannedFor") for c in hits]
    said = {"numbers": numbers, "field": query.economic_field, "value": query.value}
    if ctx.settings.on_ambiguous == OnAmbiguous.REVIEW:
        code = "ambiguous_would_wait" if ctx.dry_run else "ambiguous_waits"
        return Outcome(
            Action.NEEDS_REVIEW,
            [fact(code, **said)],
            candidates=[int(c["customerNumber"]) for c in hits if c["customerNumber"] is not None],
            rule=_rule_label(query),
        )
    return Outcome(
        Action.FAILED,
        [fact("ambiguous_failed", **said)],
        rule=_rule_label(query),
    )


def _create_not_in_flight(ctx: SyncContext) -> None:
    # A later search finding this customer must not count as ours.
    link = CustomerLink.objects.for_tenant(ctx.tenant).get(stripe_customer_id=ctx.stripe_customer_id)
    link.create_started = None
    link.save(update_fields=["create_started", "updated"])
    claims_drop(link=link)


def _create_rejected(ctx: SyncContext, plan: CustomerPlan, exc: EconomicRejected) -> Outcome:
    _create_not_in_flight(ctx)
    said = merchant_facts(exc)
    if "customerNumber" in exc.field_errors and plan.customer_number is not None:
        said = [fact("number_taken", number=plan.customer_number)]
    return Outcome(Action.FAILED, said, payload=plan.create_payload, log_id=exc.log_id or "")


def _put_update(
    ctx: SyncContext, link: CustomerLink, plan: CustomerPlan, number: int, facts: list[dict]
) -> Outcome:
    # PUT replaces the whole customer: start from what e-conomic has now.
    current = ctx.economic.get_customer(number)
    both_ways = both_ways_update(ctx, link, plan, current)
    body = update_payload(current_customer=current, plan=both_ways.plan)
    if ctx.dry_run:
        return Outcome(
            Action.UPDATED,
            [fact("would_update", number=number)],
            number=number,
            payload=body,
        )
    link.fingerprint = plan.fingerprint
    link.field_fingerprints = both_ways.agreed
    if body == update_payload(current_customer=current, plan=dataclasses.replace(plan, update_fields={})):
        # e-conomic already holds every value (a change that came from e-conomic, say): a PUT
        # would only move its lastUpdated.
        link.save(update_fields=["fingerprint", "field_fingerprints", "updated"])
        return Outcome(Action.UNCHANGED, [fact("unchanged_already", number=number)], number=number)
    ctx.economic.update_customer(number, body)
    link.save(update_fields=["fingerprint", "field_fingerprints", "updated"])
    return Outcome(Action.UPDATED, [*facts, *both_ways.notes], number=number, payload=body)


def _drop_link(ctx: SyncContext, link: CustomerLink) -> None:
    if not ctx.dry_run:
        CustomerLink.objects.for_tenant(ctx.tenant).filter(pk=link.pk).delete()


LINK_SAVED_FIELDS = (
    "stripe_account",
    "economic_customer_number",
    "created_by_us",
    "fingerprint",
    "create_started",
    "field_fingerprints",
)


@transaction.atomic
def _save_link(
    ctx: SyncContext,
    *,
    number: int | None,
    created_by_us: bool,
    fingerprint: str,
    create_started: datetime | None = None,
    claim: bool = False,
    earlier_claims: bool = False,
    field_fingerprints: dict[str, str] | None = None,
) -> CustomerLink:
    # Inserted or updated in one statement: the customer's lock is held, so no other sync writes
    # this link meanwhile, and a read-then-write (update_or_create: a locking read, savepoints)
    # would only cost round trips.
    link = CustomerLink(
        tenant=ctx.tenant,
        stripe_account=ctx.stripe_account,
        stripe_customer_id=ctx.stripe_customer_id,
        economic_customer_number=number,
        created_by_us=created_by_us,
        fingerprint=fingerprint,
        create_started=create_started,
        field_fingerprints=field_fingerprints or {},
    )
    CustomerLink.objects.for_tenant(ctx.tenant).bulk_create(
        [link],
        update_conflicts=True,
        unique_fields=["tenant", "stripe_customer_id"],
        update_fields=[*LINK_SAVED_FIELDS, "updated"],
    )
    if claim:
        claims_start(link=link, agreement=ctx.agreement, keys=ctx.value_keys, replacing=earlier_claims)
    elif number is not None and created_by_us:
        # A create answered or found again: in the link's transaction, the number and its
        # confirmation are seen together. (A matched link never claimed anything.)
        claims_confirm(link=link, number=number)
    return link
