"""What the gateway's HTTP session saw, read from aiohttp's trace hooks.

pyenphase turns every non-200 answer of ``/auth/check_jwt`` into the same
``EnvoyAuthenticationError``: a refused token (401) and a busy gateway (503)
look alike, and only the first is a reason to log in again or to ask the user.
The hook records the status of every answer on the session pyenphase uses, so
the gateway wrapper can read what the gateway really said.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp


class ResponseLog:
    """Last status per path of one gateway session; add ``trace_config`` to the session."""

    def __init__(self) -> None:
        """Start empty; the trace config is what the session needs."""
        self._statuses: dict[str, int] = {}
        self.trace_config = aiohttp.TraceConfig()
        self.trace_config.on_request_end.append(self._on_request_end)

    async def _on_request_end(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        self._statuses[params.url.path] = params.response.status

    def status(self, path: str) -> int | None:
        """Status of the last answer for ``path``; None when none arrived."""
        return self._statuses.get(path)

    def forget(self, path: str) -> None:
        """Drop what we know about ``path`` before asking again."""
        self._statuses.pop(path, None)
