"""Proactive token renewal on Home Assistant's clock.

The schedule comes from the token itself (``TokenManager.next_renewal``): an
owner token is renewed a month before it expires, an installer token an hour
before, and failed logins back off inside the token manager. This class only
wakes up at the right moment, turns a verdict into reauth while the still
valid token keeps the data flowing, and keeps the "token expires soon" repair
issue in line with reality.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from . import issues
from .api import EnvoyConnectError, TokenManager
from .api.auth import MAX_LOGINS_PER_DAY, MAX_LOGINS_PER_HOUR
from .reasons import reauth_reason

_LOGGER = logging.getLogger(__name__)

#: Tell the user when a token that cannot be renewed has this little time left.
WARN_BEFORE_EXPIRY = timedelta(days=7)


class TokenRenewalScheduler:
    """Wakes up when the token is due, renews it, and reports what it cannot fix."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, tokens: TokenManager) -> None:
        """Nothing is scheduled before ``async_start``."""
        self._hass = hass
        self._entry = entry
        self._tokens = tokens
        self._unsub: CALLBACK_TYPE | None = None
        self._started = False

    @callback
    def async_start(self) -> None:
        """Plan the first wake-up; everything stops when the entry unloads."""
        self._started = True
        self._entry.async_on_unload(self._async_stop)
        self.async_reschedule()

    @callback
    def _async_stop(self) -> None:
        """The entry unloads: no timer, and no login may finish and write into it."""
        self._started = False
        self._cancel()
        self._tokens.cancel()

    @callback
    def _cancel(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    @callback
    def async_reschedule(self) -> None:
        """Re-plan after any change of the token state, and refresh the repair issue."""
        if not self._started:
            return
        self._cancel()
        now = dt_util.utcnow()
        self._update_issue(now)
        if (wake := self._next_wakeup(now)) is not None:
            self._unsub = async_track_point_in_utc_time(self._hass, self._wake, wake)

    def _next_wakeup(self, now: datetime) -> datetime | None:
        token = self._tokens.token
        candidates: list[datetime] = []
        if (due := self._tokens.next_renewal()) is not None:
            candidates.append(due)
        if token is not None and token.expires_at > now:
            warn_at = token.expires_at - WARN_BEFORE_EXPIRY
            # Inside the warning window the issue counts the days down.
            candidates.append(warn_at if warn_at > now else now + timedelta(days=1))
        return min(candidates, default=None)

    @callback
    def _wake(self, _now: datetime) -> None:
        self._unsub = None
        self._entry.async_create_background_task(
            self._hass, self._async_renew(), f"{self._entry.domain} token renewal"
        )

    async def _async_renew(self) -> None:
        was_failing = self._tokens.renewal_failing
        try:
            renewed = await self._tokens.async_renew_if_due()
        except EnvoyConnectError as err:
            if (reason := reauth_reason(err)) is not None:
                # A verdict: ask the user, but keep polling with the valid token.
                self._entry.async_start_reauth(self._hass, data={"reauth_reason": reason})
            if not was_failing:
                _LOGGER.warning(
                    "Could not renew the token of %s (%s); the current one stays in use",
                    self._entry.title,
                    type(err).__name__,
                )
        else:
            if renewed and was_failing:
                _LOGGER.info("Token of %s renewed again", self._entry.title)
        self.async_reschedule()

    @callback
    def _update_issue(self, now: datetime) -> None:
        token = self._tokens.token
        short = self._tokens.renews_short_tokens
        stuck = (not self._tokens.can_renew or self._tokens.renewal_failing) and not short
        if token is not None and stuck and token.expires_at - now <= WARN_BEFORE_EXPIRY:
            issues.async_show_token_expiring(self._hass, self._entry, token.expires_at)
        else:
            issues.async_clear(self._hass, self._entry, issues.TOKEN_EXPIRING)
        if token is not None and short:
            issues.async_show_token_short_lived(
                self._hass, self._entry, token.lifetime, MAX_LOGINS_PER_HOUR, MAX_LOGINS_PER_DAY
            )
        else:
            issues.async_clear(self._hass, self._entry, issues.TOKEN_SHORT_LIVED)
