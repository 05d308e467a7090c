"""The simulated gateway's numbers obey physics over a simulated summer day.

Home Assistant's Energy dashboard adds grid, solar and battery counters up; a
simulator whose counters do not balance would make it show nonsense and would
hide bugs that only show with consistent data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import aiohttp
import pytest
from pyenphase import Envoy
from pyenphase.models.meters import CtType
from pyenphase.ssl import NO_VERIFY_SSL_CONTEXT

from simulator import SimulatorHarness
from simulator.profiles import PROFILES
from simulator.readings import CONSUMPTION_EID, TIMEZONE, Readings

STEP_S = 300
#: Six counters, each served in whole Wh: the balance of one interval is off by less than this.
ROUNDING_WH = 6
MIDNIGHT = int(dt.datetime(2024, 6, 21, tzinfo=TIMEZONE).timestamp())


def _weather(readings: Readings, base: dict[str, int]) -> None:
    """Set sun and house for the clock's local hour: a clear June day, a family at home."""
    now = dt.datetime.fromtimestamp(readings.report_time, TIMEZONE)
    hour = now.hour + now.minute / 60
    sun = max(0.0, math.sin(math.pi * (hour - 5.5) / 16))
    for serial, watts in base.items():
        readings.inverter_watts[serial] = round(1.5 * watts * sun)
    evening = 1400 * math.exp(-((hour - 19) ** 2) / 3)
    morning = 700 * math.exp(-((hour - 7.5) ** 2))
    readings.consumption_w = round(350 + evening + morning)


def _served(readings: Readings) -> dict[str, int]:
    """The lifetime counters as the gateway serves them (batteries: no storage CT, so ours)."""
    production = readings.production_json(metered=True)
    net_ct = next(m for m in readings.ivp_meters_readings() if m["eid"] == CONSUMPTION_EID)
    return {
        "production": round(production["production"][1]["whLifetime"]),
        "consumption": round(production["consumption"][0]["whLifetime"]),
        "import": round(net_ct["actEnergyDlvd"]),
        "export": round(net_ct["actEnergyRcvd"]),
        "charged": readings.battery_charged_wh_lifetime,
        "discharged": readings.battery_discharged_wh_lifetime,
    }


def _imbalance(before: dict[str, int], after: dict[str, int]) -> int:
    """Grid exchange less what the house, the sun and the batteries explain (0 = balanced)."""
    d = {key: after[key] - before[key] for key in before}
    explained = d["consumption"] - d["production"] - d["discharged"] + d["charged"]
    return d["import"] - d["export"] - explained


def _day(readings: Readings) -> Iterator[None]:
    """Step through one day from local midnight, weather set before each step."""
    base = dict(readings.inverter_watts)
    readings.report_time = MIDNIGHT  # the clock is set: no energy flows
    for _ in range(86_400 // STEP_S):
        _weather(readings, base)
        yield
        readings.advance(STEP_S)


@pytest.mark.parametrize("profile", ["metered", "battery"])
def test_every_interval_and_the_whole_day_balance(profile: str) -> None:
    readings = Readings.for_profile(PROFILES[profile])
    start = previous = None
    for _ in _day(readings):
        now = _served(readings)
        start = start or now
        if previous is not None:
            assert abs(_imbalance(previous, now)) < ROUNDING_WH
            assert all(now[key] >= previous[key] for key in now), "a lifetime counter went back"
        previous = now
    assert start is not None
    end = _served(readings)
    # Served counters are rounded, not drifting: the whole day balances as tightly as a step.
    assert abs(_imbalance(start, end)) < ROUNDING_WH
    day = {key: end[key] - start[key] for key in end}
    assert day["production"] > 20_000
    assert day["consumption"] > 10_000
    assert day["export"] > 0
    assert day["import"] > 0
    if profile == "battery":
        assert day["charged"] > 0
        assert day["discharged"] > 0
    else:
        assert day["charged"] == day["discharged"] == 0


def test_battery_charge_follows_its_power() -> None:
    readings = Readings.for_profile(PROFILES["battery"])
    stored: list[float] = []
    directions = set()
    for _ in _day(readings):
        # Shown now: the power of the step just run, and the energy it left.
        for battery, before in zip(readings.batteries, stored, strict=False):
            power = next(
                d["real_power_mw"] / 1000
                for d in readings.ensemble_power()["devices:"]
                if d["serial_num"] == battery.serial
            )
            if power < 0:  # charging
                assert battery.energy_wh > before
                directions.add("charge")
            elif power > 0:
                assert battery.energy_wh < before
                directions.add("discharge")
            assert 0 <= battery.soc <= 100
        stored = [b.energy_wh for b in readings.batteries]
    assert directions == {"charge", "discharge"}
    # Self-consumption: full by the afternoon, drained to the reserve but not below.
    secctrl = readings.ensemble_secctrl()
    assert secctrl["agg_soc"] == readings.battery_soc
    assert secctrl["ENC_agg_avail_energy"] == int(sum(b.energy_wh for b in readings.batteries))


def test_self_consumption_fills_then_stops_at_full_and_at_the_reserve() -> None:
    readings = Readings.for_profile(PROFILES["battery"])
    readings.consumption_w = 300
    readings.advance(10 * 3600)  # the whole surplus of a long sunny stretch
    assert readings.battery_soc == 100
    assert readings.battery_power_w == 0
    assert readings.net_consumption_w == readings.consumption_w - readings.production_w
    readings.inverter_watts.clear()  # night
    readings.advance(24 * 3600)
    assert readings.battery_soc == readings.reserve_soc
    assert readings.battery_power_w == 0
    assert readings.net_consumption_w == readings.consumption_w


@pytest.mark.parametrize(("power_w", "limit"), [(-1000, 100), (1000, 0)])
def test_a_set_power_runs_until_empty_or_full(power_w: int, limit: int) -> None:
    readings = Readings.for_profile(PROFILES["battery"])
    readings.self_consumption = False
    for battery in readings.batteries:
        battery.real_power_w = power_w
    before = sum(b.energy_wh for b in readings.batteries)
    readings.advance(STEP_S)
    moved = sum(b.energy_wh for b in readings.batteries) - before
    assert moved == pytest.approx(-2 * power_w * STEP_S / 3600)
    readings.advance(10 * 3600)
    for battery in readings.batteries:
        assert battery.soc == limit
        assert battery.real_power_w == 0
    served = readings.ensemble_power()["devices:"]
    assert {(d["soc"], d["real_power_mw"]) for d in served} == {(limit, 0)}


def test_today_restarts_at_the_gateways_midnight() -> None:
    readings = Readings.for_profile(PROFILES["metered"])
    readings.report_time = MIDNIGHT - 3600
    readings.advance(1800)
    week = readings.production_wh_7_days
    oldest = readings._production_days[0]
    lifetime = readings.production_wh_lifetime
    readings.advance(3600)  # across midnight
    assert readings.production_wh_lifetime == pytest.approx(lifetime + readings.production_w)
    assert readings.production_wh_today == pytest.approx(readings.production_w / 2, abs=1)
    assert readings.consumption_wh_today == pytest.approx(readings.consumption_w / 2, abs=1)
    # The oldest of the seven days drops out; yesterday, now complete, stays in.
    expected = week - oldest + readings.production_w
    assert readings.production_wh_7_days == pytest.approx(expected, abs=1)


def test_a_loop_that_credits_energy_itself_stays_balanced() -> None:
    """A caller that credits production and consumption itself, then moves ``report_time``."""
    readings = Readings.for_profile(PROFILES["battery"])
    readings.report_time = MIDNIGHT + 13 * 3600
    before, soc = _served(readings), [b.energy_wh for b in readings.batteries]
    for _ in range(360):
        readings.production_wh_today += readings.production_w // 360
        readings.production_wh_lifetime += readings.production_w // 360
        readings.consumption_wh_today += readings.consumption_w // 360
        readings.consumption_wh_lifetime += readings.consumption_w // 360
        readings.report_time += 10
    after = _served(readings)
    assert abs(_imbalance(before, after)) < ROUNDING_WH
    assert after["production"] - before["production"] == 360 * (readings.production_w // 360)
    assert [b.energy_wh for b in readings.batteries] != soc  # they ran for the hour
    # A jump of days is the clock being set, not days of energy.
    readings.report_time += 3 * 86_400
    assert _served(readings) == after


async def test_pyenphase_reads_a_balanced_day(socket_enabled: None) -> None:
    """What the integration's library parses from the served JSON balances too."""
    harness = SimulatorHarness(profiles=["battery"])
    await harness.start()
    gateway = harness.envoys["battery"]
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=NO_VERIFY_SSL_CONTEXT)
        ) as session:
            envoy = Envoy(gateway.address, client=session)
            await envoy.setup()
            await envoy.authenticate(token=harness.cloud.mint_token(gateway.profile.serial))

            async def counters() -> dict[str, int]:
                data = await envoy.update()
                net = data.ctmeters[CtType.NET_CONSUMPTION]
                assert data.system_production is not None
                assert data.system_consumption is not None
                assert net is not None
                return {
                    "production": data.system_production.watt_hours_lifetime,
                    "consumption": data.system_consumption.watt_hours_lifetime,
                    "import": net.energy_delivered,
                    "export": net.energy_received,
                    "charged": gateway.readings.battery_charged_wh_lifetime,
                    "discharged": gateway.readings.battery_discharged_wh_lifetime,
                }

            day = _day(gateway.readings)
            next(day)  # midnight
            start = await counters()
            for _ in day:  # until the next midnight
                pass
            end = await counters()
            aggregate = (await envoy.update()).encharge_aggregate
            assert aggregate is not None
            assert aggregate.state_of_charge == gateway.readings.battery_soc
    finally:
        await harness.stop()
    assert abs(_imbalance(start, end)) < ROUNDING_WH
    assert end["import"] > start["import"]
    assert end["export"] > start["export"]
