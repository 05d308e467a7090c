"""Which TLS key a gateway is trusted by, and when a new key may be trusted without asking.

A key the pin refused was never sent anything (see ``pinning``). After a
restart we watched (the gateway stopped answering, then came back at the same
address with a new key), the new key is trusted: Envoys renew their
certificate, and a prompt after each renewal would be without cause.
Otherwise only the user can tell a replaced gateway from an impostor.
"""

from __future__ import annotations

import logging

from .errors import GatewayIdentityChanged, GatewayUnreachable
from .http import SessionGuard

_LOGGER = logging.getLogger(__name__)


class KeyTrust:
    """Trust on first use, and again after an observed restart; otherwise the user decides."""

    def __init__(self, guard: SessionGuard, host: str) -> None:
        """Decide for the session ``guard`` watches (its pin: the key trusted so far)."""
        self._guard = guard
        self._host = host
        #: The gateway stopped answering since its last good answer: a restart we saw.
        self._outage_seen = False
        #: New keys trusted after an observed restart, since start (for diagnostics).
        self.key_changes = 0

    @property
    def identity(self) -> str | None:
        """The key this gateway is trusted by (pinned, else the one first seen)."""
        return self._guard.pin or self._guard.presented

    @property
    def refused(self) -> bool:
        """The pin refused a key since the last verdict."""
        return self._guard.mismatch is not None

    def trust_first_key(self) -> None:
        """``/info`` answered as the expected gateway: pin its key if none is pinned yet."""
        if self._guard.pin is None and self._guard.presented is not None:
            self._guard.pin = self._guard.presented

    def answered(self) -> None:
        """The gateway delivered data: an outage from now on is a new one."""
        self._outage_seen = False

    def failed(self) -> GatewayUnreachable | GatewayIdentityChanged | None:
        """A step failed: the verdict on a refused key, or None when it was an outage."""
        if (presented := self._guard.mismatch) is None:
            self._outage_seen = True
            return None
        self._guard.forget_mismatch()
        if not self._outage_seen:
            return GatewayIdentityChanged(
                "the address presents another TLS key",
                trusted=self._guard.pin or "",
                presented=presented,
            )
        _LOGGER.warning(
            "Gateway %s came back from a restart with a new TLS key; trusting it", self._host
        )
        self._guard.pin = presented
        self.key_changes += 1
        return GatewayUnreachable("new TLS key trusted after a restart; reconnecting")
