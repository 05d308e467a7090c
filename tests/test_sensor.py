"""Entity states equal what the simulated gateway served, for each profile."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.envoy_connect.api.cadence import INVERTER_REPORT_PERIOD
from custom_components.envoy_connect.const import DOMAIN
from simulator import NetworkMode, SimulatorHarness

from .conftest import poll, sensor_state, setup_profile


def _state(hass: HomeAssistant, unique_id: str) -> str:
    state = sensor_state(hass, unique_id)
    assert state is not None, unique_id
    return state


def _unique_ids(hass: HomeAssistant, entry_id: str) -> set[str]:
    return {e.unique_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)}


@pytest.mark.parametrize("profile", ["legacy", "metered", "battery"])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_gateway_values(hass: HomeAssistant, sim: SimulatorHarness, profile: str) -> None:
    entry = await setup_profile(hass, sim, profile)
    envoy = sim.envoys[profile]
    r = envoy.readings
    serial = envoy.profile.serial
    # Energy is reported in Wh and suggested in kWh/MWh: compare in those units.
    assert float(_state(hass, f"{serial}_production")) == pytest.approx(r.production_w / 1000)
    assert float(_state(hass, f"{serial}_daily_production")) == pytest.approx(
        r.production_wh_today / 1000
    )
    assert float(_state(hass, f"{serial}_lifetime_production")) == pytest.approx(
        r.production_wh_lifetime / 1_000_000
    )
    for inverter, watts in r.inverter_watts.items():
        assert float(_state(hass, f"{inverter}_inverter_power")) == watts
    ids = _unique_ids(hass, entry.entry_id)
    if envoy.profile.metered:
        assert float(_state(hass, f"{serial}_consumption")) == pytest.approx(r.consumption_w / 1000)
        assert float(_state(hass, f"{serial}_balanced_net_consumption")) == pytest.approx(
            r.net_consumption_w / 1000
        )
        # The net-consumption CT counts what came from the grid and what went to it.
        assert float(_state(hass, f"{serial}_lifetime_net_consumption")) == pytest.approx(
            r.grid_import_wh_lifetime / 1_000_000
        )
        assert float(_state(hass, f"{serial}_lifetime_net_production")) == pytest.approx(
            r.grid_export_wh_lifetime / 1_000_000
        )
    else:
        assert f"{serial}_consumption" not in ids
        assert f"{serial}_token_expiry" not in ids
    if envoy.profile.battery_count:
        assert float(_state(hass, f"{serial}_battery_level")) == r.battery_soc
        for battery in r.batteries:
            assert float(_state(hass, f"{battery.serial}_soc")) == battery.soc
            assert float(_state(hass, f"{battery.serial}_real_power_mw")) == battery.real_power_w
    else:
        assert f"{serial}_battery_level" not in ids


async def test_devices_and_linking(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "battery")
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    gateway = registry.async_get_device_by_identifier(
        (DOMAIN, sim.envoys["battery"].profile.serial), entry.entry_id
    )
    assert gateway is not None
    children = {
        value for d in devices if d.via_device_id == gateway.id for _, value in d.identifiers
    }
    r = sim.envoys["battery"].readings
    serial = sim.envoys["battery"].profile.serial
    # Every inverter and battery, the IQ System Controller and its relay: all linked.
    enpower = entry.runtime_data.coordinator.data.enpower
    assert enpower is not None
    assert children == {
        *r.inverter_watts,
        *(b.serial for b in r.batteries),
        enpower.serial_number,
        f"{serial}_relay_NC1",
    }
    assert len(devices) == len(children) + 1


async def test_token_expiry_sensor(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "metered")
    token = entry.runtime_data.tokens.manager.token
    assert token is not None
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.unique_id}_token_expiry"
    )
    assert entity_id
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == token.expires_at.isoformat()


async def test_values_follow_and_unavailable(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """New values appear with the inverters' next report; an offline gateway: unavailable."""
    await setup_profile(hass, sim, "legacy")
    envoy = sim.envoys["legacy"]
    first = next(iter(envoy.readings.inverter_watts))
    envoy.readings.inverter_watts[first] = 42
    await poll(hass, freezer, INVERTER_REPORT_PERIOD)
    assert _state(hass, f"{first}_inverter_power") == "42"

    await envoy.set_mode(NetworkMode.OFFLINE)
    await poll(hass, freezer)
    assert _state(hass, f"{first}_inverter_power") == STATE_UNAVAILABLE

    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert _state(hass, f"{first}_inverter_power") == "42"


async def test_inverter_disappears_then_returns(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    await setup_profile(hass, sim, "legacy")
    r = sim.envoys["legacy"].readings
    serial = next(iter(r.inverter_watts))
    del r.inverter_watts[serial]
    new_serial = "482199999999"
    r.inverter_watts[new_serial] = 77
    await poll(hass, freezer, INVERTER_REPORT_PERIOD)
    assert _state(hass, f"{serial}_inverter_power") == STATE_UNAVAILABLE
    assert _state(hass, f"{new_serial}_inverter_power") == "77"


async def test_inverter_last_reported_disabled_by_default(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    entry = await setup_profile(hass, sim, "metered")
    registry = er.async_get(hass)
    inverter = next(iter(sim.envoys["metered"].readings.inverter_watts))
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{inverter}_last_reported")
    assert entity_id is not None
    entity = registry.async_get(entity_id)
    assert entity is not None
    assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert entity.config_entry_id == entry.entry_id
    assert _state(hass, f"{inverter}_inverter_power") == str(
        sim.envoys["metered"].readings.inverter_watts[inverter]
    )


async def test_only_gone_parts_can_be_deleted(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The device page offers delete for a part the gateway dropped, not for a live one."""
    assert await async_setup_component(hass, "config", {})
    entry = await setup_profile(hass, sim, "legacy")
    r = sim.envoys["legacy"].readings
    gone, kept = list(r.inverter_watts)[:2]
    del r.inverter_watts[gone]
    await poll(hass, freezer, INVERTER_REPORT_PERIOD)
    registry = dr.async_get(hass)
    client = await hass_ws_client(hass)

    async def remove(serial: str) -> bool:
        device = registry.async_get_device_by_identifier((DOMAIN, serial), entry.entry_id)
        assert device is not None
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device.id,
            }
        )
        return bool((await client.receive_json())["success"])

    assert await remove(gone)
    assert registry.async_get_device_by_identifier((DOMAIN, gone), entry.entry_id) is None
    assert not await remove(kept)
    assert not await remove(str(entry.unique_id))


async def test_calculated_battery_energy(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """No storage CT: charged/discharged energy integrated from battery power, kept on restart."""
    entry = await setup_profile(hass, sim, "battery")
    serial = sim.envoys["battery"].profile.serial
    batteries = sim.envoys["battery"].readings.batteries
    charging_w = -sum(b.real_power_w for b in batteries)
    assert charging_w > 0
    for _ in range(60):
        await poll(hass, freezer, 60)
    charged = float(_state(hass, f"{serial}_battery_energy_charged"))
    # 60 polls a minute apart: an hour at the batteries' charging power (in kWh).
    assert charged == pytest.approx(charging_w / 1000, rel=0.02)
    assert float(_state(hass, f"{serial}_battery_energy_discharged")) == 0

    # An outage longer than the gap is not guessed at.
    await sim.envoys["battery"].set_mode(NetworkMode.OFFLINE)
    await poll(hass, freezer, 30 * 60)
    await sim.envoys["battery"].set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer, 60)
    await poll(hass, freezer, 60)
    after_gap = float(_state(hass, f"{serial}_battery_energy_charged"))
    assert after_gap == pytest.approx(charged + charging_w / 1000 / 60, rel=0.05)

    # Discharging now: the other counter moves.
    for battery in batteries:
        battery.real_power_w = 500
    await poll(hass, freezer, 60)
    await poll(hass, freezer, 60)
    assert float(_state(hass, f"{serial}_battery_energy_discharged")) > 0

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(_state(hass, f"{serial}_battery_energy_charged")) >= after_gap
