"""Side by side with HA core's enphase_envoy on every real recording: nothing core shows is missing.

Both integrations read the same replayed gateway in one Home Assistant. For every
entity core creates, ours must have its equivalent (same key where the thing is the
same), and where both have a value, the same value.
"""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_conversion import EnergyConverter, PowerConverter
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect.const import DOMAIN
from custom_components.envoy_connect.local.records import acb_reports
from simulator import SimulatorHarness

from .test_captures import CAPTURES, HTML_ONLY, add_through_flow, replay

__all__ = ["replay"]

CORE = "enphase_envoy"
#: Per-inverter details core creates for every inverter; they only have values where
#: the gateway offers /ivp/pdm/device_data, and only there do we create them.
DETAILED = {
    "dc_voltage",
    "dc_current",
    "ac_voltage",
    "ac_current",
    "ac_frequency",
    "temperature",
    "lifetime_energy",
    "energy_today",
    "last_report_duration",
    "energy_produced",
}
NO_VALUE = (STATE_UNKNOWN, STATE_UNAVAILABLE, None)
#: Core's inverter sensors of an AC Battery -> the AC Battery sensor of ours.
ACB_AS_INVERTER = {
    "": "_acb_battery_power",
    "_last_reported": "_acb_battery_last_reported",
    "_max_reported": "_acb_battery_max_reported",
}


async def _add_core(hass: HomeAssistant, harness: SimulatorHarness, capture: str) -> Any:
    gateway = harness.envoys[capture]
    serial = gateway.profile.serial
    data = {CONF_HOST: gateway.address, CONF_NAME: f"Envoy {serial}", CONF_USERNAME: "installer"}
    if gateway.profile.uses_token_auth:
        data |= {
            CONF_USERNAME: "",
            CONF_PASSWORD: "",
            CONF_TOKEN: harness.cloud.mint_token(serial),
        }
    else:
        data[CONF_PASSWORD] = ""
    entry = MockConfigEntry(domain=CORE, unique_id=serial, data=data, title=f"Envoy {serial}")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _ours(
    core_unique_id: str, platform: str, ours: dict[tuple[str, str], str], serial: str
) -> str | None:
    """Our entity id for core's unique id (same key, or the few that differ on purpose)."""
    candidates = [core_unique_id]
    if "_" not in core_unique_id:  # core's main inverter sensor is the bare serial
        candidates.append(f"{core_unique_id}_inverter_power")
    _, sep, tail = core_unique_id.partition("_relay_")
    if sep:  # relays: ours are keyed by the gateway, core's by the Enpower
        candidates.append(f"{serial}_relay_{tail}")
    # Battery settings live on the gateway here, on the Enpower in core.
    candidates.extend(
        f"{serial}_{key}"
        for key in ("charge_from_grid", "storage_mode", "reserve_soc")
        if core_unique_id.endswith(f"_{key}")
    )
    return next((ours[platform, c] for c in candidates if (platform, c) in ours), None)


def _base(state: State) -> float:
    """A numeric state in W or Wh, whatever unit each integration suggests."""
    value, unit = float(state.state), state.attributes.get("unit_of_measurement")
    for converter, base in ((EnergyConverter, "Wh"), (PowerConverter, "W")):
        if unit in converter.VALID_UNITS:
            return converter.convert(value, unit, base)
    return value


def _same(core: State, ours: State) -> bool:
    try:
        return _base(core) == pytest.approx(_base(ours), rel=1e-6, abs=1e-9)
    except ValueError:
        return core.state.replace("-", "_") == ours.state.replace("-", "_")


@pytest.mark.parametrize("capture", [c for c in CAPTURES if c != HTML_ONLY])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_everything_core_shows(
    hass: HomeAssistant, replay: SimulatorHarness, capture: str, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-06-21 12:00:00+00:00")
    result = await add_through_flow(hass, replay, capture)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    ours_entry = result["result"]
    core_entry = await _add_core(hass, replay, capture)
    serial = replay.envoys[capture].profile.serial
    registry = er.async_get(hass)
    ours = {
        (e.domain, e.unique_id): e.entity_id
        for e in er.async_entries_for_config_entry(registry, ours_entry.entry_id)
    }
    data = ours_entry.runtime_data.coordinator.data
    acb_serials = {*(data.acb_inventory or {}), *acb_reports(data)}
    detailed = bool(
        ours_entry.runtime_data.coordinator.capabilities.features & 8192  # DETAILED_INVERTERS
    )
    core_entities = er.async_entries_for_config_entry(registry, core_entry.entry_id)
    assert core_entities
    missing, different, compared = [], [], 0
    for core in core_entities:
        owner = core.unique_id.split("_", 1)[0]
        suffix = core.unique_id.removeprefix(owner)
        if owner in acb_serials and (suffix in ACB_AS_INVERTER or suffix[1:] in DETAILED):
            # Core's AC Batteries double as inverters; ours are batteries, with the same values.
            if suffix not in ACB_AS_INVERTER:
                continue  # the inverter details an AC Battery never reports
            our_id = ours.get((core.domain, f"{owner}{ACB_AS_INVERTER[suffix]}"))
            if our_id is None:
                missing.append(core.unique_id)
                continue
        else:
            our_id = _ours(core.unique_id, core.domain, ours, serial)
        if our_id is None:
            suffix = core.unique_id.split("_", 1)[-1]
            if not detailed and suffix in DETAILED:
                continue  # core's detail sensors without the endpoint never get a value
            missing.append(core.unique_id)
            continue
        core_state, our_state = hass.states.get(core.entity_id), hass.states.get(our_id)
        assert our_state is not None, our_id
        if core_state is None or core_state.state in NO_VALUE or core.domain == "button":
            continue
        compared += 1
        if not _same(core_state, our_state):
            different.append((core.unique_id, core_state.state, our_state.state))
    assert missing == []
    assert different == []
    assert compared > 0
    await hass.config_entries.async_unload(core_entry.entry_id)
    await hass.config_entries.async_unload(ours_entry.entry_id)
    await hass.async_block_till_done()
    assert DOMAIN
