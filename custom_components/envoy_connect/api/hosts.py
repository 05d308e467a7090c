"""What a user may type as a gateway's address."""

from __future__ import annotations

from yarl import URL

from .errors import InvalidHost


def normalize_host(value: str) -> str:
    """``host`` or ``host:port`` as typed (IPv6 in brackets), without anything around it.

    :raises InvalidHost: a scheme, user, path, query or an unparsable address.
    """
    text = value.strip()
    try:
        url = URL(f"//{text}")
        ok = bool(url.host) and not (url.user or url.password or url.query_string or url.fragment)
        ok = ok and url.path in ("", "/") and "/" not in text and "@" not in text
    except ValueError:
        ok = False
    if not ok:
        raise InvalidHost("not a host name or address")
    return text
