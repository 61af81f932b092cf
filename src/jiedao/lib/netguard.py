"""Which network addresses the server may call on a partner's behalf (webhooks).

A partner chooses its webhook URL, and our server then makes requests to it from inside the
office's network. Without a rule, a URL such as ``http://169.254.169.254/latest/meta-data/`` (the
cloud's metadata service, which hands out credentials), ``http://127.0.0.1:6379/`` or
``http://10.0.0.5/admin`` would make Jiedao reach places no outsider can (server-side request
forgery). So only globally routable unicast addresses are called, unless an administrator lists a
network in ``JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS`` (a government intranet partner).

The rule is applied to every address a host name resolves to, at registration (to tell the
partner at once) and again at each delivery, on the very address the connection is then made to
(:func:`guarded_connection`), because the partner's DNS can change between the two ("DNS
rebinding"). No Django inside: plain functions over ``ipaddress``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")

# IPv6 prefixes that carry an IPv4 address inside them; the IPv4 address is what gets reached
# (through a translator or a tunnel), so it is the one checked.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known NAT64 prefix
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use NAT64
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_BENCHMARK = ipaddress.IPv4Network("198.18.0.0/15")


class AddressRefused(Exception):
    """The URL, or an address its host resolves to, may not be called.

    ``reason`` is a stable word for logs and messages: "scheme", "no_host", "unresolvable",
    "loopback", "private", "link_local", "multicast", "reserved", "unspecified", "unique_local",
    "not_global".
    """

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """"10.8.0.0/16, 2001:db8::/32" (or a list of such strings) → networks; bad entries raise ValueError."""
    if isinstance(values, str):
        values = values.split(",")
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value and value.strip()]


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: ::ffff:a.b.c.d, ::a.b.c.d, NAT64, 6to4, Teredo."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    packed = address.packed
    if packed[:12] == bytes(12) and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(packed[12:])
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client behind the Teredo relay
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why the server may not call this address (without exceptions), or None if it is public."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return refusal_reason(inner)
    # Order matters only for the word reported: the most specific first.
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:  # 169.254/16 holds the cloud metadata service; fe80::/10
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address):
        if address in ipaddress.IPv6Network("fc00::/7"):
            return "unique_local"
        if address.is_site_local:  # fec0::/10, deprecated but still routed inside some sites
            return "private"
    if address.is_reserved:
        return "reserved"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "private"
    if address.is_private:  # RFC 1918 and the special-purpose blocks Python lists with them
        return "private"
    if isinstance(address, ipaddress.IPv4Address) and address in _BENCHMARK:
        return "reserved"
    if not address.is_global:
        return "not_global"
    return None


def address_check(address: IPAddress | str, *, allowed: Sequence[IPNetwork] = ()) -> IPAddress:
    """The address, if the server may call it; else ``AddressRefused``.

    An address inside one of the ``allowed`` networks is accepted whatever its kind: that list is
    the administrator's explicit exception. An IPv6 form of an IPv4 address matches an allowed
    IPv4 network too.
    """
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    candidates = [address]
    if (inner := embedded_ipv4(address)) is not None:
        candidates.append(inner)
    for network in allowed:
        if any(candidate.version == network.version and candidate in network for candidate in candidates):
            return address
    if (reason := refusal_reason(address)) is not None:
        raise AddressRefused(reason, str(address))
    return address


def resolve(host: str, port: int) -> list[tuple[int, IPAddress]]:
    """Every (family, address) the host name resolves to, in the resolver's order."""
    results = []
    for family, _type, _proto, _canon, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if (family, address) not in results:
            results.append((family, address))
    return results


def url_host_port(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or ``AddressRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused("no_host", str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise AddressRefused("scheme", scheme)
    if not parts.hostname:
        raise AddressRefused("no_host")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def url_check(url: str, *, allowed: Sequence[IPNetwork] = (), unresolvable_ok: bool = False) -> list[IPAddress]:
    """Check a URL's scheme and every address its host resolves to; return the addresses.

    A host name with *any* refused address is refused: a resolver answering with one public and
    one private address would otherwise let the connection land on the private one.
    ``unresolvable_ok`` is for registration, where a partner may register a name before its DNS
    is live; delivery resolves again and refuses then.
    """
    _scheme, host, port = url_host_port(url)
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        return [address_check(literal, allowed=allowed)]
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as error:
        if unresolvable_ok:
            return []
        raise AddressRefused("unresolvable", f"{host}: {error}") from None
    if not found:
        if unresolvable_ok:
            return []
        raise AddressRefused("unresolvable", host)
    return [address_check(address, allowed=allowed) for _family, address in found]


def guarded_connection(host: str, port: int, timeout: float, *, allowed: Sequence[IPNetwork] = ()) -> socket.socket:
    """A TCP connection to ``host``, made only to addresses that pass the check.

    Resolution and connection happen here, in one step, so the address connected to is the
    address checked (a second lookup by the HTTP library could get a different answer).
    """
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
        found = [(socket.AF_INET6 if literal.version == 6 else socket.AF_INET, literal)]
    except ValueError:
        try:
            found = resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise AddressRefused("unresolvable", f"{host}: {error}") from None
    if not found:
        raise AddressRefused("unresolvable", host)
    for _family, address in found:
        address_check(address, allowed=allowed)  # every answer, as at registration
    last_error: OSError | None = None
    for family, address in found:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((str(address), port))
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    assert last_error is not None
    raise last_error
