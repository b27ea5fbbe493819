"""The suite's own plumbing (docs/testing.md): workers of a parallel run never share a Redis
database, and the faster flush after a transactional test still leaves every table empty."""

import os

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from syncapp.models import Membership, Tenant
from tests.factories import MembershipFactory
from tests.worker_redis import redis_urls_for_worker


def test_no_two_workers_share_a_redis_database():
    urls = [redis_urls_for_worker("redis://127.0.0.1:7000", f"gw{n}") for n in range(32)]
    used = [url for pair in urls for url in pair.values()]
    assert len(set(used)) == len(used) == 64
    assert urls[0] == {
        "REDIS_URL": "redis://127.0.0.1:7000/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:7000/1",
    }
    assert urls[3] == {
        "REDIS_URL": "redis://127.0.0.1:7000/6",
        "CELERY_BROKER_URL": "redis://127.0.0.1:7000/7",
    }


@pytest.mark.skipif(not os.environ.get("PYTEST_XDIST_WORKER"), reason="a worker of a parallel run")
def test_a_worker_uses_its_pair_on_the_runs_private_redis_and_passes_it_on():
    server = settings.REDIS_URL.rsplit("/", 1)[0]
    assert {"REDIS_URL": settings.REDIS_URL, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL} == (
        redis_urls_for_worker(server, os.environ["PYTEST_XDIST_WORKER"])
    )
    # The environment the worker's Celery workers and scripts inherit says the same.
    assert (os.environ["REDIS_URL"], os.environ["CELERY_BROKER_URL"]) == (
        settings.REDIS_URL,
        settings.CELERY_BROKER_URL,
    )
    # Not the machine's shared redis-server (port 6379), whose databases other runs use.
    assert not server.endswith(":6379")
    assert redis.Redis.from_url(settings.REDIS_URL).ping()


@pytest.mark.django_db(transaction=True)
def test_the_flush_after_a_transactional_test_empties_every_table():
    MembershipFactory.create_batch(3)
    assert Membership.all_tenants.count() == Tenant.objects.count() == 3
    assert connection.ops.sql_flush(no_style(), ["syncapp_tenant"])[1] == 'DELETE FROM "syncapp_tenant"'

    call_command("flush", verbosity=0, interactive=False)

    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            # post_migrate handlers make the content types, the permissions and the Support group
            # (syncapp/staff.py) again.
            made_again = (ContentType, Permission, Group, Group.permissions.through)
            if table in {model._meta.db_table for model in made_again}:
                assert count > 0, table
            else:
                assert count == 0, table
