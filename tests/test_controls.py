"""Controls change the (replayed, real) gateway's state and show what the gateway then reports.

Refused writes raise a translated error that says why, and nothing is retried.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.envoy_connect.const import DOMAIN
from simulator import NetworkMode, SimulatorHarness

from .test_captures import add_through_flow, replay

__all__ = ["replay"]

GENERATOR_SITE = "8.2.127_with_generator_running"
ACB_SITE = "8.3.5169_ACB_inventory"


async def _setup(hass: HomeAssistant, harness: SimulatorHarness, capture: str) -> Any:
    result = await add_through_flow(hass, harness, capture)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result["result"]


def _entity(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any
) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize("capture", [GENERATOR_SITE])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_battery_and_grid_controls(
    hass: HomeAssistant, replay: SimulatorHarness, capture: str
) -> None:
    gateway = replay.envoys[capture]
    serial = gateway.profile.serial
    await _setup(hass, replay, capture)
    enpower = gateway.document("ivp_ensemble_inventory")[1]["devices"][0]["serial_num"]

    mode = _entity(hass, "select", f"{serial}_storage_mode")
    assert _state(hass, mode) == "self_consumption"
    await _call(hass, "select", "select_option", mode, option="backup")
    assert gateway.document("admin_lib_tariff")["tariff"]["storage_settings"]["mode"] == "backup"
    assert _state(hass, mode) == "backup"

    reserve = _entity(hass, "number", f"{serial}_reserve_soc")
    await _call(hass, "number", "set_value", reserve, value=35)
    assert gateway.document("admin_lib_tariff")["tariff"]["storage_settings"]["reserved_soc"] == 35
    assert float(_state(hass, reserve)) == 35

    charge = _entity(hass, "switch", f"{serial}_charge_from_grid")
    assert _state(hass, charge) == "off"
    await _call(hass, "switch", "turn_on", charge)
    assert gateway.document("admin_lib_tariff")["tariff"]["storage_settings"]["charge_from_grid"]
    assert _state(hass, charge) == "on"

    grid = _entity(hass, "switch", f"{enpower}_mains_admin_state")
    await _call(hass, "switch", "turn_off", grid)
    assert _state(hass, grid) == "off"
    await _call(hass, "switch", "turn_on", grid)
    assert _state(hass, grid) == "on"
    assert [w.path for w in gateway.writes].count("/ivp/ensemble/relay") == 2


@pytest.mark.parametrize("capture", [GENERATOR_SITE])
async def test_relay_controls(hass: HomeAssistant, replay: SimulatorHarness, capture: str) -> None:
    gateway = replay.envoys[capture]
    serial = gateway.profile.serial
    await _setup(hass, replay, capture)
    relay = _entity(hass, "switch", f"{serial}_relay_NC1_relay_status")
    await _call(hass, "switch", "turn_off", relay)
    statuses = gateway.document("ivp_ensemble_dry_contacts")["dry_contacts"]
    assert next(r for r in statuses if r["id"] == "NC1")["status"] == "open"
    assert _state(hass, relay) == "off"

    grid_action = _entity(hass, "select", f"{serial}_relay_NC1_grid_action")
    await _call(hass, "select", "select_option", grid_action, option="not_powered")
    settings = gateway.document("ivp_ss_dry_contact_settings")["dry_contacts"]
    assert next(r for r in settings if r["id"] == "NC1")["grid_action"] == "shed"
    assert _state(hass, grid_action) == "not_powered"

    cutoff = _entity(hass, "number", f"{serial}_relay_NC1_soc_low")
    await _call(hass, "number", "set_value", cutoff, value=20)
    settings = gateway.document("ivp_ss_dry_contact_settings")["dry_contacts"]
    assert next(r for r in settings if r["id"] == "NC1")["soc_low"] == 20
    assert float(_state(hass, cutoff)) == 20


@pytest.mark.parametrize("capture", [GENERATOR_SITE])
async def test_generator_controls(
    hass: HomeAssistant, replay: SimulatorHarness, capture: str
) -> None:
    """Beyond HA core: the generator's mode, charging and schedule."""
    gateway = replay.envoys[capture]
    serial = gateway.profile.serial
    # This firmware predates /ivp/ss/gen_mode; newer ones answer like this (pyenphase's
    # 8.3.5169_with_generator recording).
    gateway.record("/ivp/ss/gen_mode", {"gen_cmd": "auto", "last_updated_by": "ITK"})
    await _setup(hass, replay, capture)

    mode = _entity(hass, "select", f"{serial}_generator_mode")
    assert _state(hass, mode) == "auto"
    await _call(hass, "select", "select_option", mode, option="off")
    assert gateway.document("ivp_ss_gen_mode")["gen_cmd"] == "off"
    assert _state(hass, mode) == "off"

    charge = _entity(hass, "switch", f"{serial}_generator_charge_batteries")
    await _call(hass, "switch", "turn_off", charge)
    assert gateway.document("ivp_ss_gen_config")["charge_from_generator"] is False
    assert _state(hass, charge) == "off"

    day = _entity(hass, "select", f"{serial}_generator_exercise_day")
    await _call(hass, "select", "select_option", day, option="wed")
    start = _entity(hass, "time", f"{serial}_generator_exercise_start")
    await _call(hass, "time", "set_value", start, time="06:45:00")
    duration = _entity(hass, "number", f"{serial}_generator_exercise_duration")
    await _call(hass, "number", "set_value", duration, value=20)
    exercise = gateway.document("ivp_ss_gen_schedule")["exercise_config"]
    assert exercise["day"] == "Wed"
    assert exercise["start"] == 6 * 60 + 45
    assert exercise["duration"] == 20
    assert (_state(hass, day), _state(hass, start), _state(hass, duration)) == (
        "wed",
        "06:45:00",
        "20",
    )
    # pyenphase refuses a duration off its 10-minute grid: translated, nothing sent.
    writes = len(gateway.writes)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "number", "set_value", duration, value=25)
    assert err.value.translation_key == "write_rejected"
    assert len(gateway.writes) == writes


@pytest.mark.parametrize("capture", [ACB_SITE])
async def test_acb_sleep_and_wake(
    hass: HomeAssistant, replay: SimulatorHarness, capture: str
) -> None:
    gateway = replay.envoys[capture]
    serial = gateway.profile.serial
    await _setup(hass, replay, capture)
    band = _entity(hass, "select", f"{serial}_acb_sleep_soc")
    await _call(hass, "select", "select_option", band, option="50-55")
    assert not gateway.writes  # a preference until Sleep is pressed
    await _call(hass, "button", "press", _entity(hass, "button", f"{serial}_acb_sleep"))
    [write] = gateway.writes
    assert (write.method, write.path) == ("PUT", "/admin/lib/acb_config")
    assert {(c["sleep_min_soc"], c["sleep_max_soc"]) for c in write.body["acb_sleep"]} == {(50, 55)}
    serials = {c["serial_num"] for c in write.body["acb_sleep"]}
    targets = [
        _state(hass, _entity(hass, "sensor", f"{sn}_acb_battery_sleep_soc_target"))
        for sn in serials
    ]
    assert set(targets) == {"50-55"}
    await _call(hass, "button", "press", _entity(hass, "button", f"{serial}_acb_wake"))
    assert gateway.writes[-1].method == "DELETE"


@pytest.mark.parametrize("capture", [GENERATOR_SITE])
@pytest.mark.parametrize(
    ("refusal", "reason"),
    [(401, "write_needs_installer"), (400, "write_rejected"), ("offline", "write_unreachable")],
)
@pytest.mark.usefixtures("capture")
async def test_refused_write_says_why(
    hass: HomeAssistant, replay: SimulatorHarness, refusal: int | str, reason: str
) -> None:
    """Owner token, refused value, gateway away: each its own message; the state stays true."""
    capture = GENERATOR_SITE
    gateway = replay.envoys[capture]
    serial = gateway.profile.serial
    await _setup(hass, replay, capture)
    mode = _entity(hass, "select", f"{serial}_storage_mode")
    writes = len(gateway.writes)
    if refusal == "offline":
        await gateway.set_mode(NetworkMode.OFFLINE)
    else:
        gateway.refuse_writes("/admin/lib/tariff", int(refusal))
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "select", "select_option", mode, option="backup")
    assert err.value.translation_key == reason
    assert mode in str(err.value)
    # Sent once, never retried; the entity shows the gateway's (unchanged) mode.
    assert len(gateway.writes) == writes + (0 if refusal == "offline" else 1)
    assert gateway.document("admin_lib_tariff")["tariff"]["storage_settings"]["mode"] == (
        "self-consumption"
    )
    if refusal != "offline":
        assert _state(hass, mode) == "self_consumption"
