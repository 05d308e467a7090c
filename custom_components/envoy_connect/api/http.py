"""The HTTP layer under pyenphase and our cloud clients: what a peer may send, and what it said.

Two things pyenphase cannot do for us, done on the session it uses:

- **Bounded reads.** pyenphase reads every answer whole into memory, however
  large or slow. A hostile host on the LAN (or a broken gateway) could send
  hundreds of MiB, or trickle bytes for minutes. Every answer is cut off at
  ``MAX_RESPONSE_BYTES`` or ``READ_DEADLINE`` seconds and raises a
  ``ClientPayloadError`` subclass, which every caller already treats as the
  peer being unusable. The largest real gateway answer in the recordings is
  about 31 KiB (``/ivp/pdm/device_data`` of some 30 micro-inverters, ~1 KiB
  each), so a site with a thousand inverters stays far below the cap.
- **Statuses.** pyenphase turns every non-200 answer of ``/auth/check_jwt``
  into the same ``EnvoyAuthenticationError``: a refused token (401) and a busy
  gateway (503) look alike, and only the first is a reason to log in again or
  to ask the user. Its probe likewise takes an endpoint that answered 503 or
  nothing for one the gateway lacks. The trace hooks record the status of
  every answer, and which paths answered busy or not at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from http.cookies import BaseCookie, SimpleCookie
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.typedefs import LooseCookies
from yarl import URL

from .pinning import KeyPin

#: A cap far above any real answer (see the module docstring).
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
#: Reading one answer's body may take this long, however the bytes arrive.
READ_DEADLINE = 30.0


class ResponseTooLarge(aiohttp.ClientPayloadError):
    """The peer sent more than ``MAX_RESPONSE_BYTES``; nothing more is read."""


class ResponseTooSlow(aiohttp.ClientPayloadError):
    """The peer did not finish its answer within ``READ_DEADLINE``."""


class _BoundedStream:
    """A response body stream that stops at a size and a deadline."""

    def __init__(
        self,
        stream: aiohttp.StreamReader,
        limit: int,
        deadline: float,
        on_runaway: Callable[[], None] | None = None,
    ) -> None:
        self._stream = stream
        self._limit = limit
        self._deadline = deadline
        self._on_runaway = on_runaway
        self._seen = 0

    def _cut(self, err: aiohttp.ClientPayloadError) -> aiohttp.ClientPayloadError:
        if self._on_runaway is not None:
            self._on_runaway()
        return err

    def _count(self, data: bytes) -> bytes:
        self._seen += len(data)
        if self._seen > self._limit:
            raise self._cut(ResponseTooLarge(f"answer larger than {self._limit} bytes"))
        return data

    async def _chunk(self) -> bytes:
        too_slow = f"answer not complete within {READ_DEADLINE:.0f} s"
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise self._cut(ResponseTooSlow(too_slow))
        try:
            async with asyncio.timeout(left):
                return self._count(await self._stream.readany())
        except TimeoutError as err:
            raise self._cut(ResponseTooSlow(too_slow)) from err

    async def read(self, n: int = -1) -> bytes:
        """Everything (n < 0) or at most ``n`` bytes, within the bounds."""
        if n >= 0:
            return self._count(await self._stream.read(n))
        chunks = []
        while chunk := await self._chunk():
            chunks.append(chunk)
        return b"".join(chunks)

    async def readany(self) -> bytes:
        """The next chunk, within the bounds."""
        return await self._chunk()

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Chunks of at most ``n`` bytes, within the bounds."""
        while chunk := await self.read(n):
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def bound(
    response: aiohttp.ClientResponse,
    limit: int = MAX_RESPONSE_BYTES,
    on_runaway: Callable[[], None] | None = None,
) -> None:
    """Cap ``response``'s body before anyone reads it; ``on_runaway`` hears of a cut.

    :raises ResponseTooLarge: the announced length is already over the cap.
    """
    if response.content_length is not None and response.content_length > limit:
        response.close()
        if on_runaway is not None:
            on_runaway()
        raise ResponseTooLarge(f"answer of {response.content_length} bytes announced")
    response.content = _BoundedStream(  # type: ignore[assignment]
        response.content, limit, time.monotonic() + READ_DEADLINE, on_runaway
    )


async def read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """The body of a response from a session that is not ours (the cloud), within the bounds.

    :raises ResponseTooLarge: more than ``MAX_RESPONSE_BYTES``.
    :raises ResponseTooSlow: not complete within ``READ_DEADLINE``.
    """
    if not isinstance(response.content, _BoundedStream):
        bound(response)
    return await response.read()


class SessionGuard:
    """Guards one gateway session: its identity, bounded answers, and every answer's status.

    Add ``trace_config`` and ``middleware`` to the session pyenphase uses.
    """

    def __init__(self, pin: str | None = None) -> None:
        """``pin``: the public key the gateway must present on HTTPS (None: none yet)."""
        self._statuses: dict[str, int] = {}
        self._pin = KeyPin(pin, self._presented)
        #: The key the gateway presented on the last TLS handshake.
        self.presented: str | None = None
        #: A key refused since ``forget_mismatch`` (the pin's check saw it).
        self.mismatch: str | None = None
        #: Paths that answered 5xx, nothing, or a runaway body since ``take_busy``.
        self._busy: set[str] = set()
        self.trace_config = aiohttp.TraceConfig()
        self.trace_config.on_request_end.append(self._on_request_end)
        self.trace_config.on_request_exception.append(self._on_request_exception)

    @property
    def pin(self) -> str | None:
        """The key the gateway must present (None: trust on first use)."""
        return self._pin.key

    @pin.setter
    def pin(self, key: str | None) -> None:
        self._pin = KeyPin(key, self._presented)

    async def middleware(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """Check every HTTPS connection's key before anything is sent on it.

        pyenphase passes no ``ssl`` argument and HA builds the session's connector,
        so the check goes onto the request here; aiohttp's ``ClientRequest`` has no
        public setter for it.

        :raises KeyMismatch: the peer presented another key; nothing was sent.
        """
        if request.url.scheme == "https":
            request._ssl = self._pin  # noqa: SLF001
        return await handler(request)

    def _presented(self, key: str) -> None:
        self.presented = key
        if self._pin.key and key != self._pin.key:
            self.mismatch = key

    def forget_mismatch(self) -> None:
        """Start watching for a refused key afresh."""
        self.mismatch = None

    async def _on_request_end(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        path = params.url.path
        self._statuses[path] = params.response.status
        if params.response.status >= 500:
            self._busy.add(path)
        # A runaway answer is no answer: pyenphase's probe would take the path for absent.
        bound(params.response, on_runaway=lambda: self._busy.add(path))

    async def _on_request_exception(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        self._statuses.pop(params.url.path, None)
        self._busy.add(params.url.path)

    def take_busy(self) -> set[str]:
        """Paths that answered 5xx, nothing or too much since the last call.

        pyenphase cannot tell us: its probe takes any of these for an absent endpoint.
        """
        busy, self._busy = self._busy, set()
        return busy

    def status(self, path: str) -> int | None:
        """Status of the last answer for ``path``; None when none arrived."""
        return self._statuses.get(path)

    def forget(self, path: str) -> None:
        """Drop what we know about ``path`` before asking again."""
        self._statuses.pop(path, None)


_NO_URL = URL()


class GatewayCookieJar(aiohttp.CookieJar):
    """The gateway's session cookie, kept for its own address and port only.

    Envoys are reached by IP address, so the jar must accept cookies for IP
    hosts (``unsafe``). Cookies ignore ports, though: without this filter the
    ``sessionId`` would also go to any other port of the same address, e.g.
    where a redirect of ``/info`` leads, and cookies from there would come back.
    """

    def __init__(self, host: str) -> None:
        """``host`` as configured: an address, optionally with ``:port``."""
        super().__init__(unsafe=True)
        parsed = URL(f"//{host}")
        self._host = parsed.host
        self._port = parsed.explicit_port

    def _ours(self, url: URL) -> bool:
        if url.host != self._host:
            return False
        return url.port == self._port if self._port else url.explicit_port is None

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Keep cookies the gateway itself set."""
        if self._ours(response_url):
            super().update_cookies(cookies, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Keep cookies the gateway itself set."""
        if self._ours(response_url):
            super().update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        """Send cookies to the gateway only."""
        if not self._ours(request_url):
            return SimpleCookie()
        return super().filter_cookies(request_url)
