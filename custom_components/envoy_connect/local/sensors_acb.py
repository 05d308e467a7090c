"""Sensors of AC Batteries (ACB): totals on their own device, and each battery.

The totals come from ``/production.json``; per-battery state of charge, sleep
and temperature from ``/inventory.json``, which some firmware lacks (those
sensors are optional: made only once the gateway reports them).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from pyenphase import EnvoyData
from pyenphase.const import SupportedFeatures

from ..quantities import BATTERY_LEVEL, PART_POWER, STORED_ENERGY, TEMPERATURE
from .devices import ACB, ACB_BATTERY, GATEWAY
from .entity import aggregate, has
from .records import acb_report
from .sensor_description import DIAGNOSTIC, EnvoySensorDescription, enum, known, when

ACB_STATES = ["discharging", "idle", "charging", "full"]
ACB_CHARGE_STATES = ["charging", "discharging", "idle"]
ACB_SLEEP_STATES = ["awake", "going_to_sleep", "asleep", "waking"]


def _aggregate_sleep(inventory: dict[str, Any]) -> str | None:
    """One word for all AC Batteries; "mixed" when they disagree."""
    states = {str(acb.sleep_state) for acb in inventory.values()}
    for transient in ("going_to_sleep", "waking"):
        if transient in states:
            return transient
    return states.pop() if len(states) == 1 else "mixed"


def _acb(d: EnvoyData, sn: str) -> Any:
    return (d.acb_inventory or {}).get(sn)


ACB_SENSORS: tuple[EnvoySensorDescription, ...] = (
    EnvoySensorDescription(
        key="acb_power",
        translation_key="battery_power",
        part=ACB,
        record_fn=aggregate("acb_power"),
        value_fn=lambda p: p.power,
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="acb_soc",
        translation_key="battery_level",
        part=ACB,
        record_fn=aggregate("acb_power"),
        value_fn=lambda p: p.state_of_charge,
        **BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="acb_battery_state",
        translation_key="acb_battery_state",
        part=ACB,
        record_fn=aggregate("acb_power"),
        value_fn=lambda p: known(p.state, ACB_STATES),
        **enum(ACB_STATES),
    ),
    EnvoySensorDescription(
        key="acb_aggregate_sleep_state",
        translation_key="acb_sleep_state",
        part=ACB,
        record_fn=aggregate("acb_inventory"),
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=_aggregate_sleep,
        **enum([*ACB_SLEEP_STATES, "mixed"]),
    ),
    EnvoySensorDescription(
        key="acb_available_energy",
        translation_key="acb_available_energy",
        part=GATEWAY,
        record_fn=aggregate("acb_power"),
        supported_fn=has(SupportedFeatures.ACB),
        value_fn=lambda p: p.charge_wh,
        **STORED_ENERGY,
    ),
    EnvoySensorDescription(
        key="acb_battery_soc",
        translation_key="battery_level",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=lambda b: b.percent_full,
        **BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="acb_battery_power",
        translation_key="battery_power",
        part=ACB_BATTERY,
        record_fn=acb_report,
        value_fn=lambda b: b.last_report_watts,
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="acb_battery_max_reported",
        translation_key="max_reported",
        part=ACB_BATTERY,
        record_fn=acb_report,
        value_fn=lambda b: b.max_report_watts,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="acb_battery_temperature",
        translation_key="temperature",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=lambda b: b.max_cell_temp,
        **TEMPERATURE | {"entity_category": DIAGNOSTIC},
    ),
    EnvoySensorDescription(
        key="acb_battery_charge_status",
        translation_key="acb_battery_charge_status",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=lambda b: known(b.charge_status, ACB_CHARGE_STATES),
        **enum(ACB_CHARGE_STATES),
    ),
    EnvoySensorDescription(
        key="acb_battery_last_reported",
        translation_key="last_reported",
        part=ACB_BATTERY,
        record_fn=acb_report,
        value_fn=lambda b: when(b.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
    ),
    EnvoySensorDescription(
        key="acb_battery_sleep_soc_target",
        translation_key="acb_battery_sleep_soc_target",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=lambda b: (
            f"{b.sleep_min_soc}-{b.sleep_max_soc}"
            if b.sleep_min_soc is not None and b.sleep_max_soc is not None
            else None
        ),
        entity_category=DIAGNOSTIC,
    ),
    EnvoySensorDescription(
        key="acb_battery_sleep_state",
        translation_key="acb_sleep_state",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,  # needs /inventory.json, which some firmware lacks
        value_fn=lambda b: known(b.sleep_state, ACB_SLEEP_STATES),
        **enum(ACB_SLEEP_STATES),
    ),
)
