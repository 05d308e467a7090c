"""Recovery while running: reboots, lost sessions, firmware updates, outages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import NetworkMode, SimulatorHarness

from .conftest import DEMO_OWNER, poll, sensor_state, setup_profile


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


def _device_firmware(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    return device.sw_version


def _firmware_event(hass: HomeAssistant, entry: MockConfigEntry) -> State:
    """The gateway's firmware event entity; no Repairs notice exists for an update."""
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"firmware_updated_{entry.entry_id}") is None
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{entry.unique_id}_firmware_update"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def _fired(state: State) -> dict[str, object]:
    assert state.attributes.get("event_type") == "firmware_updated"
    return {k: state.attributes.get(k) for k in ("previous_version", "new_version")}


async def test_firmware_7_to_8(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The installer adds batteries and updates the firmware in one visit.

    Detected in the first cycle after the reboot, re-probed, entities for the
    new hardware appear (the entry reloads because the gateway sensors
    changed), sw_version follows, one notice that goes away after a day, no
    reauth and no new token.
    """
    entry = await setup_profile(hass, sim, "metered")
    logins = sim.cloud.login_count
    assert sensor_state(hass, "122300067890_battery_level") is None
    envoy = sim.envoys["metered"]
    await envoy.set_firmware("8.2.4286", battery_count=2, enpower=True)
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert _ok(entry)
    assert _device_firmware(hass, entry) == "8.2.4286"
    assert sensor_state(hass, "122300067890_battery_level") == str(envoy.readings.battery_soc)
    for battery in envoy.readings.batteries:
        assert sensor_state(hass, f"{battery.serial}_soc") == str(battery.soc)
    assert sim.cloud.login_count == logins
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert caplog.text.count("firmware changed from 7.6.175 to 8.2.4286") == 1

    # The event fired before the reload and was restored after it; it fires once.
    fired = _firmware_event(hass, entry)
    assert _fired(fired) == {"previous_version": "7.6.175", "new_version": "8.2.4286"}
    await poll(hass, freezer, 3600)
    assert _firmware_event(hass, entry).state == fired.state


async def test_firmware_same_entities_no_reload(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A firmware update that changes no entity keeps the entry (and its setup) as is."""
    entry = await setup_profile(hass, sim, "battery")
    coordinator = entry.runtime_data.coordinator
    await sim.envoys["battery"].set_firmware("8.3.5167")
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.coordinator is coordinator
    assert _device_firmware(hass, entry) == "8.3.5167"
    assert _fired(_firmware_event(hass, entry)) == {
        "previous_version": "8.2.4286",
        "new_version": "8.3.5167",
    }


async def test_firmware_5_to_7(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The update reboots the gateway; the first cycle after it is back detects it.

    The digest account cannot work any more: reauth explains that Enlighten is
    now needed, and completing it restores the data.
    """
    entry = await setup_profile(hass, sim, "legacy", password="local-secret")
    envoy = sim.envoys["legacy"]
    await envoy.set_mode(NetworkMode.OFFLINE)
    await poll(hass, freezer)
    assert not _ok(entry)
    await envoy.set_firmware("7.6.175")
    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert not _ok(entry)
    assert sim.cloud.login_count == 0  # the local account never goes to Enlighten
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_firmware_needs_enlighten"
    assert _device_firmware(hass, entry) == "7.6.175"
    assert _fired(_firmware_event(hass, entry)) == {
        "previous_version": "5.0.62",
        "new_version": "7.6.175",
    }

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert _ok(entry)
    assert entry.data[CONF_USERNAME] == DEMO_OWNER[0]
    assert sensor_state(hass, "121900012345_production") == str(envoy.readings.production_w / 1000)
    assert sensor_state(hass, "121900012345_token_expiry") not in (None, "unavailable")


async def test_firmware_update_outage(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """10 cycles of 503s and refused connections while updating, then back: no reauth."""
    entry = await setup_profile(hass, sim, "battery")
    envoy = sim.envoys["battery"]
    for mode in [NetworkMode.UNAVAILABLE] * 5 + [NetworkMode.OFFLINE] * 5:
        await envoy.set_mode(mode)
        await poll(hass, freezer)
        assert not _ok(entry)
        assert sensor_state(hass, "202400013579_production") == "unavailable"
    await envoy.set_firmware("8.3.5167")
    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert _ok(entry)
    assert _device_firmware(hass, entry) == "8.3.5167"
    assert sensor_state(hass, "202400013579_production") not in (
        None,
        "unavailable",
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_refused_stored_token_at_start_is_replaced(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Starting with a token the gateway no longer accepts: a new one, no reauth."""
    envoy = sim.envoys["metered"]
    stale = sim.cloud.mint_token(envoy.profile.serial)
    envoy.revoke_token(stale)
    entry = await setup_profile(hass, sim, "metered", auth={"token": stale})
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_AUTH_STATE]["token"] != stale
    assert sim.cloud.login_count == 1
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_refused_stored_token_and_changed_password_at_start(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """The token is refused and the password changed: reauth says the credentials were."""
    envoy = sim.envoys["metered"]
    stale = sim.cloud.mint_token(envoy.profile.serial)
    envoy.revoke_token(stale)
    sim.cloud.change_password(DEMO_OWNER[0], "changed-elsewhere")
    entry = await setup_profile(hass, sim, "metered", auth={"token": stale})
    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_credentials_rejected"
