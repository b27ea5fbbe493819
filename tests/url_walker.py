"""Every URL of the project that belongs to a tenant, generated from the URL conf: a route added
tomorrow is walked by the tenancy and security tests the day it is added."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

_SAMPLE_VALUES = {
    "int": "1",
    "slug": "x",
    "str": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
    "path": "x",
}


def tenant_url_templates() -> list[str]:
    """Every URL pattern with a <slug>, as its route."""

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<slug:slug>" in route:
                yield route

    return sorted(set(walk(get_resolver().url_patterns)))


def url_parameters(route: str) -> list[tuple[str, str]]:
    """(converter, name) of each parameter besides the slug."""
    return [(kind, name) for kind, name in re.findall(r"<(\w+):(\w+)>", route) if name != "slug"]


def fill(route: str, slug: str, **values: str) -> str:
    """The route as a path: the slug, the values given by parameter name, samples for the rest."""
    route = route.replace("<slug:slug>", slug)
    route = re.sub(
        r"<(\w+):(\w+)>", lambda m: str(values.get(m.group(2), _SAMPLE_VALUES.get(m.group(1), "x"))), route
    )
    return "/" + re.sub(r"<\w+>", "x", route).lstrip("^").rstrip("$")
