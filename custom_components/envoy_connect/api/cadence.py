"""Read each endpoint as often as its data can change, and no more.

An Envoy is a small computer that also serves Enphase's own uploads; reading
every endpoint every minute (what pyenphase's ``update()`` does) costs it eight
to fourteen requests a minute for data that mostly cannot have changed:

- meter readings and production power: every update (not again within
  seconds: the entry set up right after its flow uses the flow's reading);
- micro-inverters report every five minutes: read once after each report
  (their ``lastReportDate`` tells when), blind every five minutes when the
  gateway's clock cannot be trusted;
- battery power and aggregate charge: every update while energy moves through
  a battery, a generator runs or the grid is down, else every five minutes (an
  idle battery's charge cannot change; a storage CT or the production report,
  read every update, shows a battery waking up at once);
- per-battery and Enpower state, relays, generator state: every five minutes,
  and at once when a battery wakes up (temperatures and per-battery charge move
  slowly; relays follow the charge);
- settings (tariff, storage mode, relay and generator settings, CT
  configuration): every 15 minutes, and at once after a write of ours.

pyenphase keeps the parsing: ``CadencedEnvoy`` answers an updater's request
with the last answer while its endpoint is not due, so values keep their last
reading and nothing flaps. Unknown endpoints are read every update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any, override

import aiohttp
from pyenphase import Envoy, EnvoyData

from .batteries import battery_powers

#: Coordinator period this module plans around (HA core's as well).
UPDATE_INTERVAL = 60
INVERTER_REPORT_PERIOD = 300
IDLE_BATTERY_PERIOD = 300
SETTINGS_PERIOD = 900
#: Live readings younger than this are not read again.
LIVE_MIN_AGE = 5
#: Seconds after an inverter report before the gateway surely serves it.
REPORT_SLACK = 5
#: A battery moving less than this is idle (standby draw, rounding).
ACTIVE_BATTERY_WATTS = 20


class Family(StrEnum):
    """Endpoints whose data changes at the same pace."""

    LIVE = "live"
    INVERTERS = "inverters"
    #: Battery power and aggregate charge.
    BATTERY = "battery"
    #: Per-battery and Enpower state, relays, generator: with the battery when it wakes up.
    STORAGE_STATE = "storage_state"
    SETTINGS = "settings"


FAMILIES: dict[str, Family] = {
    "/api/v1/production/inverters": Family.INVERTERS,
    "/ivp/pdm/device_data": Family.INVERTERS,
    "/ivp/ensemble/secctrl": Family.BATTERY,
    "/ivp/ensemble/power": Family.BATTERY,
    "/ivp/ensemble/inventory": Family.STORAGE_STATE,
    "/ivp/ensemble/dry_contacts": Family.STORAGE_STATE,
    "/ivp/ensemble/generator": Family.STORAGE_STATE,
    "/inventory.json?deleted=1": Family.STORAGE_STATE,
    "/admin/lib/tariff": Family.SETTINGS,
    "/ivp/ss/dry_contact_settings": Family.SETTINGS,
    "/ivp/ss/gen_config": Family.SETTINGS,
    "/ivp/ss/gen_mode": Family.SETTINGS,
    "/ivp/ss/gen_schedule": Family.SETTINGS,
    "/ivp/meters": Family.SETTINGS,
}


def _now() -> float:
    """Wall-clock epoch seconds, like the inverters' report times (looked up at each call)."""
    return time.time()


def family_of(endpoint: str) -> Family:
    """The family of an endpoint; anything unknown is live."""
    return FAMILIES.get(endpoint, Family.LIVE)


class Cadence:
    """When each family is next due; fed with every update's data.

    What is due is decided once per update (``begin``), so every endpoint of a
    family is read in the same update.
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Everything is due until it was read once; ``clock`` gives epoch seconds."""
        self._clock = clock or _now
        self._next: dict[Family, float] = {}
        self._due_now: set[Family] = set(Family)
        self._newest_report: int | None = None
        self._retried_inverters = False
        self._battery_active = False

    def begin(self) -> None:
        """An update starts: fix what it reads from the gateway."""
        now = self._clock()
        self._due_now = {f for f in Family if now >= self._next.get(f, 0.0)}

    def is_due(self, family: Family) -> bool:
        """True when the family's endpoints are read from the gateway in this update."""
        return family in self._due_now

    def invalidate(self) -> None:
        """Our own write, a re-probe or a reconnect: read everything now and next update."""
        self._next.clear()
        self._due_now = set(Family)

    def observe(self, data: EnvoyData, read: set[Family]) -> None:
        """Plan the next reads from what this update read and showed."""
        now = self._clock()
        # Half an update early: a poll that fires a little sooner still reads.
        early = UPDATE_INTERVAL / 2
        if Family.LIVE in read:
            # Seconds-old readings are not read again (a flow's read, a burst of refreshes).
            self._next[Family.LIVE] = now + LIVE_MIN_AGE
        if Family.SETTINGS in read:
            self._next[Family.SETTINGS] = now + SETTINGS_PERIOD - early
        if Family.INVERTERS in read:
            self._next[Family.INVERTERS] = now + self._inverters_wait(data, now)
        if Family.STORAGE_STATE in read:
            self._next[Family.STORAGE_STATE] = now + IDLE_BATTERY_PERIOD - early
        active = battery_active(data)
        if Family.BATTERY in read:
            period = UPDATE_INTERVAL if active else IDLE_BATTERY_PERIOD
            self._next[Family.BATTERY] = now + period - early
            if active and not self._battery_active and Family.STORAGE_STATE not in read:
                # Woken up: the batteries' and Enpower's state may have changed too.
                self._next[Family.STORAGE_STATE] = now
        elif active:
            # A storage CT or the production report shows a battery waking up.
            self._next[Family.BATTERY] = now
        self._battery_active = active

    def _inverters_wait(self, data: EnvoyData, now: float) -> float:
        """Seconds until the inverters' next report, by their own clock when it is plausible."""
        reports = [
            i.last_report_date
            for i in (data.inverters or {}).values()
            if i.last_report_date is not None
        ]
        newest = max(reports, default=None)
        advanced = newest is not None and newest != self._newest_report
        self._newest_report = newest
        early = UPDATE_INTERVAL / 2  # polls that fire a little sooner still read
        age = now - newest if newest is not None else -1
        if not 0 <= age < INVERTER_REPORT_PERIOD + UPDATE_INTERVAL:
            # No report, a gateway clock we cannot trust, or a recording: every five minutes.
            return INVERTER_REPORT_PERIOD - early
        if not advanced and not self._retried_inverters:
            # The report is late: once more at the next update, then wait a period.
            self._retried_inverters = True
            return UPDATE_INTERVAL - early
        self._retried_inverters = False
        # The first update after the next report reads it (a few seconds' slack).
        return max(INVERTER_REPORT_PERIOD - age + REPORT_SLACK, UPDATE_INTERVAL - early)


def battery_active(data: EnvoyData) -> bool:
    """Energy moves through a battery, a generator runs, or the grid is down."""
    powers = battery_powers(data)
    if data.ctmeter_storage is not None:
        powers.append(data.ctmeter_storage.active_power)
    if any(p is not None and abs(p) >= ACTIVE_BATTERY_WATTS for p in powers):
        return True
    if data.enpower is not None and data.enpower.mains_oper_state != "closed":
        return True
    return data.generator is not None and data.generator.oper_state == "closed"


class CadencedEnvoy(Envoy):
    """pyenphase's ``Envoy``, answering reads that are not due with the last answer.

    Why a subclass: pyenphase reads every endpoint on every ``update()`` and
    offers no per-updater schedule; ``request`` and ``probe_request`` are its
    public seams, and the updaters parse whatever they return.
    """

    def __init__(self, *args: Any, cadence: Cadence, **kwargs: Any) -> None:
        """Same as ``Envoy``; ``cadence`` decides what is due."""
        super().__init__(*args, **kwargs)
        self.cadence = cadence
        self._answers: dict[str, aiohttp.ClientResponse] = {}
        #: Families read from the gateway since the last ``take_read``.
        self._read: set[Family] = set()

    def take_read(self) -> set[Family]:
        """The families read from the gateway since the last call."""
        read, self._read = self._read, set()
        return read

    def forget(self) -> None:
        """Drop every kept answer (reconnect, re-probe, firmware change)."""
        self._answers.clear()
        self.cadence.invalidate()

    @override
    async def probe_request(  # type: ignore[override]  # pyenphase's is tenacity-wrapped
        self, endpoint: str
    ) -> aiohttp.ClientResponse:
        """Probe like pyenphase, keeping the answer for the update that follows.

        :raises EnvoyError: as pyenphase's (no answer, or a refused one).
        """
        response = await super().probe_request(endpoint)
        self._keep(endpoint, response)
        return response

    @override
    async def request(
        self, endpoint: str, data: dict[str, Any] | None = None, method: str | None = None
    ) -> aiohttp.ClientResponse:
        """Request like pyenphase, answered from what was kept while its family is not due.

        :raises EnvoyError: as pyenphase's (no answer, or a refused one).
        """
        if data is not None or method not in (None, "GET"):
            # A write (pyenphase's own writes bypass this; ``GatewayControls`` forgets).
            self.forget()
            return await super().request(endpoint, data, method)
        family = family_of(endpoint)
        if (kept := self._answers.get(endpoint)) is not None and not self.cadence.is_due(family):
            return kept
        response = await super().request(endpoint)
        self._keep(endpoint, response)
        return response

    def _keep(self, endpoint: str, response: aiohttp.ClientResponse) -> None:
        family = family_of(endpoint)
        self._read.add(family)
        if response.status == 200:
            self._answers[endpoint] = response
        else:
            self._answers.pop(endpoint, None)
