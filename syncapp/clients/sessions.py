"""The HTTP session each API client keeps: what requests would read from the environment on every
call, read once when the client is made."""

import os

import requests


def api_session(base_url: str) -> requests.Session:
    """A session for calls to `base_url`, with the proxy and CA settings of this process's
    environment fixed at creation.

    With `trust_env` on, requests walks the whole environment for proxy variables twice per
    request: about a tenth of a sync's CPU in the worker (docs/benchmarks.md). A process's
    environment does not change while it runs and a client calls one host, so the answer is the
    same each time: it is taken once here (the same functions requests uses, `no_proxy`
    included), and the session stops asking.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    return session
