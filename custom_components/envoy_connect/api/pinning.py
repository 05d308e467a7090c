"""The gateway's identity: the public key of its TLS certificate, trusted on first use.

Envoys serve self-signed certificates, so nothing vouches for them; but a
gateway keeps presenting the same key, and an impostor on the LAN cannot.
Like SSH with host keys, we record the key on first contact and refuse to
send anything secret to a peer that presents another one.

Evidence on key changes (see README, "Gateway identity"): a user pinning an
Envoy's certificate reported it replaced about two months before it expired,
with a new key (Matthew1471/Enphase-API issue 25, June 2024); what triggered
it is not known. So a changed key alone cannot be trusted, and cannot be
treated as an attack after every renewal either: see ``key_trust``.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Callable

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from yarl import URL

HANDSHAKE_TIMEOUT = 10


def key_fingerprint(certificate: bytes) -> str:
    """SHA-256 of the certificate's public key (SubjectPublicKeyInfo), as hex pairs."""
    key = x509.load_der_x509_certificate(certificate).public_key()
    digest = hashlib.sha256(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    return digest.digest().hex(":")


class KeyMismatch(aiohttp.ServerFingerprintMismatch):
    """The peer presented another public key than the pinned one; nothing was sent."""

    def __init__(self, expected: str, presented: str, host: str, port: int) -> None:
        """Keep both fingerprints for the user to compare."""
        super().__init__(bytes.fromhex(expected.replace(":", "")), b"", host, port)
        self.expected_key = expected
        self.presented_key = presented


class KeyPin(aiohttp.Fingerprint):
    """aiohttp checks this right after each TLS handshake, before the request is sent.

    aiohttp's own ``Fingerprint`` pins the whole certificate; this pins its key,
    so a certificate renewed with the same key stays trusted. Without a key it
    only reports what the peer presented (trust on first use). Keep one
    instance per pin: aiohttp pools connections by it, so a new instance per
    request would cost the gateway a TLS handshake for every request.
    """

    _UNPINNED = bytes(32)

    def __init__(self, key: str | None, on_presented: Callable[[str], None]) -> None:
        """Pin ``key`` (``key_fingerprint`` form; None: record only); report every key."""
        super().__init__(bytes.fromhex(key.replace(":", "")) if key else self._UNPINNED)
        self.key = key
        self._on_presented = on_presented

    def check(self, transport: asyncio.Transport) -> None:
        """Report the peer's key; raise ``KeyMismatch`` when it is not the pinned one."""
        sslobj = transport.get_extra_info("ssl_object")
        if sslobj is None:
            return  # plain HTTP: nothing to pin (and nothing secret is sent there)
        presented = key_fingerprint(sslobj.getpeercert(binary_form=True))
        self._on_presented(presented)
        if self.key and presented != self.key:
            host, port, *_ = transport.get_extra_info("peername")
            raise KeyMismatch(self.key, presented, host, port)


async def async_presented_key(host: str) -> str | None:
    """The key a host presents on HTTPS, from a bare TLS handshake (nothing is sent).

    None when the host does not answer on HTTPS; never raises.
    """
    url = URL(f"https://{host}")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            _, writer = await asyncio.open_connection(url.host, url.port, ssl=context)
    except OSError, TimeoutError, ssl.SSLError:
        return None
    try:
        sslobj = writer.get_extra_info("ssl_object")
        certificate = sslobj.getpeercert(binary_form=True) if sslobj else None
        return key_fingerprint(certificate) if certificate else None
    finally:
        writer.close()
