"""Polls one Enlighten cloud system within the application's request budget.

The interval is not a setting: it is recomputed after every cycle from what is
left of the month's budget (see ``api.budget.poll_interval``). Consumption and
battery telemetry are fetched only when the system has them and the budget
still allows an update at least every hour. Telemetry is read from the end of
the last interval we already have, and that position is stored together with
the running totals, so no interval is missed or counted twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import OAuth2TokenRequestBaseError
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .. import issues
from ..api import (
    CloudAppNotAuthorized,
    CloudAuthRejected,
    CloudError,
    CloudNoData,
    CloudRateLimited,
    CloudSummary,
    SystemsApi,
)
from ..api.budget import month_end, next_minute
from ..const import CONF_SYSTEM_ID, DOMAIN
from ..outcomes import raise_for, show_repair
from .auth import OAuth2SessionAuth
from .budget import RequestBudget, plan_from_options
from .totals import average_power, clean_stored, interval_length, lifetime_production, never_less

if TYPE_CHECKING:
    from . import CloudConfigEntry

_LOGGER = logging.getLogger(__name__)

CONSUMPTION = "consumption_meter"
BATTERY = "battery"
OPTIONAL_ENDPOINTS = (CONSUMPTION, BATTERY)
#: Optional telemetry is worth its requests only if updates stay this frequent.
MAX_INTERVAL_WITH_TELEMETRY = timedelta(hours=1)
#: Two 429s this close together: the per-minute wait did not help, so it is the month.
REPEATED_429 = timedelta(minutes=3)
STORE_VERSION = 1


@dataclass(frozen=True, slots=True)
class CloudData:
    """One cycle's worth of values."""

    summary: CloudSummary
    #: Lifetime production including today, never lower than before.
    lifetime_production: float | None
    consumption_power: float | None
    consumption_energy: float | None
    battery_soc: float | None
    battery_power: float | None
    requests_left: int | None


class CloudCoordinator(DataUpdateCoordinator[CloudData]):
    """One coordinator per cloud system."""

    config_entry: CloudConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CloudConfigEntry,
        client: SystemsApi,
        auth: OAuth2SessionAuth,
        budget: RequestBudget,
    ) -> None:
        """Poll ``client`` for the entry's system, paced by ``budget``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=budget.interval(dt_util.utcnow()),
        )
        self.client = client
        self.auth = auth
        self.budget = budget
        self.system_id = int(entry.data[CONF_SYSTEM_ID])
        self.plan = plan_from_options(dict(entry.options))
        self.endpoints: list[str] = []
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.cloud_{entry.entry_id}"
        )
        self._state: dict[str, Any] = {}
        self._last_429: datetime | None = None
        #: Telemetry the application may not read (an access control not ticked).
        self.refused_access: set[str] = set()

    @property
    def has_consumption(self) -> bool:
        """Consumption telemetry is part of every cycle."""
        return CONSUMPTION in self.endpoints

    @property
    def has_battery(self) -> bool:
        """Battery telemetry is part of every cycle."""
        return BATTERY in self.endpoints

    async def _async_setup(self) -> None:
        """Load the telemetry position and decide what one cycle fetches."""
        self._state = clean_stored(await self._store.async_load() or {})
        capabilities: dict[str, bool] = self._state.setdefault("capabilities", {})
        entry_id = self.config_entry.entry_id
        self.endpoints = []
        self.budget.register(entry_id, self.plan, 1)
        try:
            for kind in OPTIONAL_ENDPOINTS:
                if capabilities.get(kind) is False:
                    continue
                if self.budget.steady_interval(extra=1) > MAX_INTERVAL_WITH_TELEMETRY:
                    continue  # the plan cannot afford it in an ordinary month
                if kind not in capabilities:
                    if (found := await self._probe(kind)) is None:
                        continue
                    capabilities[kind] = found
                    self._save()
                if capabilities[kind]:
                    self.endpoints.append(kind)
                    self.budget.register(entry_id, self.plan, 1 + len(self.endpoints))
        except (CloudError, OAuth2TokenRequestBaseError) as err:
            raise_for(self.hass, self.config_entry, err)
        self.config_entry.async_on_unload(lambda: self.budget.unregister(entry_id))
        self.update_interval = self.budget.interval(dt_util.utcnow())

    async def _probe(self, kind: str) -> bool | None:
        """Does the system have this telemetry? The answer also starts the series.

        None: the application may not read it. Production data still flows; a
        repair says which access control to tick, and the next setup asks again.
        """
        try:
            await self._telemetry(kind)
        except CloudNoData:
            return False
        except CloudAppNotAuthorized as err:
            _LOGGER.debug("%s: no access to %s telemetry", self.config_entry.title, kind)
            self.refused_access.add(err.access)
            show_repair(self.hass, self.config_entry, err)
            return None
        return True

    async def _async_update_data(self) -> CloudData:
        now = dt_util.utcnow()
        if (until := self.budget.blocked_until) is not None and now < until:
            return self._keep_last(until - now)
        try:
            try:
                data = await self._fetch(now)
            except CloudAuthRejected:
                # Refused before HA thought the token expired: refresh once and retry.
                await self.auth.async_invalidate()
                data = await self._fetch(now)
        except CloudRateLimited as err:
            return self._rate_limited(err, now)
        except (CloudError, OAuth2TokenRequestBaseError) as err:
            raise_for(self.hass, self.config_entry, err)
        self._last_429 = None
        self.budget.blocked_until = None
        solved = [issues.API_KEY_REJECTED, issues.BUDGET_EXHAUSTED]
        if not self.refused_access:
            solved.append(issues.APP_NOT_AUTHORIZED)
        issues.async_clear(self.hass, self.config_entry, *solved)
        self.update_interval = self.budget.interval(dt_util.utcnow())
        return data

    async def _fetch(self, now: datetime) -> CloudData:
        summary = await self.client.async_get_summary(self.system_id)
        consumption = await self._telemetry(CONSUMPTION) if self.has_consumption else {}
        battery = await self._telemetry(BATTERY) if self.has_battery else {}
        self._state["lifetime"] = never_less(
            self._state.get("lifetime"), lifetime_production(summary)
        )
        return CloudData(
            summary=summary,
            lifetime_production=self._state["lifetime"],
            consumption_power=consumption.get("power"),
            consumption_energy=consumption.get("energy"),
            battery_soc=battery.get("soc"),
            battery_power=battery.get("power"),
            requests_left=self.budget.requests_left(now),
        )

    async def _telemetry(self, kind: str) -> dict[str, Any]:
        """New intervals since the last one we have; running totals in the store."""
        state: dict[str, Any] = self._state.setdefault(kind, {})
        intervals = await self.client.async_get_telemetry(
            self.system_id, kind, state.get("last_end_at")
        )
        if not intervals:
            return state
        newest = intervals[-1]
        length = interval_length(intervals, state.get("last_end_at"), state.get("interval_s"))
        state["last_end_at"] = newest.end_at
        state["interval_s"] = length
        if kind == CONSUMPTION:
            state["energy"] = state.get("energy", 0.0) + sum(i.enwh or 0.0 for i in intervals)
            state["power"] = average_power(newest.enwh, length)
        else:
            state["soc"] = newest.soc
            net = None
            if newest.discharge_wh is not None or newest.charge_wh is not None:
                net = (newest.discharge_wh or 0.0) - (newest.charge_wh or 0.0)
            state["power"] = average_power(net, length)
        self._save()
        return state

    def _save(self) -> None:
        self._store.async_delay_save(lambda: self._state, 10)

    async def async_shutdown(self) -> None:
        """Write the telemetry position now, not 10 s later."""
        await super().async_shutdown()
        await self._store.async_save(self._state)

    def _keep_last(self, wait: timedelta) -> CloudData:
        """Wait out a limit without a request; entities keep their last values."""
        self.update_interval = max(wait, timedelta(seconds=1))
        if self.data is None:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="rate_limited")
        return self.data

    def _rate_limited(self, err: CloudRateLimited, now: datetime) -> CloudData:
        """Wait until the limit resets (``period_end``); warn only when the month is used up."""
        monthly = err.monthly
        if monthly is None:
            # The answer does not say which limit: a second 429 right after
            # waiting for the next minute means the month's budget is gone.
            repeated = self._last_429 is not None and now - self._last_429 < REPEATED_429
            monthly = repeated or self.budget.requests_left(now) == 0
        self._last_429 = now
        until = month_end(now) if monthly else next_minute(now) + timedelta(seconds=1)
        if err.until is not None and err.until > now:
            until = err.until + timedelta(seconds=1)  # the service says when it resets
        self.budget.blocked_until = until
        if monthly:
            _LOGGER.warning(
                "The Enlighten API plan of %s is used up until %s",
                self.config_entry.title,
                until.isoformat(),
            )
            issues.async_show_problem(
                self.hass,
                self.config_entry,
                issues.BUDGET_EXHAUSTED,
                {"resets": until.strftime("%Y-%m-%d %H:%M UTC")},
            )
        return self._keep_last(until - now)
