"""Rate limits that hold across every server process: counters in the shared cache.

A limit is a key (``access-code:phone:…``) and one or more rates ("1 a minute, 5 an hour"). Each
rate counts in ten buckets per window (``<key>:<seconds>:<bucket number>``) and judges a sliding
window: every bucket inside the last ``seconds`` counts fully, the one sliding out of view in
proportion to what is still inside. So "1 a minute" lets no second one through at 1:00 after
0:59 (as fixed windows would), nor holds it back much past a minute (as a two-window estimate
does for small counts); a check reads the eleven counters in one ``get_many``.

Counting is atomic wherever the counters live: ``cache.add`` creates a window's counter and
``cache.incr`` bumps it (Redis: ``SET NX`` and ``INCR``; the default database cache,
``jiedao.lib.cache.DatabaseCache``, increments under the row's write lock). A hit first counts,
then judges on the count it got back, and takes its count back when refused, so two processes
racing for the last place cannot both win, and a refused attempt does not lengthen the wait.

``client_address`` says which address a request came from, read through our trusted proxies
exactly as the sign-in lockout and the audit trail read it (``core.addresses``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from .addresses import client_ip_address

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """At most ``count`` events in any ``seconds``."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> tuple[Rate, ...]:
        """Read "60:1,3600:5" (seconds:count pairs): 1 a minute and 5 an hour."""
        rates = []
        for part in (text or "").split(","):
            if part.strip():
                seconds, _sep, count = part.strip().partition(":")
                rates.append(cls(count=int(count or 1), seconds=int(seconds)))
        return tuple(rates)


@dataclass(frozen=True)
class Limit:
    key: str
    rates: tuple[Rate, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds until a hit would be allowed again; 0 when allowed

    @property
    def retry_minutes(self) -> int:
        """The wait in whole minutes, for "请 X 分钟后再试": rounded to the nearest, never 0 (a
        bucket's events count until the whole bucket is out of view, so "1 a minute" can mean
        66 seconds, which a person is better told as 1 minute than 2)."""
        return max(1, math.floor(self.retry_after / 60 + 0.5))


def _cache(cache=None):
    return cache if cache is not None else caches[settings.JIEDAO_RATELIMIT_CACHE]


BUCKETS = 10  # each window is counted in this many buckets: the estimate errs by 1/10 of a window


@dataclass(frozen=True)
class _Window:
    """One rate at one instant: the bucket being counted and the older ones still in view."""

    current: str
    older: tuple[str, ...]  # oldest first: buckets i-BUCKETS … i-1
    bucket: float  # seconds per bucket
    elapsed: float  # seconds into the current bucket
    timeout: int

    @classmethod
    def at(cls, limit_key: str, rate: Rate, now: float) -> _Window:
        bucket = rate.seconds / BUCKETS
        index = int(now // bucket)
        base = f"rl:{limit_key}:{rate.seconds}"
        return cls(
            current=f"{base}:{index}",
            older=tuple(f"{base}:{index - back}" for back in range(BUCKETS, 0, -1)),
            bucket=bucket,
            elapsed=now - index * bucket,
            timeout=int(rate.seconds + 2 * bucket) + 60,
        )

    def wait(self, rate: Rate, counts: list[int]) -> float | None:
        """None if one more event fits now; otherwise the seconds until it would.

        ``counts`` are the buckets oldest first, the current one last (before this event). The
        estimate counts every bucket inside the last ``rate.seconds`` fully, and the one sliding
        out of view in proportion to how much of it is still inside."""
        room = rate.count - 1
        for passed in range(BUCKETS + 1):  # look ahead bucket by bucket until one more fits
            fading, newer = counts[passed], sum(counts[passed + 1 :])
            if newer > room:
                continue
            gone = 0.0 if fading <= 0 else max(0.0, 1 - (room - newer) / fading)  # share of the fading bucket
            at = passed * self.bucket + gone * self.bucket
            if at <= self.elapsed + 1e-9:
                return None if passed == 0 else 0.0
            if passed > 0 or at > self.elapsed:
                return at - self.elapsed
        return (BUCKETS + 1) * self.bucket - self.elapsed


def _incr(cache, key: str, timeout: int, delta: int = 1) -> int:
    if delta > 0 and cache.add(key, delta, timeout):
        return delta
    try:
        value = cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        if delta < 0:
            return 0
        cache.add(key, delta, timeout)
        return delta
    if value == delta and delta > 0:
        cache.touch(key, timeout)  # a counter Redis re-created on INCR has no expiry: give it one
    return value


def _counts(cache, window: _Window, current: int | None = None) -> list[int]:
    keys = [*window.older] + ([] if current is not None else [window.current])
    values = cache.get_many(keys)
    counts = [int(values.get(key) or 0) for key in window.older]
    counts.append(current if current is not None else int(values.get(window.current) or 0))
    return counts


def rate_limit_hit(*limits: Limit, cache=None, now: float | None = None) -> Decision:
    """Count one event against every limit, or against none if any of them refuses it."""
    cache = _cache(cache)
    now = time.time() if now is None else now
    counted: list[tuple[str, int]] = []
    try:
        for limit in limits:
            for rate in limit.rates:
                window = _Window.at(limit.key, rate, now)
                after = _incr(cache, window.current, window.timeout)
                counted.append((window.current, window.timeout))
                wait = window.wait(rate, _counts(cache, window, current=after - 1))
                if wait is not None:
                    for key, timeout in counted:
                        _incr(cache, key, timeout, delta=-1)
                    return Decision(False, max(1, math.ceil(wait)))
    except Exception:
        logger.exception("rate limit cache unavailable; refusing")
        return Decision(False, 60)
    return Decision(True)


def rate_limit_peek(*limits: Limit, cache=None, now: float | None = None) -> Decision:
    """Whether a hit would be allowed now, counting nothing."""
    cache = _cache(cache)
    now = time.time() if now is None else now
    worst = None
    try:
        for limit in limits:
            for rate in limit.rates:
                window = _Window.at(limit.key, rate, now)
                wait = window.wait(rate, _counts(cache, window))
                if wait is not None:
                    worst = max(worst or 0.0, wait)
    except Exception:
        logger.exception("rate limit cache unavailable; refusing")
        return Decision(False, 60)
    return Decision(True) if worst is None else Decision(False, max(1, math.ceil(worst)))


def rate_limit_count(*limits: Limit, cache=None, now: float | None = None) -> None:
    """Count one event against every limit, whatever the counts (e.g. a failed attempt that
    ``rate_limit_peek`` will refuse once there are too many)."""
    cache = _cache(cache)
    now = time.time() if now is None else now
    try:
        for limit in limits:
            for rate in limit.rates:
                window = _Window.at(limit.key, rate, now)
                _incr(cache, window.current, window.timeout)
    except Exception:
        logger.exception("rate limit cache unavailable; event not counted")


def hashed(value: str) -> str:
    """A key part that does not put a phone number in clear into the cache."""
    return hashlib.blake2b(value.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16).hexdigest()


def client_address(request) -> str:
    """The address of the person behind ``request``: the same answer as the lockout and the audit."""
    return client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or ""


def address_key(address: str) -> str:
    """The unit an address limit counts: one IPv4 address, or one IPv6 /64 (one subscriber)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
