"""Token ownership for firmware >= 7: reuse, renew once, remember, and never storm.

The manager holds the only copy of the current token and a small persisted
state. It never decides what Home Assistant shows; it raises typed errors and
reports every change through ``on_change`` so the caller can persist at once.

Every Enlighten login passes one gate (:meth:`TokenManager._login_gate`), which
keeps the account safe whatever the caller does:

- a verdict (rejected, MFA) backs off 1, 2, 4 ... minutes and stops after three;
- an outage is no verdict: Enlighten is checked without credentials every
  minute for 15 minutes, then every 5, and the login follows as soon as it answers;
- never two logins within a minute of a success, and at most a fixed number
  an hour and a day, counted across restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .enlighten_login import EnlightenLogin
from .errors import (
    FAILURE_ERRORS,
    CredentialsRequired,
    EnlightenError,
    EnlightenRejected,
    EnlightenUnavailable,
    InvalidToken,
    LoginFailure,
    LoginThrottled,
)
from .token import EnvoyToken

_LOGGER = logging.getLogger(__name__)

#: After this many rejected logins in a row we stop until the user acts,
#: so Enphase never locks the account because of us.
MAX_CONSECUTIVE_REJECTIONS = 3
#: Wait after the first rejected login; doubled after every further one ...
BACKOFF_FIRST = timedelta(minutes=1)
#: ... up to this cap.
BACKOFF_CAP = timedelta(hours=1)
#: Never log in again this soon after a successful login.
MIN_LOGIN_SPACING = timedelta(minutes=1)
#: Hard ceilings on logins (successful or not) for one gateway.
MAX_LOGINS_PER_HOUR = 12
MAX_LOGINS_PER_DAY = 48
#: While Enlighten is down, check it this often for the first quarter of an hour ...
OUTAGE_CHECK_FAST = timedelta(minutes=1)
OUTAGE_FAST_PHASE = timedelta(minutes=15)
#: ... and this often after that.
OUTAGE_CHECK_SLOW = timedelta(minutes=5)
#: A check or login allowed a minute later is allowed a little early: polls are a
#: minute apart, and a renewal runs a moment after a poll, so without slack the
#: next poll would miss it by a fraction of a second and wait a whole minute more.
CHECK_SLACK = timedelta(seconds=5)

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
#: The shortest renewal interval the ceilings above sustain day in, day out: a
#: token renewed more often than this makes the data pause, which the user is told.
SUSTAINABLE_RENEWAL_INTERVAL = max(
    MIN_LOGIN_SPACING, _HOUR / MAX_LOGINS_PER_HOUR, _DAY / MAX_LOGINS_PER_DAY
)


def backoff_delay(rejections: int) -> timedelta:
    """Capped exponential wait after ``rejections`` rejected logins in a row."""
    if rejections <= 0:
        return timedelta(0)
    factor: int = 2 ** min(rejections - 1, 16)
    return min(BACKOFF_CAP, BACKOFF_FIRST * factor)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _failure(value: Any) -> LoginFailure | None:
    """Stored failure; states written before 0.3 held an error class name."""
    legacy = {
        "EnlightenRejected": LoginFailure.REJECTED,
        "EnlightenMfaRequired": LoginFailure.MFA_REQUIRED,
        "EnlightenUnavailable": LoginFailure.UNAVAILABLE,
    }
    if value in legacy:
        return legacy[value]
    try:
        return LoginFailure(value) if value else None
    except ValueError:
        return None


@dataclass(slots=True)
class AuthState:
    """What survives a restart, stored as JSON in the config entry."""

    token: str | None = None
    #: Last successful login (ISO 8601).
    last_renewal: str | None = None
    #: Rejected logins in a row: drives the backoff and the lock-out guard.
    consecutive_rejections: int = 0
    last_error: LoginFailure | None = None
    #: No login (after a rejection) or no availability check (outage) before this.
    next_attempt: str | None = None
    #: Since when Enlighten has not answered (ISO 8601), while it is down.
    unavailable_since: str | None = None
    #: Login attempts of the last 24 hours (ISO 8601), for the ceilings.
    login_attempts: list[str] = field(default_factory=list)
    #: Every login attempt since the entry was created.
    total_logins: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AuthState:
        """Read a stored state, ignoring unknown keys."""
        data = data or {}
        return cls(
            token=data.get("token"),
            last_renewal=data.get("last_renewal"),
            consecutive_rejections=int(data.get("consecutive_rejections", 0)),
            last_error=_failure(data.get("last_error")),
            next_attempt=data.get("next_attempt"),
            unavailable_since=data.get("unavailable_since"),
            login_attempts=[str(t) for t in data.get("login_attempts") or []],
            total_logins=int(data.get("total_logins", 0)),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self) | {"last_error": self.last_error and self.last_error.value}


class TokenManager:
    """Keeps a valid Envoy token, from Enlighten credentials or from the user."""

    def __init__(
        self,
        *,
        login: EnlightenLogin | None,
        username: str | None,
        password: str | None,
        state: AuthState,
        on_change: Callable[[AuthState], None] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Create the manager; ``state.token`` is reused as long as it is valid.

        ``on_change`` receives the state after every change, to be persisted at once.
        """
        self._login = login
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
        return bool(self._login and self._username and self._password)

    @property
    def blocked(self) -> bool:
        """True after too many rejected logins: wait for the user."""
        return self.state.consecutive_rejections >= MAX_CONSECUTIVE_REJECTIONS

    @property
    def can_renew(self) -> bool:
        """True when a login may be attempted at some point without the user."""
        return self.has_credentials and not self.blocked

    @property
    def renewal_failing(self) -> bool:
        """True while the last login attempt failed (outage or rejection)."""
        return self.state.last_error is not None

    @property
    def tokens_outrun_ceilings(self) -> bool:
        """True when Enlighten's tokens live too briefly for the login ceilings.

        A token shorter than its margin but renewed no more often than the
        ceilings allow (a 29-day owner token, say) is merely unusual: it is
        renewed after most of its life and the data never pauses, so nobody
        needs telling.
        """
        token = self._token
        if not self.has_credentials or token is None:
            return False
        return token.renew_at - token.issued_at < SUSTAINABLE_RENEWAL_INTERVAL

    def usable(self) -> bool:
        """True when the current token has not expired."""
        return self._token is not None and not self._token.is_expired(self._clock())

    def logins_within(self, window: timedelta) -> int:
        """Login attempts during the last ``window``."""
        since = self._clock() - window
        return sum(1 for t in self._attempts() if t > since)

    def next_renewal(self) -> datetime | None:
        """When the next proactive renewal (or outage check) is due.

        None when we cannot renew by ourselves (pasted token, blocked) or have
        no token yet (then the first request obtains one).
        """
        if self._token is None or not self.can_renew:
            return None
        candidates = [self._token.renew_at]
        if (waiting := self.next_attempt()) is not None:
            candidates.append(waiting)
        return max(candidates)

    async def async_renew_if_due(self, serial: str) -> bool:
        """Renew when the schedule says so; True when a new token was obtained.

        :raises EnlightenError: the login failed, or the gate held it back.
        :raises InvalidToken: Enlighten answered a token for another gateway.
        """
        due = self.next_renewal()
        if due is None or due > self._clock() + CHECK_SLACK:
            return False
        await self.async_renew(serial, seen=self._token)
        return True

    async def async_get_token(self, serial: str) -> EnvoyToken:
        """Return a usable token for gateway ``serial``, obtaining one only when there is none.

        :raises CredentialsRequired: no token and no Enlighten credentials.
        :raises EnlightenError: the login failed, or the gate held it back.
        :raises InvalidToken: Enlighten answered something that is not a token.
        """
        if self._token is not None and self.usable():
            return self._token
        return await self.async_renew(serial, seen=self._token)

    async def async_renew(self, serial: str, seen: EnvoyToken | None = None) -> EnvoyToken:
        """Obtain a new token for gateway ``serial``; concurrent callers share one login.

        ``seen`` is the token the caller found stale: when another caller has
        replaced it meanwhile, that replacement is returned without a login.

        :raises CredentialsRequired: no Enlighten credentials are stored.
        :raises EnlightenError: the login failed, or the gate held it back.
        :raises InvalidToken: Enlighten answered a token for another gateway.
        """
        if self._token is not None and seen is not None and self._token.raw != seen.raw:
            return self._token
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.get_running_loop().create_task(self._renew(serial))
        return await asyncio.shield(self._inflight)

    def cancel(self) -> None:
        """Abandon a login in flight; its result is never adopted (the owner went away)."""
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        self.on_change = None

    def set_token(self, raw: str, serial: str | None) -> EnvoyToken:
        """Adopt a token the user pasted for gateway ``serial``.

        :raises InvalidToken: not an Envoy token, or one for another gateway.
        """
        token = EnvoyToken.parse(raw)
        token.check_serial(serial)
        self._adopt(token)
        return token

    # -- the gate ------------------------------------------------------------------
    async def _renew(self, serial: str) -> EnvoyToken:
        await self._login_gate()
        assert self._login
        assert self._username
        assert self._password
        now = self._clock()
        self._record_attempt(now)
        _LOGGER.debug(
            "Logging in to Enlighten for gateway %s (%d logins in the last hour)",
            serial,
            self.logins_within(_HOUR),
        )
        try:
            raw = await self._login.async_obtain_token(self._username, self._password, serial)
            token = EnvoyToken.parse(raw)
            token.check_serial(serial)
        except EnlightenError as err:
            self._record_failure(err)
            raise
        except InvalidToken:
            self._record_failure(EnlightenUnavailable("Enlighten answered an unusable token"))
            raise
        self.state.last_renewal = now.isoformat()
        self._adopt(token)
        if token.is_short_lived:
            _LOGGER.debug("Enlighten issued a token that lives only %s", token.lifetime)
        return token

    async def _login_gate(self) -> None:
        """Raise instead of logging in when the account or Enlighten needs a rest."""
        if not self.has_credentials:
            raise CredentialsRequired("no Enlighten credentials stored")
        if self.blocked:
            mfa = self.state.last_error is LoginFailure.MFA_REQUIRED
            verdict = FAILURE_ERRORS[LoginFailure.MFA_REQUIRED] if mfa else EnlightenRejected
            raise verdict("too many rejected logins; waiting for the user")
        now = self._clock()
        state = self.state
        wait = _time(state.next_attempt)
        if state.last_error is LoginFailure.UNAVAILABLE:
            if wait is not None and now < wait - CHECK_SLACK:
                raise EnlightenUnavailable(f"Enlighten is down; next check at {wait:%H:%M:%S}")
            assert self._login
            if not await self._login.async_is_reachable():
                self._record_outage(now)
                raise EnlightenUnavailable("Enlighten still does not answer")
        elif state.last_error is not None and wait is not None and now < wait:
            # Repeat the last verdict without a login until the backoff ends.
            raise FAILURE_ERRORS[state.last_error](f"last login failed; next at {wait:%H:%M:%S}")
        if (throttled := self._throttled_until(now)) is not None:
            raise LoginThrottled(f"login held back until {throttled:%H:%M:%S}", throttled)

    def _throttled_until(self, now: datetime) -> datetime | None:
        """End of the spacing after a success, or of a full hourly or daily ceiling."""
        limits: list[datetime] = []
        if (last := _time(self.state.last_renewal)) and now < (
            allowed := last + MIN_LOGIN_SPACING - CHECK_SLACK
        ):
            limits.append(allowed)
        attempts = sorted(self._attempts())
        for window, ceiling in ((_HOUR, MAX_LOGINS_PER_HOUR), (_DAY, MAX_LOGINS_PER_DAY)):
            recent = [t for t in attempts if t > now - window]
            if len(recent) >= ceiling:
                limits.append(recent[-ceiling] + window)
        return max(limits, default=None)

    def next_attempt(self) -> datetime | None:
        """When the login gate opens again, or None when it is open now."""
        now = self._clock()
        limits = [t for t in (_time(self.state.next_attempt),) if t and t > now]
        if (throttled := self._throttled_until(now)) is not None:
            limits.append(throttled)
        return max(limits, default=None)

    # -- bookkeeping -------------------------------------------------------------
    def _attempts(self) -> list[datetime]:
        return [datetime.fromisoformat(t) for t in self.state.login_attempts]

    def _record_attempt(self, now: datetime) -> None:
        keep = [t for t in self._attempts() if t > now - _DAY]
        self.state.login_attempts = [t.isoformat() for t in [*keep, now]]
        self.state.total_logins += 1

    def _adopt(self, token: EnvoyToken) -> None:
        self._token = token
        self.state.token = token.raw
        self.state.consecutive_rejections = 0
        self.state.last_error = None
        self.state.next_attempt = None
        self.state.unavailable_since = None
        self._notify()

    def _record_failure(self, err: EnlightenError) -> None:
        now = self._clock()
        if not err.is_verdict:
            self._record_outage(now)
            return
        self.state.consecutive_rejections += 1
        self.state.last_error = err.failure
        self.state.unavailable_since = None
        delay = backoff_delay(self.state.consecutive_rejections)
        self.state.next_attempt = (now + delay).isoformat()
        self._notify()

    def _record_outage(self, now: datetime) -> None:
        since = _time(self.state.unavailable_since) or now
        step = OUTAGE_CHECK_FAST if now - since < OUTAGE_FAST_PHASE else OUTAGE_CHECK_SLOW
        self.state.unavailable_since = since.isoformat()
        self.state.last_error = LoginFailure.UNAVAILABLE
        self.state.next_attempt = (now + step).isoformat()
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state)
