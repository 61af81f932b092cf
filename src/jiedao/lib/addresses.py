"""Where a request came from, for lockouts, rate limits and the audit trail.

Behind a reverse proxy REMOTE_ADDR is the proxy; only the proxies we run are believed about the
client (``JIEDAO_TRUSTED_PROXIES``, or ``JIEDAO_TRUSTED_PROXY_COUNT``), since anything further left in X-Forwarded-For was
written by the client itself.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.JIEDAO_TRUSTED_PROXIES)))


def client_ip_address(request) -> str | None:
    """The address a request came from.

    With ``JIEDAO_TRUSTED_PROXIES`` (our reverse proxies' addresses or networks): REMOTE_ADDR is the
    person unless it is one of those proxies; then X-Forwarded-For is read from the right, skipping
    our proxies, and the first other entry is the person's. Otherwise X-Forwarded-For is believed
    only behind ``JIEDAO_TRUSTED_PROXY_COUNT`` proxies that each append the address they received
    from: the client is that many places from the right. Entries further left were written by the
    client and prove nothing; without a trusted proxy (the default) REMOTE_ADDR is the answer."""
    remote = request.META.get("REMOTE_ADDR")
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if settings.JIEDAO_TRUSTED_PROXIES:
        if not _trusted(remote or ""):
            return remote
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return remote  # garbage where a proxy should have written an address: trust nothing
            if not _trusted(hop):
                return hop
        return hops[0] if hops else remote
    count = settings.JIEDAO_TRUSTED_PROXY_COUNT
    if count <= 0 or len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
