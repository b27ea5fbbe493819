"""The e-conomic match index of one import: read once per run, kept between its chunks.

An import's chunks are separate tasks, possibly in different worker processes, so the index is
kept in the cache (Redis) between them rather than read again: reading e-conomic costs one call
per 1000 customers, and those calls share the agreement's rate limit with the creates. A long
import still sees what changes in e-conomic meanwhile: every IMPORT_INDEX_REFRESH_SECONDS it
reads the customers changed since the latest `lastUpdated` it holds (usually one call). If the
cache lost the index, it is read again whole: never wrong, only slower. A chunk that never
finished (its worker was killed) may have created customers its index never kept: the next chunk
sees its mark and reads the changes first.
"""

import time

from django.conf import settings
from django.core.cache import cache

from mappings.match_index import MatchIndex
from syncapp.clients.economic import EconomicClient, escape_filter_value

from ..models import ImportRun

PAGE = 1000
KEPT_SECONDS = 24 * 3600


def _key(run: ImportRun) -> str:
    return f"import-index:{run.pk}"


def _open_key(run: ImportRun) -> str:
    return f"import-index-open:{run.pk}"


def import_index(run: ImportRun, economic: EconomicClient, *, fields: set[str]) -> MatchIndex:
    kept = cache.get(_key(run))
    if kept is None or set(kept["fields"]) != fields:
        return _read_whole(run, economic, fields)
    index = MatchIndex.of_snapshot(kept)
    unfinished = not cache.add(_open_key(run), 1, KEPT_SECONDS)
    stale = time.time() - index.read_at >= settings.IMPORT_INDEX_REFRESH_SECONDS
    if (unfinished or stale) and not index.watermark:
        return _read_whole(run, economic, fields)  # e-conomic was empty: nothing to read changes from
    if unfinished or stale:
        changed = f"lastUpdated$gte:{escape_filter_value(index.watermark)}"
        index.read_at = time.time()
        for customer in economic.iter_customers(filter=changed, page_size=PAGE):
            index.add(customer)
    return index


def import_index_keep(run: ImportRun, index: MatchIndex) -> None:
    """After a chunk: the customers it created are in the index for the next one."""
    cache.set(_key(run), index.snapshot(), KEPT_SECONDS)
    cache.delete(_open_key(run))


def import_index_drop(run: ImportRun) -> None:
    cache.delete_many([_key(run), _open_key(run)])


def _read_whole(run: ImportRun, economic: EconomicClient, fields: set[str]) -> MatchIndex:
    cache.set(_open_key(run), 1, KEPT_SECONDS)
    read_at = time.time()
    index = MatchIndex.of(economic.iter_customers(page_size=PAGE), fields=fields)
    index.read_at = read_at
    return index
