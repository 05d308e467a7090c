"""Token ownership for firmware >= 7: reuse, renew once, remember, and stop in time.

The manager holds the only copy of the current token and a small persisted
state. It never decides what Home Assistant shows; it raises typed errors and
reports every change through ``on_change`` so the caller can persist at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .enlighten import EnlightenClient
from .errors import (
    CredentialsRequired,
    EnlightenError,
    EnlightenRejected,
    InvalidToken,
)
from .token import EnvoyToken

#: After this many rejected logins in a row we stop until the user acts,
#: so Enphase never locks the account because of us.
MAX_CONSECUTIVE_REJECTIONS = 3


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class AuthState:
    """What survives a restart, stored as JSON in the config entry."""

    token: str | None = None
    last_renewal: str | None = None
    consecutive_rejections: int = 0
    last_error: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AuthState:
        """Read a stored state, ignoring unknown keys."""
        data = data or {}
        return cls(
            token=data.get("token"),
            last_renewal=data.get("last_renewal"),
            consecutive_rejections=int(data.get("consecutive_rejections", 0)),
            last_error=data.get("last_error"),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


class TokenManager:
    """Keeps a valid Envoy token, from Enlighten credentials or from the user."""

    def __init__(
        self,
        *,
        serial: str | None,
        client: EnlightenClient | None,
        username: str | None,
        password: str | None,
        state: AuthState,
        on_change: Callable[[AuthState], None] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Create the manager; ``state.token`` is reused as long as it is valid."""
        self.serial = serial
        self._client = client
        self._username = username
        self._password = password
        self.state = state
        self.on_change = on_change
        self._clock = clock
        self._inflight: asyncio.Task[EnvoyToken] | None = None
        self._token: EnvoyToken | None = None
        if state.token:
            try:
                self._token = EnvoyToken.parse(state.token)
            except InvalidToken:
                self._token = None

    @property
    def token(self) -> EnvoyToken | None:
        """The current token, valid or not."""
        return self._token

    @property
    def has_credentials(self) -> bool:
        """True when Enlighten credentials are stored, so we can renew ourselves."""
        return bool(self._client and self._username and self._password)

    @property
    def blocked(self) -> bool:
        """True after too many rejected logins: wait for the user."""
        return self.state.consecutive_rejections >= MAX_CONSECUTIVE_REJECTIONS

    @property
    def can_renew(self) -> bool:
        """True when a login may be attempted now."""
        return self.has_credentials and not self.blocked

    def usable(self) -> bool:
        """True when the current token has not expired."""
        return self._token is not None and not self._token.is_expired(self._clock())

    async def async_get_token(self) -> EnvoyToken:
        """Return a usable token, obtaining one only when there is none."""
        if self._token is not None and self.usable():
            return self._token
        return await self.async_renew(seen=self._token)

    async def async_renew(self, seen: EnvoyToken | None = None) -> EnvoyToken:
        """Obtain a new token; concurrent callers share one Enlighten login.

        ``seen`` is the token the caller found stale: when another caller has
        replaced it meanwhile, that replacement is returned without a login.
        """
        if self._token is not None and seen is not None and self._token.raw != seen.raw:
            return self._token
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.get_running_loop().create_task(self._renew())
        return await asyncio.shield(self._inflight)

    async def _renew(self) -> EnvoyToken:
        if not self.has_credentials:
            raise CredentialsRequired("no Enlighten credentials stored")
        if self.blocked:
            raise EnlightenRejected("too many rejected logins; waiting for new credentials")
        assert self._client
        assert self._username
        assert self._password
        assert self.serial
        try:
            raw = await self._client.async_obtain_token(self._username, self._password, self.serial)
            token = EnvoyToken.parse(raw)
            token.check_serial(self.serial)
        except EnlightenRejected as err:
            self.state.consecutive_rejections += 1
            self._record_error(err)
            raise
        except (EnlightenError, InvalidToken) as err:
            self._record_error(err)
            raise
        self._token = token
        self.state.token = token.raw
        self.state.consecutive_rejections = 0
        self.state.last_error = None
        self.state.last_renewal = self._clock().isoformat()
        self._notify()
        return token

    def set_token(self, raw: str) -> EnvoyToken:
        """Adopt a token the user pasted (or reauth produced)."""
        token = EnvoyToken.parse(raw)
        token.check_serial(self.serial)
        self._token = token
        self.state.token = token.raw
        self.state.consecutive_rejections = 0
        self.state.last_error = None
        self._notify()
        return token

    def _record_error(self, err: Exception) -> None:
        self.state.last_error = type(err).__name__
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state)
