"""Site-wide sensors: production, consumption and net totals, and every CT meter, also per phase.

Which ones exist follows the capabilities pyenphase probed: consumption needs
a consumption meter, CT sensors the CT types the gateway has enabled, phase
sensors a meter configured for two or three phases (phase sensors start
disabled, like HA core's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import EntityCategory
from pyenphase import EnvoyData
from pyenphase.const import SupportedFeatures

from ..api import GatewayCapabilities
from ..quantities import (
    CURRENT,
    ENERGY,
    FREQUENCY,
    LIFETIME_ENERGY,
    POWER,
    POWER_FACTOR,
    VOLTAGE,
)
from .devices import GATEWAY
from .entity import has
from .sensor_description import COUNTER, EnvoySensorDescription

PHASES = ("L1", "L2", "L3")
#: Some firmware reports a daily total offset by 2^32 for a while: not a real value.
DAILY_ENERGY_LIMIT = 4_000_000_000

type Section = Callable[[EnvoyData], Any]
type PhaseSections = Callable[[EnvoyData], dict[str, Any] | None]


def _daily(value: int | None) -> int | None:
    return None if value is None or value > DAILY_ENERGY_LIMIT else value


def _phase_variants(
    base: EnvoySensorDescription, phases: Callable[[EnvoyData], dict[str, Any] | None]
) -> list[EnvoySensorDescription]:
    """The same sensor for each phase: own key, own name, disabled at first."""

    def variant(index: int, phase: str) -> EnvoySensorDescription:
        def record(data: EnvoyData, _part: str) -> Any:
            return (phases(data) or {}).get(phase)

        def supported(caps: GatewayCapabilities) -> bool:
            return base.supported_fn(caps) and caps.phases > max(1, index)

        return replace(
            base,
            key=f"{base.key}_l{index + 1}",
            translation_key=f"{base.translation_key}_phase",
            translation_placeholders={"phase": phase},
            entity_registry_enabled_default=False,
            record_fn=record,
            supported_fn=supported,
            # Only where the gateway reports this phase: a split or three-phase meter
            # does not mean production.json has per-phase lines (7.6.175, 7.3.517).
            optional=True,
        )

    return [variant(index, phase) for index, phase in enumerate(PHASES)]


def _totals(
    kind: str, section: Section, phases: PhaseSections, *features: SupportedFeatures
) -> list[EnvoySensorDescription]:
    """Power, today, last seven days and lifetime of production or consumption, and per phase."""
    common: dict[str, Any] = {
        "part": GATEWAY,
        "record_fn": lambda d, _: section(d),
        "supported_fn": has(*features),
    }
    base = [
        EnvoySensorDescription(
            key=kind,
            translation_key=f"current_power_{kind}",
            value_fn=lambda s: s.watts_now,
            **common | POWER,
        ),
        EnvoySensorDescription(
            key=f"daily_{kind}",
            translation_key=f"daily_{kind}",
            value_fn=lambda s: _daily(s.watt_hours_today),
            **common | ENERGY,
        ),
        EnvoySensorDescription(
            key=f"seven_days_{kind}",
            translation_key=f"seven_days_{kind}",
            value_fn=lambda s: s.watt_hours_last_7_days,
            # A moving window, not a counter: no state class.
            **common | ENERGY | {"state_class": None},
        ),
        EnvoySensorDescription(
            key=f"lifetime_{kind}",
            translation_key=f"lifetime_{kind}",
            value_fn=lambda s: s.watt_hours_lifetime,
            **common | LIFETIME_ENERGY | COUNTER,
        ),
    ]
    return base + [v for d in base for v in _phase_variants(d, phases)]


def _balanced_net() -> list[EnvoySensorDescription]:
    """The gateway's own import minus export, from its production report."""
    common: dict[str, Any] = {
        "part": GATEWAY,
        "record_fn": lambda d, _: d.system_net_consumption,
        "supported_fn": has(SupportedFeatures.NET_CONSUMPTION),
        "entity_registry_enabled_default": False,
    }
    base = [
        EnvoySensorDescription(
            key="balanced_net_consumption",
            translation_key="balanced_net_consumption",
            value_fn=lambda s: s.watts_now,
            **common | POWER,
        ),
        EnvoySensorDescription(
            key="lifetime_balanced_net_consumption",
            translation_key="lifetime_balanced_net_consumption",
            value_fn=lambda s: s.watt_hours_lifetime,
            # Goes up while importing and down while exporting.
            **common | LIFETIME_ENERGY | {"state_class": SensorStateClass.TOTAL},
        ),
    ]
    return base + [
        v for d in base for v in _phase_variants(d, lambda d: d.system_net_consumption_phases)
    ]


#: Keys of the CT measurements; net-consumption and storage CTs keep HA core's names.
_CT_KEYS: dict[str, dict[str, str]] = {
    "net-consumption": {
        "energy_delivered": "lifetime_net_consumption",
        "energy_received": "lifetime_net_production",
        "power": "net_consumption",
        "frequency": "frequency",
        "voltage": "voltage",
        "current": "net_ct_current",
        "power_factor": "net_ct_powerfactor",
        "metering_status": "net_consumption_ct_metering_status",
        "status_flags": "net_consumption_ct_status_flags",
    },
    "storage": {
        "energy_delivered": "lifetime_battery_discharged",
        "energy_received": "lifetime_battery_charged",
        "power": "battery_discharge",
        "voltage": "storage_voltage",
    },
}
METERING_STATUS = ["normal", "not_metering", "check_wiring"]


def _ct_key(ct: str, measurement: str) -> str:
    default = f"{ct.replace('-', '_')}_ct_{measurement.replace('power_factor', 'powerfactor')}"
    return _CT_KEYS.get(ct, {}).get(measurement, default)


def _ct(ct: str) -> list[EnvoySensorDescription]:
    """Every measurement of one CT type, in total and per phase."""
    name = ct.replace("-", "_")
    looks: list[tuple[str, dict[str, Any], Callable[[Any], Any], bool]] = [
        ("energy_delivered", LIFETIME_ENERGY | COUNTER, lambda m: m.energy_delivered, True),
        ("energy_received", LIFETIME_ENERGY | COUNTER, lambda m: m.energy_received, True),
        ("power", POWER, lambda m: m.active_power, True),
        ("frequency", FREQUENCY, lambda m: m.frequency, False),
        ("voltage", VOLTAGE, lambda m: m.voltage, False),
        ("current", CURRENT, lambda m: m.current, False),
        ("power_factor", POWER_FACTOR, lambda m: m.power_factor, False),
        (
            "metering_status",
            {
                "device_class": SensorDeviceClass.ENUM,
                "options": METERING_STATUS,
                "entity_category": EntityCategory.DIAGNOSTIC,
            },
            lambda m: m.metering_status and str(m.metering_status).replace("-", "_"),
            False,
        ),
        (
            "status_flags",
            {"entity_category": EntityCategory.DIAGNOSTIC},
            lambda m: len(m.status_flags or []),
            False,
        ),
    ]
    base = [
        EnvoySensorDescription(
            key=_ct_key(ct, measurement),
            translation_key=f"{name}_ct_{measurement}",
            part=GATEWAY,
            record_fn=lambda d, _: d.ctmeters.get(ct),
            supported_fn=lambda caps: ct in caps.meters,
            value_fn=value,
            entity_registry_enabled_default=enabled,
            **look,
        )
        for measurement, look, value, enabled in looks
    ]
    return base + [v for d in base for v in _phase_variants(d, lambda d: d.ctmeters_phases.get(ct))]


CT_TYPES = (
    "production",
    "net-consumption",
    "total-consumption",
    "storage",
    "backfeed",
    "load",
    "evse",
    "pv3p",
)

SYSTEM_SENSORS: tuple[EnvoySensorDescription, ...] = (
    *_totals(
        "production",
        lambda d: d.system_production,
        lambda d: d.system_production_phases,
        SupportedFeatures.PRODUCTION,
    ),
    *_totals(
        "consumption",
        lambda d: d.system_consumption,
        lambda d: d.system_consumption_phases,
        SupportedFeatures.TOTAL_CONSUMPTION,
        SupportedFeatures.NET_CONSUMPTION,
    ),
    *_balanced_net(),
    *(sensor for ct in CT_TYPES for sensor in _ct(ct)),
)
