"""Recovery while running: reboots, lost sessions, firmware updates, outages."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import NetworkMode, SimulatorHarness

from .conftest import poll, setup_profile


def _ok(entry: MockConfigEntry) -> bool:
    return bool(entry.runtime_data.coordinator.last_update_success)


async def test_gateway_reboot_session_lost(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A reboot forgets the validated token: re-validated silently, no new token."""
    entry = await setup_profile(hass, sim, "metered")
    logins = sim.cloud.login_count
    await sim.envoys["metered"].reboot()
    await poll(hass, freezer)
    assert _ok(entry)
    assert sim.cloud.login_count == logins
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_restart_reuses_token(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """A stored valid token means zero Enlighten requests at start."""
    token = sim.cloud.mint_token(sim.envoys["metered"].profile.serial)
    sim.cloud.reset_counts()
    entry = await setup_profile(hass, sim, "metered", auth={"token": token})
    assert entry.state is ConfigEntryState.LOADED
    assert sum(sim.cloud.requests.values()) == 0
    assert entry.data[CONF_AUTH_STATE]["token"] == token


async def test_rejected_token_replaced_when_credentials_stored(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_profile(hass, sim, "metered")
    old = entry.data[CONF_AUTH_STATE]["token"]
    sim.envoys["metered"].expire_tokens()
    freezer.tick(timedelta(seconds=2))
    await poll(hass, freezer)
    assert _ok(entry)
    assert entry.data[CONF_AUTH_STATE]["token"] != old
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_rejected_pasted_token_starts_reauth(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    envoy = sim.envoys["metered"]
    token = sim.cloud.mint_token(envoy.profile.serial)
    entry = await setup_profile(
        hass, sim, "metered", username=None, password=None, auth={"token": token}
    )
    assert entry.state is ConfigEntryState.LOADED
    envoy.revoke_token(token)
    await poll(hass, freezer)
    assert not _ok(entry)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_token_rejected"


async def test_firmware_7_to_8_updates_device(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_profile(hass, sim, "metered")
    logins = sim.cloud.login_count
    await sim.envoys["metered"].set_firmware("8.2.4286")  # reboots: sessions are lost
    await poll(hass, freezer)
    assert _ok(entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == "8.2.4286"
    assert sim.cloud.login_count == logins
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_firmware_5_to_7_asks_for_enlighten(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The update reboots the gateway; the first cycle after it is back detects it."""
    entry = await setup_profile(hass, sim, "legacy")
    envoy = sim.envoys["legacy"]
    await envoy.set_mode(NetworkMode.OFFLINE)
    await poll(hass, freezer)
    assert not _ok(entry)
    await envoy.set_firmware("7.6.175")
    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert not _ok(entry)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_firmware_needs_enlighten"


async def test_outage_then_back_no_reauth(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_profile(hass, sim, "battery")
    envoy = sim.envoys["battery"]
    for mode in [NetworkMode.UNAVAILABLE] * 5 + [NetworkMode.OFFLINE] * 5:
        await envoy.set_mode(mode)
        await poll(hass, freezer)
        assert not _ok(entry)
    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert _ok(entry)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
