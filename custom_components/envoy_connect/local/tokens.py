"""An entry's Envoy token in Home Assistant: persisted, renewed on time, repaired when stuck.

The token path reads top to bottom here. The :class:`~..api.TokenManager`
decides *whether* a login may happen (its schedule, backoff and ceilings);
this class owns it for one entry: it persists every change into the entry at
once (so a restart reuses the token), wakes up when renewal is due, turns a
verdict into reauth while the still valid token keeps the data flowing, and
keeps the token repairs in line with reality.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .. import issues
from ..api import AuthState, EnvoyConnectError
from ..api.token_manager import MAX_LOGINS_PER_DAY, MAX_LOGINS_PER_HOUR
from ..const import CONF_AUTH_STATE, CONF_MFA
from ..outcomes import start_reauth
from .session import token_manager

_LOGGER = logging.getLogger(__name__)

#: Tell the user when a token that cannot be renewed has this little time left.
WARN_BEFORE_EXPIRY = timedelta(days=7)
#: A multi-factor account renews only with the user (a code by email): ask a month ahead,
#: so the code can be entered at the user's convenience.
MFA_WARN_BEFORE_EXPIRY = timedelta(days=30)


class EntryTokens:
    """The token manager of one loaded entry, and everything HA does around it."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Load the stored state; nothing is scheduled before ``async_start``."""
        self._hass = hass
        self._entry = entry
        self._serial = str(entry.unique_id)
        self.manager = token_manager(hass, entry.data, on_change=self._persist)
        #: The auth state this manager loaded or last wrote: the entry's, unless a flow
        #: (reconfigure, reauth, a repair) replaced it since.
        self._written: Any = entry.data.get(CONF_AUTH_STATE)
        self._unsub: CALLBACK_TYPE | None = None
        self._started = False
        self._warn_before = (
            MFA_WARN_BEFORE_EXPIRY if entry.data.get(CONF_MFA) else WARN_BEFORE_EXPIRY
        )

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
        self.manager.cancel()

    @callback
    def _persist(self, state: AuthState) -> None:
        """Write the state into the entry at once, so a restart reuses the token.

        A login that finishes after a flow replaced the entry's credentials (the
        entry reloads right after) must not write the old account's result back.
        """
        entry = self._entry
        if entry.data.get(CONF_AUTH_STATE) != self._written:
            _LOGGER.debug("Auth state of %s was replaced; a late login is dropped", entry.title)
            return
        new = state.as_dict()
        if entry.data.get(CONF_AUTH_STATE) != new:
            self._hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_AUTH_STATE: new}
            )
            self._written = new
        self.async_reschedule()

    @callback
    def _cancel(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    @callback
    def async_reschedule(self) -> None:
        """Re-plan after any change of the token state, and refresh the repair issues."""
        if not self._started:
            return
        self._cancel()
        now = dt_util.utcnow()
        self._update_issues(now)
        if (wake := self._next_wakeup(now)) is not None:
            self._unsub = async_track_point_in_utc_time(self._hass, self._wake, wake)

    def _next_wakeup(self, now: datetime) -> datetime | None:
        token = self.manager.token
        candidates: list[datetime] = []
        if (due := self.manager.next_renewal()) is not None:
            candidates.append(due)
        if token is not None and token.expires_at > now:
            warn_at = token.expires_at - self._warn_before
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
        was_failing = self.manager.renewal_failing
        try:
            renewed = await self.manager.async_renew_if_due(self._serial)
        except EnvoyConnectError as err:
            # A verdict: ask the user, but keep polling with the valid token.
            start_reauth(self._hass, self._entry, err)
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
    def _update_issues(self, now: datetime) -> None:
        token = self.manager.token
        short = self.manager.tokens_outrun_ceilings
        stuck = (not self.manager.can_renew or self.manager.renewal_failing) and not short
        if token is not None and stuck and token.expires_at - now <= self._warn_before:
            issues.async_show_token_expiring(self._hass, self._entry, token.expires_at)
        else:
            issues.async_clear(self._hass, self._entry, issues.TOKEN_EXPIRING)
        if token is not None and short:
            issues.async_show_token_short_lived(
                self._hass, self._entry, token.lifetime, MAX_LOGINS_PER_HOUR, MAX_LOGINS_PER_DAY
            )
        else:
            issues.async_clear(self._hass, self._entry, issues.TOKEN_SHORT_LIVED)
