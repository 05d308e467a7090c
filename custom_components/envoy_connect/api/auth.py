"""Token ownership for firmware >= 7: reuse, renew once, remember, and stop in time.

The manager holds the only copy of the current token and a small persisted
state. It never decides what Home Assistant shows; it raises typed errors and
reports every change through ``on_change`` so the caller can persist at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .enlighten import EnlightenClient
from .errors import (
    CredentialsRequired,
    EnlightenError,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    InvalidToken,
)
from .token import EnvoyToken

#: After this many rejected logins in a row we stop until the user acts,
#: so Enphase never locks the account because of us.
MAX_CONSECUTIVE_REJECTIONS = 3
#: Wait after the first failed login; doubled after every further failure ...
BACKOFF_FIRST = timedelta(minutes=1)
#: ... up to this cap, so a long Enlighten outage costs one login an hour.
BACKOFF_CAP = timedelta(hours=1)

_REPEATABLE: dict[str, type[EnlightenError]] = {
    kind.__name__: kind for kind in (EnlightenRejected, EnlightenMfaRequired, EnlightenUnavailable)
}


def backoff_delay(failures: int) -> timedelta:
    """Capped exponential wait after ``failures`` failed logins in a row."""
    if failures <= 0:
        return timedelta(0)
    factor: int = 2 ** min(failures - 1, 16)
    return min(BACKOFF_CAP, BACKOFF_FIRST * factor)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class AuthState:
    """What survives a restart, stored as JSON in the config entry."""

    token: str | None = None
    last_renewal: str | None = None
    #: Failed logins of any kind in a row: drives the backoff.
    consecutive_failures: int = 0
    #: Rejected logins in a row: drives the lock-out guard.
    consecutive_rejections: int = 0
    last_error: str | None = None
    #: No login before this time (ISO 8601), while backing off.
    next_attempt: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AuthState:
        """Read a stored state, ignoring unknown keys."""
        data = data or {}
        return cls(
            token=data.get("token"),
            last_renewal=data.get("last_renewal"),
            consecutive_failures=int(data.get("consecutive_failures", 0)),
            consecutive_rejections=int(data.get("consecutive_rejections", 0)),
            last_error=data.get("last_error"),
            next_attempt=data.get("next_attempt"),
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

    @property
    def renewal_failing(self) -> bool:
        """True while the last login attempt failed (outage or rejection)."""
        return self.state.consecutive_failures > 0

    def usable(self) -> bool:
        """True when the current token has not expired."""
        return self._token is not None and not self._token.is_expired(self._clock())

    def backing_off_until(self) -> datetime | None:
        """End of the current backoff, or None when a login may be tried now."""
        if not self.state.next_attempt:
            return None
        until = datetime.fromisoformat(self.state.next_attempt)
        return until if until > self._clock() else None

    def next_renewal(self) -> datetime | None:
        """When the next proactive renewal is due, from the token's own expiry.

        None when we cannot renew by ourselves (pasted token, blocked) or have
        no token yet (then the first request obtains one).
        """
        if self._token is None or not self.can_renew:
            return None
        until = self.backing_off_until()
        return max(self._token.renew_at, until) if until else self._token.renew_at

    async def async_renew_if_due(self) -> bool:
        """Renew when the schedule says so; True when a new token was obtained."""
        due = self.next_renewal()
        if due is None or due > self._clock():
            return False
        await self.async_renew(seen=self._token)
        return True

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
        if (until := self.backing_off_until()) is not None:
            # Repeat the last verdict without a login until the backoff ends.
            repeated = _REPEATABLE.get(self.state.last_error or "", EnlightenUnavailable)
            raise repeated(f"last login failed; next attempt after {until:%H:%M:%S}")
        assert self._client
        assert self._username
        assert self._password
        assert self.serial
        try:
            raw = await self._client.async_obtain_token(self._username, self._password, self.serial)
            token = EnvoyToken.parse(raw)
            token.check_serial(self.serial)
        except (EnlightenRejected, EnlightenMfaRequired) as err:
            # A login without a session id is a verdict too: retrying cannot help.
            self._record_failure(err, rejected=True)
            raise
        except (EnlightenError, InvalidToken) as err:
            self._record_failure(err, rejected=False)
            raise
        self.state.last_renewal = self._clock().isoformat()
        self._adopt(token)
        return token

    def set_token(self, raw: str) -> EnvoyToken:
        """Adopt a token the user pasted (or reauth produced)."""
        token = EnvoyToken.parse(raw)
        token.check_serial(self.serial)
        self._adopt(token)
        return token

    def _adopt(self, token: EnvoyToken) -> None:
        self._token = token
        self.state.token = token.raw
        self.state.consecutive_failures = 0
        self.state.consecutive_rejections = 0
        self.state.last_error = None
        self.state.next_attempt = None
        self._notify()

    def _record_failure(self, err: Exception, *, rejected: bool) -> None:
        self.state.consecutive_failures += 1
        if rejected:
            self.state.consecutive_rejections += 1
        self.state.last_error = type(err).__name__
        delay = backoff_delay(self.state.consecutive_failures)
        self.state.next_attempt = (self._clock() + delay).isoformat()
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state)
