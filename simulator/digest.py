"""Server side of HTTP digest authentication (RFC 7616, MD5, qop=auth).

Legacy Envoys (firmware < 7) protect their API this way; aiohttp only ships
the client half.
"""

from __future__ import annotations

import hashlib
import re
import secrets

REALM = "enphaseenergy.com"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DigestVerifier:
    """Issues nonces and checks digest responses against known passwords."""

    def __init__(self) -> None:
        """Start with no outstanding nonces."""
        self._nonces: set[str] = set()

    def challenge(self) -> str:
        """Return a WWW-Authenticate header value with a fresh nonce."""
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        return f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm=MD5'

    def forget_nonces(self) -> None:
        """Drop every nonce, as a reboot does."""
        self._nonces.clear()

    def verify(self, header: str | None, method: str, passwords: dict[str, str]) -> str | None:
        """Return the authenticated user name, or None."""
        if not header or not header.startswith("Digest "):
            return None
        params = {m[0]: m[1] or m[2] for m in _PARAM.findall(header[7:])}
        user = params.get("username", "")
        if (password := passwords.get(user)) is None or params.get("nonce") not in self._nonces:
            return None
        ha1 = _md5(f"{user}:{REALM}:{password}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        if params.get("qop"):
            expected = _md5(
                f"{ha1}:{params['nonce']}:{params.get('nc', '')}:"
                f"{params.get('cnonce', '')}:{params['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{params['nonce']}:{ha2}")
        return user if secrets.compare_digest(expected, params.get("response", "")) else None
