"""Setup and unload against each simulator profile, and the start-up failures."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect import async_remove_config_entry_device
from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import NetworkMode, SimulatorHarness
from simulator.enlighten import CloudMode

from .conftest import entry_data, setup_profile


@pytest.mark.parametrize("profile", ["legacy", "metered", "battery"])
async def test_setup_and_unload(hass: HomeAssistant, sim: SimulatorHarness, profile: str) -> None:
    """Each profile loads, registers its gateway device, and unloads cleanly."""
    entry = await setup_profile(hass, sim, profile)
    assert entry.state is ConfigEntryState.LOADED
    envoy = sim.envoys[profile]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, envoy.profile.serial), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == envoy.profile.firmware
    assert device.serial_number == envoy.profile.serial
    assert (dr.CONNECTION_NETWORK_MAC, envoy.profile.mac) in device.connections

    session = entry.runtime_data.coordinator.gateway.envoy._client
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # HA detaches the entry's own gateway session on unload.
    assert session.connector is None


async def test_token_obtained_once_and_stored(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """Firmware >= 7 without a stored token: one login, and the token lands in the entry."""
    entry = await setup_profile(hass, sim, "metered")
    assert sim.cloud.login_count == 1
    stored = entry.data[CONF_AUTH_STATE]["token"]
    assert stored == sim.cloud.issued_tokens[-1]
    assert entry.data[CONF_AUTH_STATE]["last_renewal"] is not None


async def test_not_ready_when_gateway_offline(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """An unreachable gateway at start is retried, not an error the user must fix."""
    await sim.envoys["metered"].set_mode(NetworkMode.OFFLINE)
    entry = await setup_profile(hass, sim, "metered")
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_not_ready_when_enlighten_down(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """No stored token and Enlighten answering 503: retry later, no reauth."""
    sim.cloud.mode = CloudMode.ERROR_5XX
    entry = await setup_profile(hass, sim, "metered")
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_auth_failed_starts_one_reauth(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """Rejected credentials at start: setup error and exactly one reauth flow."""
    sim.cloud.change_password("owner@example.com", "changed-elsewhere")
    entry = await setup_profile(hass, sim, "metered")
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["step_id"] == "reauth_credentials_rejected"


async def test_entities_keep_their_history_across_the_key_change(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Entries of 0.2 (minor version 1): sensors move to HA core's keys, keeping entity ids."""
    envoy = sim.envoys["battery"]
    serial = envoy.profile.serial
    battery = envoy.readings.batteries[0].serial
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=serial,
        title=f"Envoy {serial}",
        data=entry_data(sim, "battery"),
        options={"scan_interval": 10},
        minor_version=1,
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    old = {
        f"{serial}_current_power_production": f"{serial}_production",
        f"{serial}_lifetime_grid_import": f"{serial}_lifetime_net_consumption",
        f"{serial}_battery_level": f"{serial}_battery_level",
        f"{battery}_battery_level": f"{battery}_soc",
        f"{battery}_battery_power": f"{battery}_real_power_mw",
    }
    entity_ids = {
        uid: registry.async_get_or_create("sensor", DOMAIN, uid, config_entry=entry).entity_id
        for uid in old
    }
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 3
    # 0.3 has no user-set polling interval; the stored one is dropped, not obeyed.
    assert entry.options == {}
    assert entry.runtime_data.coordinator.update_interval.total_seconds() == 60
    for before, after in old.items():
        assert registry.async_get_entity_id("sensor", DOMAIN, after) == entity_ids[before]
    assert hass.states.get(entity_ids[f"{serial}_current_power_production"]) is not None


async def test_unloaded_entry_refuses_device_removal(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Without data the entry cannot tell what is stale: it keeps every device (no crash)."""
    entry = await setup_profile(hass, sim, "metered")
    device = next(
        d
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if d.via_device_id is not None
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert not await async_remove_config_entry_device(hass, entry, device)


async def test_only_parts_no_longer_reported_can_be_removed(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Every reported part (inverters, batteries, Enpower, relays, the gateway) stays."""
    entry = await setup_profile(hass, sim, "battery")
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    assert len(devices) > 3
    for device in devices:
        assert not await async_remove_config_entry_device(hass, entry, device), device.name
    gone = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "482199999999")}
    )
    assert await async_remove_config_entry_device(hass, entry, gone)
