"""Lifetime counters never go back on a glitch; HA's statistics would take a dip for a reset.

A dip (a gateway answering 0 while it starts, a LAN peer posing as a legacy
gateway) is held at the highest reading; only a drop that lasts an hour and
that HA takes for a reset (below 90 %) is shown. The highest reading survives
a reload and a restart (HA's restore cache).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from pytest_homeassistant_custom_component.common import mock_restore_cache_with_extra_data

from custom_components.envoy_connect.local.counter import Change, HeldCounter
from simulator import SimulatorHarness

from .conftest import poll, sensor_state, setup_profile

LIFETIME = "sensor.envoy_122300067890_lifetime_production"


def _mwh(hass: HomeAssistant, unique_id: str) -> float:
    state = sensor_state(hass, unique_id)
    assert state is not None
    return float(state)


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_a_dip_is_held_and_a_lasting_drop_is_a_reset(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Production dips to 0 for a poll: never shown; it then drops for good: shown after an hour."""
    envoy = sim.envoys["metered"]
    serial = envoy.profile.serial
    # Production's lifetime from the production report and from the production CT.
    counters = [f"{serial}_lifetime_production", f"{serial}_production_ct_energy_delivered"]
    await setup_profile(hass, sim, "metered")
    before = {uid: _mwh(hass, uid) for uid in counters}
    readings = envoy.readings
    real = readings.production_wh_lifetime

    readings.production_wh_lifetime = 0
    await poll(hass, freezer)
    assert {uid: _mwh(hass, uid) for uid in counters} == before
    readings.production_wh_lifetime = real
    await poll(hass, freezer)
    for uid in counters:
        assert _mwh(hass, uid) >= before[uid]

    # A new meter counts from a few kWh: held for an hour, then a reset HA can book.
    readings.production_wh_lifetime = 1_000
    held = {uid: _mwh(hass, uid) for uid in counters}
    for _ in range(59):
        await poll(hass, freezer, 60)
        assert {uid: _mwh(hass, uid) for uid in counters} == held
    await poll(hass, freezer, 120)
    for uid in counters:
        assert _mwh(hass, uid) < 0.01
    # One warning for the gateway's first drop and one for its reset, whatever the count
    # of counters; the rest went to the debug log.
    assert _warnings(caplog, "fell from") == 1
    assert _warnings(caplog, "was reset") == 1
    assert sum("fell from" in r.getMessage() for r in caplog.records) == 2 * len(counters)


async def test_a_small_lasting_drop_is_held(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """HA would book a drop to 95 % as negative energy: held, however long it lasts."""
    envoy = sim.envoys["metered"]
    unique_id = f"{envoy.profile.serial}_lifetime_production"
    await setup_profile(hass, sim, "metered")
    before = _mwh(hass, unique_id)
    envoy.readings.production_wh_lifetime = envoy.readings.production_wh_lifetime * 0.95
    for _ in range(12):
        await poll(hass, freezer, 600)
        assert _mwh(hass, unique_id) == before


async def test_a_dip_across_a_reload_is_held(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The gateway reboots with the entry and answers 0: the kept reading stays."""
    envoy = sim.envoys["metered"]
    unique_id = f"{envoy.profile.serial}_lifetime_production"
    entry = await setup_profile(hass, sim, "metered")
    before = _mwh(hass, unique_id)
    envoy.readings.production_wh_lifetime = 0
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _mwh(hass, unique_id) == before
    await poll(hass, freezer)
    assert _mwh(hass, unique_id) == before


@pytest.mark.parametrize(
    ("unit", "shown"),
    [("Wh", 30.0), ("kWh", 23.456789)],
    ids=["restored", "other_unit_ignored"],
)
async def test_restart_starts_from_the_kept_reading(
    hass: HomeAssistant, sim: SimulatorHarness, unit: str, shown: float
) -> None:
    """HA's restore cache holds the highest reading (30 MWh); the gateway reports 23.46 MWh."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(LIFETIME, "30.0"),
                {"native_value": 30_000_000, "native_unit_of_measurement": unit},
            )
        ],
    )
    envoy = sim.envoys["metered"]
    assert envoy.profile.serial in LIFETIME
    await setup_profile(hass, sim, "metered")
    assert _mwh(hass, f"{envoy.profile.serial}_lifetime_production") == pytest.approx(shown)


def test_low_readings_with_a_gap_prove_nothing() -> None:
    """An outage between two low readings starts the hour again."""
    counter = HeldCounter()
    start = datetime(2026, 11, 24, tzinfo=UTC)
    assert counter.read(1_000_000, start) == (1_000_000, None)
    assert counter.read(0, start) == (1_000_000, Change.DROP)
    # The gateway is away for 70 minutes, then answers 0 again: a new drop, not a reset.
    assert counter.read(0, start + timedelta(minutes=70)) == (1_000_000, Change.DROP)
    assert counter.read(10, start + timedelta(minutes=75)) == (1_000_000, None)
    later = start + timedelta(minutes=70)
    for minute in range(5, 60, 5):
        assert counter.read(20, later + timedelta(minutes=minute))[0] == 1_000_000
    assert counter.read(30, later + timedelta(minutes=60)) == (30, Change.RESET)
    # Restoring a lower value never lowers the kept one.
    counter.restore(10)
    assert counter.highest == 30
