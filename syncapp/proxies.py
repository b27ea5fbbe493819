"""Who the client is, when proxies stand in front: only the peers listed in TRUSTED_PROXIES (a
list of addresses or networks) may tell us through X-Forwarded-For and X-Forwarded-Proto.

Counting hops alone is not enough: when the app is also reachable directly, a client sends its
own X-Forwarded-For and picks the address that login throttling (django-axes) and the sign-up
limit count. So the middleware drops the forwarding headers of any other peer before anything
reads them (SECURE_PROXY_SSL_HEADER included), and `client_address` reads the header from the
right, past the trusted proxies, to the first address none of them is.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Headers only a proxy of ours may set; from anyone else they are dropped unread.
FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


@cache
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy; then the rightmost
    X-Forwarded-For hop that is not one (each proxy appends the address it saw; whatever the
    client put there itself is further left). A hop that is no address ends the walk."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        if _address(hop) is None:
            break
        client = hop
        if not is_trusted_proxy(hop):
            break
    return client


class ProxyHeadersMiddleware:
    """First in the chain: a request not from a trusted proxy loses its forwarding headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in FORWARDING_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
