"""Sensors of the parts of a site: inverters, batteries, Enpower, meters, generator.

Also the battery totals the gateway itself reports (on the gateway device).
Long per-inverter details start disabled, as in HA core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfEnergy, UnitOfTemperature, UnitOfTime
from pyenphase import EnvoyData
from pyenphase.const import SupportedFeatures

from ..quantities import (
    APPARENT_POWER,
    BATTERY_LEVEL,
    CURRENT,
    ENERGY,
    FREQUENCY,
    PART_POWER,
    PERCENT,
    STORED_ENERGY,
    TEMPERATURE,
    VOLTAGE,
)
from .devices import C6CC, COLLAR, ENCHARGE, ENPOWER, GATEWAY, GENERATOR, INVERTER
from .entity import aggregate, has, has_all
from .sensor_description import COUNTER, DIAGNOSTIC, EnvoySensorDescription, when


def _inverter(d: EnvoyData, sn: str) -> Any:
    return d.inverters.get(sn)


def _detailed(
    key: str, value: Callable[[Any], Any], look: dict[str, Any]
) -> EnvoySensorDescription:
    """A detail only ``/ivp/pdm/device_data`` reports; disabled until wanted."""
    return EnvoySensorDescription(
        key=key,
        translation_key=key,
        part=INVERTER,
        record_fn=_inverter,
        supported_fn=has(SupportedFeatures.DETAILED_INVERTERS),
        value_fn=value,
        entity_registry_enabled_default=False,
        **look,
    )


INVERTER_SENSORS: tuple[EnvoySensorDescription, ...] = (
    EnvoySensorDescription(
        key="inverter_power",
        translation_key="inverter_power",
        part=INVERTER,
        record_fn=_inverter,
        value_fn=lambda i: i.last_report_watts,
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="max_reported",
        translation_key="max_reported",
        part=INVERTER,
        record_fn=_inverter,
        value_fn=lambda i: i.max_report_watts,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="last_reported",
        translation_key="last_reported",
        part=INVERTER,
        record_fn=_inverter,
        value_fn=lambda i: when(i.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _detailed("dc_voltage", lambda i: i.dc_voltage, VOLTAGE),
    _detailed("dc_current", lambda i: i.dc_current, CURRENT),
    _detailed("ac_voltage", lambda i: i.ac_voltage, VOLTAGE),
    _detailed("ac_current", lambda i: i.ac_current, CURRENT),
    _detailed("ac_frequency", lambda i: i.ac_frequency, FREQUENCY),
    _detailed(
        "temperature", lambda i: i.temperature, TEMPERATURE | {"entity_category": DIAGNOSTIC}
    ),
    _detailed("lifetime_energy", lambda i: i.lifetime_energy, ENERGY | COUNTER),
    _detailed("energy_today", lambda i: i.energy_today, ENERGY),
    _detailed(
        "energy_produced",
        lambda i: i.energy_produced,
        {
            "native_unit_of_measurement": UnitOfEnergy.MILLIWATT_HOUR,
            "suggested_display_precision": 0,
            "device_class": SensorDeviceClass.ENERGY,
            "state_class": SensorStateClass.TOTAL,
        },
    ),
    _detailed(
        "last_report_duration",
        lambda i: i.last_report_duration,
        {
            "native_unit_of_measurement": UnitOfTime.SECONDS,
            "device_class": SensorDeviceClass.DURATION,
            "entity_category": DIAGNOSTIC,
        },
    ),
)


def _encharge_inventory(d: EnvoyData, sn: str) -> Any:
    return (d.encharge_inventory or {}).get(sn)


def _encharge_power(d: EnvoyData, sn: str) -> Any:
    return (d.encharge_power or {}).get(sn)


_ENCHARGE_AGG: dict[str, Any] = {
    "part": GATEWAY,
    "record_fn": aggregate("encharge_aggregate"),
    "supported_fn": has(SupportedFeatures.ENCHARGE),
}
_BATTERY_AGG: dict[str, Any] = {
    "part": GATEWAY,
    "record_fn": aggregate("battery_aggregate"),
    # IQ Batteries' controller reports the sum, AC Batteries included.
    "supported_fn": has_all(SupportedFeatures.ACB, SupportedFeatures.ENCHARGE),
}
_CAPACITY = STORED_ENERGY | {"state_class": None}

STORAGE_SENSORS: tuple[EnvoySensorDescription, ...] = (
    # -- IQ Batteries (Encharge), on the gateway in total and on each battery --------------
    EnvoySensorDescription(
        key="battery_level",
        translation_key="battery_level",
        value_fn=lambda a: a.state_of_charge,
        **_ENCHARGE_AGG | BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="reserve_soc",
        translation_key="reserve_soc",
        value_fn=lambda a: a.reserve_state_of_charge,
        **_ENCHARGE_AGG | PERCENT,
    ),
    EnvoySensorDescription(
        key="available_energy",
        translation_key="available_energy",
        value_fn=lambda a: a.available_energy,
        **_ENCHARGE_AGG | STORED_ENERGY,
    ),
    EnvoySensorDescription(
        key="reserve_energy",
        translation_key="reserve_energy",
        value_fn=lambda a: a.backup_reserve,
        **_ENCHARGE_AGG | STORED_ENERGY,
    ),
    EnvoySensorDescription(
        key="max_capacity",
        translation_key="max_capacity",
        value_fn=lambda a: a.max_available_capacity,
        **_ENCHARGE_AGG | _CAPACITY,
    ),
    EnvoySensorDescription(
        key="soc",
        translation_key="battery_level",
        part=ENCHARGE,
        record_fn=_encharge_power,
        value_fn=lambda p: p.soc,
        **BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="real_power_mw",
        translation_key="battery_power",
        part=ENCHARGE,
        record_fn=_encharge_power,
        value_fn=lambda p: _milli(p.real_power_mw),
        **PART_POWER,
    ),
    EnvoySensorDescription(
        key="apparent_power_mva",
        translation_key="apparent_power",
        part=ENCHARGE,
        record_fn=_encharge_power,
        value_fn=lambda p: _milli(p.apparent_power_mva),
        **APPARENT_POWER,
    ),
    EnvoySensorDescription(
        key="temperature",
        translation_key="temperature",
        part=ENCHARGE,
        record_fn=_encharge_inventory,
        value_fn=lambda b: b.temperature,
        **TEMPERATURE,
    ),
    EnvoySensorDescription(
        key="last_reported",
        translation_key="last_reported",
        part=ENCHARGE,
        record_fn=_encharge_inventory,
        value_fn=lambda b: when(b.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
    ),
    # -- Enpower / IQ System Controller -------------------------------------------------------
    EnvoySensorDescription(
        key="temperature",
        translation_key="temperature",
        part=ENPOWER,
        record_fn=aggregate("enpower"),
        value_fn=lambda e: e.temperature,
        **TEMPERATURE | {"native_unit_of_measurement": UnitOfTemperature.FAHRENHEIT},
    ),
    EnvoySensorDescription(
        key="last_reported",
        translation_key="last_reported",
        part=ENPOWER,
        record_fn=aggregate("enpower"),
        value_fn=lambda e: when(e.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
    ),
    # -- all batteries together (IQ Batteries and AC Batteries) --------------------------------
    EnvoySensorDescription(
        key="aggregated_soc",
        translation_key="aggregated_soc",
        value_fn=lambda a: a.state_of_charge,
        **_BATTERY_AGG | BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="aggregated_available_energy",
        translation_key="aggregated_available_energy",
        value_fn=lambda a: a.available_energy,
        **_BATTERY_AGG | STORED_ENERGY,
    ),
    EnvoySensorDescription(
        key="aggregated_max_battery_capacity",
        translation_key="aggregated_max_battery_capacity",
        value_fn=lambda a: a.max_available_capacity,
        **_BATTERY_AGG | _CAPACITY,
    ),
)

#: The collar's raw admin states, in the words the grid status uses.
COLLAR_ADMIN_STATES = {"ENCMN_MDE_ON_GRID": "on_grid", "ENCMN_MDE_OFF_GRID": "off_grid"}

METER_SENSORS: tuple[EnvoySensorDescription, ...] = (
    EnvoySensorDescription(
        key="temperature",
        translation_key="temperature",
        part=COLLAR,
        record_fn=aggregate("collar"),
        value_fn=lambda c: c.temperature,
        **TEMPERATURE,
    ),
    EnvoySensorDescription(
        key="last_reported",
        translation_key="last_reported",
        part=COLLAR,
        record_fn=aggregate("collar"),
        value_fn=lambda c: when(c.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
    ),
    EnvoySensorDescription(
        key="grid_state",
        translation_key="grid_state",
        part=COLLAR,
        record_fn=aggregate("collar"),
        value_fn=lambda c: c.grid_state,
    ),
    EnvoySensorDescription(
        key="admin_state_str",
        translation_key="admin_state",
        part=COLLAR,
        record_fn=aggregate("collar"),
        value_fn=lambda c: COLLAR_ADMIN_STATES.get(c.admin_state_str, c.admin_state_str),
    ),
    EnvoySensorDescription(
        key="mid_state",
        translation_key="mid_state",
        part=COLLAR,
        record_fn=aggregate("collar"),
        value_fn=lambda c: c.mid_state,
    ),
    EnvoySensorDescription(
        key="last_reported",
        translation_key="last_reported",
        part=C6CC,
        record_fn=aggregate("c6cc"),
        value_fn=lambda c: when(c.last_report_date),
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=DIAGNOSTIC,
    ),
)


def _milli(value: float | None) -> int | None:
    """Milliwatts (or milli-VA) to whole watts (or VA); unknown stays unknown."""
    return None if value is None else round(value / 1000)


def _soc_setting(value: int | None) -> int | None:
    """The generator reports -1 for a threshold that is not in use."""
    return value if value is not None and value >= 0 else None


#: Beyond HA core: the thresholds a standby generator currently works to.
GENERATOR_SENSORS: tuple[EnvoySensorDescription, ...] = (
    EnvoySensorDescription(
        key="generator_start_soc",
        translation_key="generator_start_soc",
        part=GENERATOR,
        record_fn=aggregate("generator"),
        optional=True,  # /ivp/ensemble/generator: not on every gateway with gen_config
        value_fn=lambda g: _soc_setting(g.start_soc),
        **PERCENT,
    ),
    EnvoySensorDescription(
        key="generator_stop_soc",
        translation_key="generator_stop_soc",
        part=GENERATOR,
        record_fn=aggregate("generator"),
        optional=True,  # /ivp/ensemble/generator: not on every gateway with gen_config
        value_fn=lambda g: _soc_setting(g.stop_soc),
        **PERCENT,
    ),
)
