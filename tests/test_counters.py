"""Lifetime counters never go back on a glitch; HA's statistics would take a dip for a reset.

A dip (a gateway answering 0 while it starts, a LAN peer posing as a legacy
gateway) is held at the highest reading; only a drop that lasts an hour is a
true reset. The highest reading survives a restart.
"""

from __future__ import annotations

import logging

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from simulator import SimulatorHarness

from .conftest import poll, sensor_state, setup_profile


def _mwh(hass: HomeAssistant, unique_id: str) -> float:
    state = sensor_state(hass, unique_id)
    assert state is not None
    return float(state)


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
    # Warned of the first dip and of the reset; the second drop only at debug level.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("fell from" in w for w in warnings) == len(counters)
    assert sum("was reset" in w for w in warnings) == len(counters)


async def test_a_dip_across_a_restart_is_held(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The gateway reboots with HA and answers 0: the restored reading stays."""
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
