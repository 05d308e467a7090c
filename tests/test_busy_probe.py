"""A probe that meets a busy gateway (503 or no answer) is repeated, never taken as the truth.

pyenphase counts such an endpoint as absent; right after a reboot real
gateways answer "Resource busy" for minutes (pyenphase issue 168).
"""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import SimulatorHarness

from .conftest import DEMO_OWNER, poll, sensor_state, setup_profile, start_local_flow

INVENTORY = "/ivp/ensemble/inventory"


def _ok(entry: MockConfigEntry) -> bool:
    return bool(entry.runtime_data.coordinator.last_update_success)


async def test_busy_first_probe_is_repeated_and_the_entities_follow(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Batteries busy at setup: data flows at once, the batteries appear a minute later."""
    envoy = sim.envoys["battery"]
    serial = envoy.profile.serial
    envoy.fail(INVENTORY, 503)
    entry = await setup_profile(hass, sim, "battery")
    assert entry.state is ConfigEntryState.LOADED
    assert _ok(entry)
    assert sensor_state(hass, f"{serial}_battery_level") is None
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, f"{serial}_battery_level") == str(envoy.readings.battery_soc)
    for battery in envoy.readings.batteries:
        assert sensor_state(hass, f"{battery.serial}_soc") == str(battery.soc)


async def test_runaway_answer_at_the_first_probe_is_no_absence(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """An answer cut at the size cap during setup counts as busy: the batteries follow later."""
    envoy = sim.envoys["battery"]
    serial = envoy.profile.serial
    envoy.flood(INVENTORY, None)
    entry = await setup_profile(hass, sim, "battery")
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, f"{serial}_battery_level") is None
    envoy.floods.clear()
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, f"{serial}_battery_level") == str(envoy.readings.battery_soc)


async def test_busy_probe_after_a_firmware_update_keeps_the_entities(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The reboot's busy minute neither removes the batteries nor reloads the entry."""
    envoy = sim.envoys["battery"]
    serial = envoy.profile.serial
    entry = await setup_profile(hass, sim, "battery")
    coordinator = entry.runtime_data.coordinator
    await envoy.set_firmware("8.3.5167")
    envoy.fail(INVENTORY, 503)
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.coordinator is coordinator
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.coordinator is coordinator
    assert _ok(entry)
    assert sensor_state(hass, f"{serial}_battery_level") == str(envoy.readings.battery_soc)


async def test_a_firmware_update_that_adds_data_reloads_once_the_probe_is_whole(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Batteries installed with the update, busy at first: they appear when they answer."""
    envoy = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    await envoy.set_firmware("8.2.4286", battery_count=2, enpower=True)
    envoy.fail(INVENTORY, 503)
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sensor_state(hass, f"{envoy.profile.serial}_battery_level") is None
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, f"{envoy.profile.serial}_battery_level") == str(
        envoy.readings.battery_soc
    )


@pytest.mark.parametrize("status", [503, 500])
async def test_busy_production_is_no_unsupported_firmware(
    hass: HomeAssistant, sim: SimulatorHarness, status: int
) -> None:
    """No production endpoint answered: "cannot connect" (try again), not "unsupported"."""
    envoy = sim.envoys["metered"]
    for path in ("/production.json", "/api/v1/production", "/production"):
        envoy.fail(path, status, times=3)
    result = await start_local_flow(hass)
    user_input = {
        CONF_HOST: envoy.address,
        CONF_USERNAME: DEMO_OWNER[0],
        CONF_PASSWORD: DEMO_OWNER[1],
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    envoy.faults.clear()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
