"""The import reads e-conomic once per run (kept between its chunks, topped up with what changed)
and syncs customers in lanes, pages ahead of its saved cursor, without ever creating one customer
twice."""

import threading
from urllib.parse import unquote_plus

import pytest
from django.core.cache import cache

from customers.errors import TransientSyncError, Trouble
from customers.explanations import quoted
from customers.models import ImportRun, SyncRecord
from customers.services import import_lanes, imports
from customers.services.import_index import import_index
from customers.services.import_lanes import Lanes
from customers.services.imports import import_chunk, import_run
from mappings.document import parse
from mappings.engine import MatchQuery
from mappings.match_index import MatchIndex
from syncapp.connections.clients import economic_client_for
from tests.factories import settings_document
from tests.fixtures_stripe import first_account


def _customers_reads(merchant, mark) -> list[str]:
    calls = merchant.economic.requests_since(mark, method="GET", path="/customers")
    return [unquote_plus(call.query) for call in calls]


def _new_run(merchant) -> ImportRun:
    return ImportRun.objects.for_tenant(merchant.tenant).create(
        stripe_account=first_account(merchant.tenant), started_by="test"
    )


def test_the_index_is_read_once_per_run_not_once_per_chunk(merchant, settings, monkeypatch):
    settings.IMPORT_PAGE_SIZE = 5
    monkeypatch.setattr(imports, "CHUNK_PAGES", 1)  # a task per page: four chunks
    for n in range(8):
        merchant.economic.add_customer(name=f"Known {n}", email=f"known{n}@firma.dk")
    for n in range(20):
        merchant.stripe.create_customer(email=f"known{n}@firma.dk", name=f"Stripe {n}")
    mark = merchant.economic.mark()

    run = import_run(run_id=_new_run(merchant).pk)

    assert run.status == "finished", run.message
    assert run.counts == {"matched": 8, "created": 12}
    assert len(_customers_reads(merchant, mark)) == 1
    assert len(merchant.economic.requests_since(mark, method="POST")) == 12
    assert cache.get(f"import-index:{run.pk}") is None  # dropped with the finished run


def test_a_customer_added_in_economic_meanwhile_is_found_by_a_later_chunk(merchant, settings, monkeypatch):
    settings.IMPORT_PAGE_SIZE = 5
    settings.IMPORT_INDEX_REFRESH_SECONDS = 0  # every chunk reads what changed
    monkeypatch.setattr(imports, "CHUNK_PAGES", 1)
    merchant.economic.add_customer(name="Old", email="old@firma.dk")
    for n in range(10):
        merchant.stripe.create_customer(email=f"s{n}@firma.dk", name=f"S{n}")
    run = _new_run(merchant)
    mark = merchant.economic.mark()
    assert import_chunk(run_id=run.pk, token="t") is True  # the first five, all created

    synced = set(SyncRecord.objects.for_tenant(merchant.tenant).values_list("stripe_email", flat=True))
    later = next(f"s{n}@firma.dk" for n in range(10) if f"s{n}@firma.dk" not in synced)
    merchant.economic.add_customer(name="Typed in by hand", email=later)
    while import_chunk(run_id=run.pk, token="t"):
        pass

    run.refresh_from_db()
    assert run.counts == {"created": 9, "matched": 1}
    reads = _customers_reads(merchant, mark)
    assert len(reads) == 2 and "lastUpdated$gte:" in reads[1]
    assert len([c for c in merchant.economic.customers() if c.get("email") == later]) == 1


def test_a_chunk_that_never_finished_makes_the_next_read_the_changes(merchant):
    merchant.economic.add_customer(name="Known", email="known@firma.dk")
    run = _new_run(merchant)
    economic = economic_client_for(merchant.tenant)
    first = import_index(run, economic, fields={"email"})
    # That chunk's worker died before keeping the index: what it created is not in the cache.
    merchant.economic.add_customer(name="Made by the dead chunk", email="lost@firma.dk")
    imports.import_index_keep(run, first)  # an earlier, finished chunk's index
    cache.set(f"import-index-open:{run.pk}", 1)
    mark = merchant.economic.mark()

    held = import_index(run, economic, fields={"email"})

    reads = _customers_reads(merchant, mark)
    assert len(reads) == 1 and "lastUpdated$gte:" in reads[0]
    found = held.lookup(MatchQuery(1, "email", "email", "lost@firma.dk", ""))
    assert [c["customerNumber"] for c in found] == [2]


def test_a_page_runs_in_several_lanes_and_one_email_is_created_once(merchant, monkeypatch):
    for n in range(24):
        merchant.stripe.create_customer(email=f"shared{n % 6}@firma.dk", name=f"Person {n}")
    threads = set()
    real_sync = imports.customer_sync

    def watched_sync(**kwargs):
        threads.add(threading.current_thread().name)
        return real_sync(**kwargs)

    monkeypatch.setattr(imports, "customer_sync", watched_sync)

    run = import_run(run_id=_new_run(merchant).pk)

    assert run.counts == {"created": 6, "matched": 18}
    assert len(merchant.economic.customers()) == 6
    assert len(threads) > 1 and all(name.startswith("import-lane") for name in threads)


# --- the lanes' rules, without services ------------------------------------------------------

SETTINGS = parse(settings_document())


def _customer(n: int, email: str) -> dict:
    return {"id": f"cus_{n}", "object": "customer", "email": email, "name": f"N{n}", "metadata": {}}


def _through_lanes(pages: list[list[dict]], sync_one, index: MatchIndex | None = None) -> list:
    """Every page read before the first is waited for, as the import's reader runs ahead."""
    with Lanes(sync_one, SETTINGS, index or MatchIndex(fields={"email"})) as lanes:
        in_hand = [lanes.read(page, cursor=page[-1]["id"], more=False) for page in pages]
        return [record for page in in_hand for record in lanes.page_done(page)]


def test_customers_that_could_find_each_other_share_a_lane_across_pages(settings):
    settings.IMPORT_LANES = 4
    synced = []

    def noted(customer):
        synced.append((customer["id"], threading.current_thread().name))
        return customer["id"]

    first = [_customer(0, "a@x.dk"), _customer(1, "b@x.dk")]
    second = [_customer(2, "A@x.dk "), _customer(3, "c@x.dk")]
    assert _through_lanes([first, second], noted) == ["cus_0", "cus_1", "cus_2", "cus_3"]
    lane_of = dict(synced)
    assert lane_of["cus_0"] == lane_of["cus_2"]  # the same address, one lane, in reading order
    assert [c for c, _ in synced if c in ("cus_0", "cus_2")] == ["cus_0", "cus_2"]
    assert len(set(lane_of.values())) == 3


def test_a_customer_the_index_finds_goes_to_a_match_lane(settings):
    settings.IMPORT_LANES = 1
    index = MatchIndex.of([{"customerNumber": 1, "email": "known@x.dk"}], fields={"email"})
    lanes = {}

    def noted(customer):
        lanes[customer["id"]] = threading.current_thread().name
        return customer["id"]

    _through_lanes([[_customer(0, "new@x.dk"), _customer(1, "known@x.dk")]], noted, index)
    assert lanes == {"cus_0": "import-lane-0", "cus_1": "import-lane-1"}


def test_a_paced_lane_waits_and_carries_on_and_other_trouble_stops_the_lanes():
    calls = []

    def paced_twice(customer):
        calls.append(customer["id"])
        if len(calls) <= 2:
            raise TransientSyncError([quoted("paced")], retry_after=0.01, trouble=Trouble.THROTTLED)
        return customer["id"]

    assert _through_lanes([[_customer(0, "a@x.dk")]], paced_twice) == ["cus_0"]
    assert calls == ["cus_0"] * 3

    def down(customer):
        raise TransientSyncError([quoted("e-conomic is down")], trouble=Trouble.UNAVAILABLE)

    with pytest.raises(TransientSyncError, match="down"):
        _through_lanes([[_customer(0, "a@x.dk")], [_customer(1, "b@x.dk")]], down)


def test_the_index_replaces_a_changed_customer_and_survives_a_snapshot():
    index = MatchIndex.of(
        [{"customerNumber": 1, "email": "old@x.dk", "lastUpdated": "2026-11-24T10:00:00Z"}], fields={"email"}
    )
    index.add({"customerNumber": 1, "email": "new@x.dk", "lastUpdated": "2026-11-25T09:00:00Z"})
    index.add({"customerNumber": None, "email": "new@x.dk"}, planned_for="cus_9")  # a dry run's would-be one

    def numbers(value, where):
        return [c["customerNumber"] for c in where.lookup(MatchQuery(1, "email", "email", value, ""))]

    again = MatchIndex.of_snapshot(index.snapshot())
    for held in (index, again):
        assert numbers("old@x.dk", held) == []
        assert numbers("new@x.dk", held) == [1, None]
        assert held.size == 1 and held.watermark == "2026-11-25T09:00:00Z"


def test_a_would_be_customer_among_ambiguous_candidates_is_named_not_a_crash():
    from types import SimpleNamespace

    from customers.services.decisions import _ambiguous
    from mappings.engine import MatchResult, RuleResult
    from mappings.vocabulary import MatchOutcome

    query = MatchQuery(1, "email", "email", "a@x.dk", "")
    hits = ({"customerNumber": 7, "email": "a@x.dk"}, {"customerNumber": None, "plannedFor": "cus_1"})
    match = MatchResult(MatchOutcome.AMBIGUOUS, (RuleResult(query, hits),))
    ctx = SimpleNamespace(settings=SETTINGS, dry_run=True)

    outcome = _ambiguous(ctx, match)

    assert outcome.action == "needs_review" and outcome.candidates == [7]
    assert "7, (the one this run would create for cus_1)" in outcome.message


def test_each_lane_opens_its_api_clients_once_and_the_chunk_closes_them(merchant, settings, monkeypatch):
    settings.IMPORT_LANES = 4
    for n in range(24):
        merchant.stripe.create_customer(email=f"lane{n}@firma.dk", name=f"Lane {n}")
    opened, closed = [], []
    real_open = import_lanes.sync_clients_for

    def counted_open(tenant, stripe_account):
        clients = real_open(tenant, stripe_account)
        real_close = clients.close
        clients.close = lambda: (closed.append(clients), real_close())
        opened.append(clients)
        return clients

    monkeypatch.setattr(import_lanes, "sync_clients_for", counted_open)

    run = import_run(run_id=_new_run(merchant).pk)

    assert run.counts == {"created": 24}
    assert 1 < len(opened) <= 4  # one per lane, not one per customer
    assert closed == opened


def test_matched_customers_of_later_pages_are_synced_before_an_earlier_pages_creates_finish(
    merchant, settings
):
    settings.IMPORT_PAGE_SIZE = 5
    settings.IMPORT_LANES = 1  # the first page's five creates one after the other
    known = []
    for n in range(10):
        merchant.economic.add_customer(name=f"Known {n}", email=f"known{n}@firma.dk")
        known.append(merchant.stripe.create_customer(email=f"known{n}@firma.dk", name=f"Known {n}")["id"])
    # Stripe lists the newest first: these five are the first page, the known ones the two after.
    new = [merchant.stripe.create_customer(email=f"new{n}@firma.dk", name=f"New {n}")["id"] for n in range(5)]
    merchant.economic.set_faults(latency=0.5)  # every e-conomic call, so every create, takes a while
    saved = []

    run = import_run(
        run_id=_new_run(merchant).pk, on_record=lambda customer, record: saved.append(customer["id"])
    )

    assert run.status == "finished", run.message
    assert run.counts == {"created": 5, "matched": 10}
    records = SyncRecord.objects.for_tenant(merchant.tenant)
    last_create = max(records.filter(action="created").values_list("pk", flat=True))
    matched = records.filter(action="matched").values_list("pk", flat=True)
    assert all(pk < last_create for pk in matched)  # pages 2 and 3 synced while page 1's creates waited
    assert saved == new[::-1] + known[::-1]  # yet saved page by page, in Stripe's order
