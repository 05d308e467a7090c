"""Energy that balances over simulated time, behind a simulated gateway's counters.

Home Assistant's Energy dashboard adds grid, solar and battery counters up, so the
simulator's must balance in every interval, lifetime counters must only grow and a
battery's charge must follow its power. Time moves only through ``advance`` and the
``report_time`` setter, so a test that compares served values with the attributes
sees the same numbers. Kept apart from the JSON shapes (``readings``) so either can
change without wading through the other.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

#: The gateway's zone (``/home`` says so): "today" starts at its midnight.
TIMEZONE = ZoneInfo("Europe/Amsterdam")
#: A clock jump longer than this is the clock being set, not energy flowing.
MAX_STEP_S = 3600
#: Time passes in steps of at most this: batteries react as often as a real controller.
TICK_S = 60


class _Wh:
    """An energy counter served in whole Wh, kept as a float (``_<name>``) so short steps add up."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return self if obj is None else round(getattr(obj, self.attr))

    def __set__(self, obj: object, value: float) -> None:
        setattr(obj, self.attr, float(value))


class BatteryReading:
    """One IQ Battery; the stored energy is the truth, the percentage follows from it."""

    __slots__ = ("capacity_wh", "energy_wh", "max_power_w", "real_power_w", "serial")

    def __init__(
        self,
        serial: str,
        soc: int,
        real_power_w: int,
        capacity_wh: int = 3500,
        max_power_w: int = 1280,
    ) -> None:
        """``real_power_w`` as the gateway reports it: positive discharges, negative charges."""
        self.serial = serial
        self.capacity_wh = capacity_wh
        self.energy_wh = capacity_wh * soc / 100
        self.real_power_w = real_power_w
        self.max_power_w = max_power_w

    @property
    def soc(self) -> int:
        """State of charge in whole per cent, as ``percentFull``."""
        return round(100 * self.energy_wh / self.capacity_wh)

    @soc.setter
    def soc(self, value: float) -> None:
        self.energy_wh = self.capacity_wh * value / 100

    def run(self, hours: float, floor_wh: float = 0.0) -> tuple[float, float]:
        """Charge or discharge at ``real_power_w`` for ``hours``: (charged, discharged) Wh.

        A full battery, or one drained to ``floor_wh`` (the backup reserve under
        self-consumption), cannot go on: its power drops to 0.
        """
        target = self.energy_wh - self.real_power_w * hours
        stored = min(max(target, min(floor_wh, self.energy_wh)), float(self.capacity_wh))
        if stored != target:
            self.real_power_w = 0
        moved, self.energy_wh = stored - self.energy_wh, stored
        return max(moved, 0.0), max(-moved, 0.0)


class EnergyModel:
    """The clock and energy counters of one gateway, moved by its current powers.

    A base class rather than a helper object so the counters stay plain attributes
    of ``Readings``, which tests set and compare directly.
    """

    production_wh_today = _Wh()
    production_wh_lifetime = _Wh()
    consumption_wh_today = _Wh()
    consumption_wh_lifetime = _Wh()
    grid_import_wh_lifetime = _Wh()
    grid_export_wh_lifetime = _Wh()
    battery_charged_wh_lifetime = _Wh()
    battery_discharged_wh_lifetime = _Wh()
    # The floats behind the counters above (see ``_Wh``), spelt out for type checkers.
    _production_wh_today: float
    _production_wh_lifetime: float
    _consumption_wh_today: float
    _consumption_wh_lifetime: float
    _grid_import_wh_lifetime: float
    _grid_export_wh_lifetime: float
    _battery_charged_wh_lifetime: float
    _battery_discharged_wh_lifetime: float
    # The present, as the subclass keeps it.
    batteries: list[BatteryReading]
    consumption_w: int

    def __init__(self, report_time: float) -> None:
        """Plausible counters of a system that has run a few years, balanced from the start."""
        #: Batteries store the surplus and cover the shortfall (down to the backup
        #: reserve) on each step; False keeps each battery's ``real_power_w`` as set.
        self.self_consumption = True
        self.reserve_soc = 20
        self.production_wh_today = 12_345
        self.production_wh_lifetime = 23_456_789
        self.consumption_wh_today = 9_876
        self.consumption_wh_lifetime = 18_765_432
        self.grid_import_wh_lifetime = 6_543_210  # import - export = consumption - production
        self.grid_export_wh_lifetime = 11_234_567
        self.battery_charged_wh_lifetime = 0
        self.battery_discharged_wh_lifetime = 0
        # The six days before today, so "last seven days" rolls like the real counter.
        self._production_days = deque([(98_765 - 12_345) / 6] * 6, maxlen=6)
        self._consumption_days = deque([(76_543 - 9_876) / 6] * 6, maxlen=6)
        self._time = float(report_time)
        self._day = self._local_day()
        self._settled = (self._production_wh_lifetime, self._consumption_wh_lifetime)

    @property
    def production_w(self) -> int:
        """Current production, which the subclass knows."""
        raise NotImplementedError

    @property
    def net_consumption_wh_lifetime(self) -> int:
        """Lifetime import less export, as the net-consumption meter totals it."""
        return round(self._grid_import_wh_lifetime - self._grid_export_wh_lifetime)

    @property
    def production_wh_7_days(self) -> int:
        """Today and the six days before."""
        return round(sum(self._production_days) + self._production_wh_today)

    @property
    def consumption_wh_7_days(self) -> int:
        """Today and the six days before."""
        return round(sum(self._consumption_days) + self._consumption_wh_today)

    @property
    def report_time(self) -> int:
        """The simulated clock (epoch seconds), stamped on every reading."""
        return int(self._time)

    @report_time.setter
    def report_time(self, value: float) -> None:
        """Move the clock; for loops that credit production and consumption themselves.

        Batteries run for the elapsed time and the grid balances what was credited.
        A jump back or of more than ``MAX_STEP_S`` sets the clock without energy flowing.
        """
        seconds = value - self._time
        if 0 < seconds <= MAX_STEP_S:
            self._run(seconds, credit=False)
        else:
            self._time = float(value)
            self._day = self._local_day()
            self._settle(0.0, 0.0)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass at the current powers.

        Production and consumption are credited, batteries run, the grid takes the
        rest; "today" restarts at the gateway's midnight.
        """
        self._run(seconds, credit=True)

    def _run(self, seconds: float, *, credit: bool) -> None:
        while seconds > 0:
            step = min(seconds, TICK_S, self._seconds_to_midnight())
            self._step(step, credit=credit)
            seconds -= step

    def _step(self, seconds: float, *, credit: bool) -> None:
        hours = seconds / 3600
        if self.self_consumption:
            self._dispatch()
        if credit:
            self._production_wh_today += self.production_w * hours
            self._production_wh_lifetime += self.production_w * hours
            self._consumption_wh_today += self.consumption_w * hours
            self._consumption_wh_lifetime += self.consumption_w * hours
        charged = discharged = 0.0
        for battery in self.batteries:
            into, out = battery.run(hours, self._reserve_wh(battery))
            charged += into
            discharged += out
        self._settle(charged, discharged)
        self._time += seconds
        if (day := self._local_day()) != self._day:
            self._day = day
            self._production_days.append(self._production_wh_today)
            self._consumption_days.append(self._consumption_wh_today)
            self._production_wh_today = self._consumption_wh_today = 0.0

    def _dispatch(self) -> None:
        """Self-consumption: share the surplus (or shortfall) by capacity, at rated power.

        A full battery takes no more, one at the backup reserve gives no more.
        """
        capacity = sum(b.capacity_wh for b in self.batteries)
        surplus = self.production_w - self.consumption_w
        for b in self.batteries:
            share = max(-b.max_power_w, min(b.max_power_w, surplus * b.capacity_wh / capacity))
            full = b.energy_wh >= b.capacity_wh
            low = b.energy_wh <= self._reserve_wh(b)
            b.real_power_w = 0 if (share > 0 and full) or (share < 0 and low) else -round(share)

    def _reserve_wh(self, battery: BatteryReading) -> float:
        return battery.capacity_wh * self.reserve_soc / 100 if self.self_consumption else 0.0

    def _settle(self, charged: float, discharged: float) -> None:
        """The grid takes whatever production, consumption and batteries leave over.

        Works from the counters' change since the last step, so energy credited by a
        caller (see ``report_time``) balances as well as energy credited here.
        """
        production, consumption = self._production_wh_lifetime, self._consumption_wh_lifetime
        net = consumption - self._settled[1] - (production - self._settled[0])
        net += charged - discharged
        if net > 0:
            self._grid_import_wh_lifetime += net
        else:
            self._grid_export_wh_lifetime -= net
        self._battery_charged_wh_lifetime += charged
        self._battery_discharged_wh_lifetime += discharged
        self._settled = (production, consumption)

    def _local_day(self) -> dt.date:
        return dt.datetime.fromtimestamp(self._time, TIMEZONE).date()

    def _seconds_to_midnight(self) -> float:
        midnight = dt.datetime.combine(
            self._local_day() + dt.timedelta(days=1), dt.time(), TIMEZONE
        )
        return midnight.timestamp() - self._time
