"""The month's request count of one Enlighten application, persisted and shared.

Enphase counts requests per application (API key), so every cloud entry that
uses the same key shares one budget: each entry registers how many requests
one of its update cycles costs, and all of them poll at the interval that
keeps the application's month within the plan. The count lives in a Store
keyed by month, so a restart does not start it over.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api import PLANS, Plan, poll_interval
from ..api.budget import month_key, steady_interval
from ..const import CONF_PER_MINUTE, CONF_PER_MONTH, CONF_PLAN, DEFAULT_PLAN, DOMAIN, PLAN_CUSTOM

STORAGE_KEY = f"{DOMAIN}.request_budget"
STORAGE_VERSION = 1
SAVE_DELAY = 10


def plan_from_options(options: dict[str, Any]) -> Plan:
    """The plan chosen in the entry's options (custom numbers included)."""
    key = options.get(CONF_PLAN, DEFAULT_PLAN)
    if key == PLAN_CUSTOM:
        per_month = options.get(CONF_PER_MONTH)
        return Plan(
            PLAN_CUSTOM, int(options[CONF_PER_MINUTE]), int(per_month) if per_month else None
        )
    return PLANS.get(key, PLANS[DEFAULT_PLAN])


def key_id(api_key: str) -> str:
    """Stable, non-reversible name of an API key for the store."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass
class RequestBudget:
    """Requests of one application this month, and what the plan still allows."""

    record: dict[str, Any]
    save: Callable[[], None]
    demands: dict[str, int] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    #: No request before this time (after a 429).
    blocked_until: datetime | None = None

    def used(self, now: datetime) -> int:
        """Requests counted this month."""
        return int(self.record.get("count", 0)) if self.record.get("month") == month_key(now) else 0

    @callback
    def count_request(self) -> None:
        """One more request went out."""
        now = dt_util.utcnow()
        month = month_key(now)
        if self.record.get("month") != month:
            self.record.update(month=month, count=0)
        self.record["count"] = int(self.record.get("count", 0)) + 1
        self.save()

    @property
    def plan(self) -> Plan:
        """The strictest plan any sharing entry declared."""
        if not self.plans:
            return PLANS[DEFAULT_PLAN]
        per_month = [p.per_month for p in self.plans.values() if p.per_month is not None]
        return Plan(
            "shared",
            min(p.per_minute for p in self.plans.values()),
            min(per_month) if per_month else None,
        )

    @callback
    def register(self, entry_id: str, plan: Plan, requests_per_cycle: int) -> None:
        """An entry polls with this plan and this many requests per cycle."""
        self.plans[entry_id] = plan
        self.demands[entry_id] = requests_per_cycle

    @callback
    def unregister(self, entry_id: str) -> None:
        """The entry stopped polling."""
        self.plans.pop(entry_id, None)
        self.demands.pop(entry_id, None)

    def interval(self, now: datetime, extra: int = 0) -> timedelta:
        """Interval for every sharing entry; ``extra`` tests one more request per cycle."""
        return poll_interval(self.plan, sum(self.demands.values()) + extra, self.used(now), now)

    def steady_interval(self, extra: int = 0) -> timedelta:
        """Interval over a whole month at the current demand plus ``extra`` per cycle."""
        return steady_interval(self.plan, sum(self.demands.values()) + extra)

    def requests_left(self, now: datetime) -> int | None:
        """Requests the plan still allows this month (None: no monthly cap)."""
        cap = self.plan.per_month
        return None if cap is None else max(0, cap - self.used(now))


@dataclass
class _Budgets:
    store: Store[dict[str, Any]]
    data: dict[str, Any]
    budgets: dict[str, RequestBudget] = field(default_factory=dict)


DATA_BUDGETS: HassKey[_Budgets] = HassKey(f"{DOMAIN}_request_budgets")
_LOAD_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_request_budgets_lock")


async def async_get_budget(hass: HomeAssistant, api_key: str) -> RequestBudget:
    """The shared budget of the application that owns ``api_key``."""
    lock = hass.data.setdefault(_LOAD_LOCK, asyncio.Lock())
    async with lock:
        if (budgets := hass.data.get(DATA_BUDGETS)) is None:
            store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
            data = await store.async_load() or {"apps": {}}
            budgets = hass.data[DATA_BUDGETS] = _Budgets(store, data)
    ident = key_id(api_key)
    if (budget := budgets.budgets.get(ident)) is None:
        record = budgets.data["apps"].setdefault(ident, {})

        @callback
        def save() -> None:
            budgets.store.async_delay_save(lambda: budgets.data, SAVE_DELAY)

        budget = budgets.budgets[ident] = RequestBudget(record, save)
    return budget
