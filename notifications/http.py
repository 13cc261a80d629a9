"""HTTP clients for providers, keeping connections alive and reading proxy settings once."""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import requests
import urllib3


def http_session() -> requests.Session:
    """A keep-alive HTTP session that reads proxy settings once instead of scanning os.environ per request."""
    session = requests.Session()
    session.proxies = urllib.request.getproxies()
    session.trust_env = False
    return session


def http_pool(url: str) -> urllib3.PoolManager:
    """A keep-alive connection pool for one busy endpoint: plain urllib3 costs about half the CPU of a requests
    call, which matters where every case event makes one call (the 12345 callback). Never retries by itself:
    the outbox decides when to try again."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, retries=False)
    return urllib3.PoolManager(retries=False)
