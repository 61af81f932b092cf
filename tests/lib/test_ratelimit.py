"""Shared-cache rate limits (``jiedao.lib.ratelimit``): the arithmetic, the client's address,
and limits that hold when several server processes count at once, with the default database
cache and with Redis."""

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import RequestFactory

from jiedao.lib.ratelimit import (
    Decision,
    Limit,
    Rate,
    address_key,
    client_address,
    rate_limit_count,
    rate_limit_hit,
    rate_limit_peek,
)

REDIS_URL = "redis://127.0.0.1:6379/2"  # db 2: this suite's own, away from other users of the server
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache():
    return LocMemCache(f"ratelimit-{uuid.uuid4()}", {})


def limit(rates="60:1", key=None):
    return Limit(key or f"test:{uuid.uuid4()}", Rate.parse(rates))


# The arithmetic.


def test_a_rate_lets_its_count_through_then_refuses_and_says_how_long_to_wait(cache):
    rule, now = limit("3600:5"), 1_000_000.0
    assert [rate_limit_hit(rule, cache=cache, now=now + n).allowed for n in range(6)] == [True] * 5 + [False]
    refused = rate_limit_hit(rule, cache=cache, now=now + 10)
    assert not refused.allowed and 3590 - 360 <= refused.retry_after <= 3600 + 360
    assert refused.retry_minutes >= 54
    assert rate_limit_hit(rule, cache=cache, now=now + 3600 + 400).allowed


def test_one_a_minute_means_about_a_minute_not_one_per_calendar_minute(cache):
    rule, start = limit("60:1"), 1_000_020.0  # any instant, whatever the bucket boundaries
    assert rate_limit_hit(rule, cache=cache, now=start).allowed
    for later in (1, 30, 55):  # a fixed window would let one through at the next minute's start
        assert not rate_limit_hit(rule, cache=cache, now=start + later).allowed
    refused = rate_limit_hit(rule, cache=cache, now=start + 1)
    assert 59 <= refused.retry_after <= 66 and refused.retry_minutes == 1
    assert rate_limit_hit(rule, cache=cache, now=start + 67).allowed


def test_a_burst_cannot_straddle_a_window_boundary(cache):
    rule = limit("600:10")
    base = 600_000.0  # a window boundary
    assert all(rate_limit_hit(rule, cache=cache, now=base - 5).allowed for _ in range(10))
    assert not rate_limit_hit(rule, cache=cache, now=base + 5).allowed


def test_a_refused_hit_counts_against_no_limit(cache):
    tight, loose, now = limit("60:1"), limit("3600:3"), 5_000_000.0
    assert rate_limit_hit(tight, loose, cache=cache, now=now).allowed
    for n in range(5):
        assert not rate_limit_hit(tight, loose, cache=cache, now=now + 1 + n).allowed
    other = limit("60:1")  # the loose limit has counted 1 of 3, not 6
    assert rate_limit_hit(other, loose, cache=cache, now=now + 2).allowed
    assert rate_limit_hit(limit("60:1"), loose, cache=cache, now=now + 3).allowed
    assert not rate_limit_hit(limit("60:1"), loose, cache=cache, now=now + 4).allowed


def test_peek_counts_nothing_and_count_counts_regardless(cache):
    rule, now = limit("600:2"), 7_000_000.0
    assert rate_limit_peek(rule, cache=cache, now=now).allowed
    rate_limit_count(rule, cache=cache, now=now)
    assert rate_limit_peek(rule, cache=cache, now=now).allowed
    rate_limit_count(rule, cache=cache, now=now)
    rate_limit_count(rule, cache=cache, now=now)  # counted even past the limit
    peeked = rate_limit_peek(rule, cache=cache, now=now + 1)
    assert not peeked.allowed and peeked.retry_after > 0


def test_a_cache_that_is_down_refuses_rather_than_crashes():
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    assert rate_limit_hit(limit(), cache=Down()) == Decision(False, 60)
    assert rate_limit_peek(limit(), cache=Down()) == Decision(False, 60)


# The client's address.


def test_the_client_address_is_remote_addr_and_a_forged_forwarded_header_is_ignored(settings):
    settings.JIEDAO_TRUSTED_PROXIES = []
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "203.0.113.9"


def test_with_only_a_proxy_count_the_rate_limits_see_the_address_the_sign_in_lockout_sees(settings):
    from jiedao.lib.addresses import client_ip_address

    settings.JIEDAO_TRUSTED_PROXIES = []
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="172.30.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_address(request) == client_ip_address(request) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_forwarded_counts_not_what_the_client_wrote(settings):
    settings.JIEDAO_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    factory = RequestFactory()
    forwarded = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.1.2.3")
    assert client_address(forwarded) == "203.0.113.9"
    direct = factory.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_address(direct) == "198.51.100.4"
    garbage = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, not-an-ip")
    assert client_address(garbage) == "127.0.0.1"


def test_ipv6_clients_are_counted_per_64_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_key("203.0.113.9") == "203.0.113.9"


# The shared cache.


@pytest.mark.django_db
def test_without_redis_the_cache_is_a_table_in_the_database_created_by_migrate():
    backend = caches["default"]
    assert type(backend).__module__ == "jiedao.lib.cache"
    assert backend._table in connection.introspection.table_names()


def test_the_cache_is_redis_when_jiedao_redis_url_is_set():
    code = "import django; django.setup(); from django.core.cache import caches; print(type(caches['default']).__name__)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiedao.settings", "JIEDAO_REDIS_URL": REDIS_URL}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "RedisCache"


@pytest.mark.django_db
def test_database_cache_increments_keep_the_expiry_and_refuse_missing_keys():
    backend = caches["default"]
    key = f"incr-{uuid.uuid4()}"
    with pytest.raises(ValueError):
        backend.incr(key)
    backend.add(key, 1, 2)
    assert backend.incr(key) == 2 and backend.incr(key, -1) == 1
    time.sleep(2.1)  # Django's own incr would have restarted the expiry at its 300 s default
    assert backend.get(key) is None


# Several processes against one shared cache.

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
    from django.conf import settings
    if os.environ.get("TEST_DB_NAME"):
        settings.DATABASES["default"]["NAME"] = os.environ["TEST_DB_NAME"]
    import django
    django.setup()
    from jiedao.lib.ratelimit import Limit, Rate, rate_limit_hit
    go = sys.argv[2]
    while not os.path.exists(go):
        time.sleep(0.005)
    rule = Limit(sys.argv[1], Rate.parse("3600:7"))
    print(json.dumps([rate_limit_hit(rule).allowed for _ in range(12)]))
    """
)


def hits_from_processes(tmp_path, env, processes=3) -> list[bool]:
    key, go = f"processes:{uuid.uuid4()}", tmp_path / "go"
    env = {**os.environ, **env}
    children = [
        subprocess.Popen([sys.executable, "-c", WORKER, key, str(go)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    time.sleep(2.0)  # let every child load Django and wait at the starting line
    go.touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        results.extend(__import__("json").loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.django_db(transaction=True)
def test_a_limit_holds_across_server_processes_with_the_default_database_cache(tmp_path):
    env = {"TEST_DB_NAME": str(connection.settings_dict["NAME"]), "JIEDAO_REDIS_URL": ""}
    results = hits_from_processes(tmp_path, env)
    assert len(results) == 36 and results.count(True) == 7


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    return REDIS_URL


@pytest.mark.redis
def test_a_limit_holds_across_server_processes_with_redis(tmp_path, redis_url):
    results = hits_from_processes(tmp_path, {"JIEDAO_REDIS_URL": redis_url, "JIEDAO_CACHE_PREFIX": f"test-{uuid.uuid4()}"})
    assert len(results) == 36 and results.count(True) == 7


@pytest.mark.redis
def test_redis_counters_expire_with_their_window(redis_url):
    import redis
    from django.core.cache.backends.redis import RedisCache

    prefix = f"test-{uuid.uuid4()}"
    backend = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    rule = limit("60:1")
    assert rate_limit_hit(rule, cache=backend).allowed
    assert not rate_limit_hit(rule, cache=backend).allowed
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(f"{prefix}:*")
    assert keys and all(0 < client.ttl(key) <= 60 + 12 + 60 for key in keys)
    client.delete(*keys)
