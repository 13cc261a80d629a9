"""HTTP sessions for providers."""

from __future__ import annotations

import urllib.request

import requests


def http_session() -> requests.Session:
    """A keep-alive HTTP session that reads proxy settings once instead of scanning os.environ per request."""
    session = requests.Session()
    session.proxies = urllib.request.getproxies()
    session.trust_env = False
    return session
