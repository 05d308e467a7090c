"""Sensors of a local gateway: its totals, one device per micro-inverter and per IQ Battery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import (
    EntityCategory,
)
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util
from pyenphase import EnvoyData
from pyenphase.models.system_consumption import EnvoySystemConsumption
from pyenphase.models.system_production import EnvoySystemProduction

from ..api import TokenManager
from ..const import DOMAIN
from ..quantities import (
    BATTERY_LEVEL,
    ENERGY,
    LIFETIME_ENERGY,
    PART_POWER,
    POWER,
    STORED_ENERGY,
)
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .entity import EnvoyEntity

type StateType = int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class EnvoySensorDescription(SensorEntityDescription):
    """A sensor of the gateway device, read from the whole EnvoyData."""

    value_fn: Callable[[EnvoyData], StateType]
    exists_fn: Callable[[EnvoyData], bool]


@dataclass(frozen=True, kw_only=True)
class EnvoyPartDescription(SensorEntityDescription):
    """A sensor of one part (inverter, battery), read from that part's record."""

    value_fn: Callable[[Any], StateType]


def _energy(
    key: str,
    fn: Callable[[EnvoyData], StateType],
    exists: Callable[[EnvoyData], bool],
    *,
    increasing: bool = True,
    lifetime: bool = False,
) -> EnvoySensorDescription:
    look = LIFETIME_ENERGY if lifetime else ENERGY
    if not increasing:
        look = look | {"state_class": None}
    return EnvoySensorDescription(
        key=key, translation_key=key, value_fn=fn, exists_fn=exists, **look
    )


def _power(
    key: str, fn: Callable[[EnvoyData], StateType], exists: Callable[[EnvoyData], bool]
) -> EnvoySensorDescription:
    return EnvoySensorDescription(
        key=key, translation_key=key, value_fn=fn, exists_fn=exists, **POWER
    )


def _totals(
    kind: str,
    section: Callable[[EnvoyData], EnvoySystemProduction | EnvoySystemConsumption | None],
) -> tuple[EnvoySensorDescription, ...]:
    """Power, today, last seven days and lifetime of one section (production, consumption).

    The value functions tolerate the section going missing later (a gateway
    reboot), since entities are created once while it was present.
    """

    def field(name: str) -> Callable[[EnvoyData], StateType]:
        return lambda d: None if (s := section(d)) is None else getattr(s, name)

    def exists(d: EnvoyData) -> bool:
        return section(d) is not None

    return (
        _power(f"current_power_{kind}", field("watts_now"), exists),
        _energy(f"daily_energy_{kind}", field("watt_hours_today"), exists),
        _energy(
            f"seven_days_energy_{kind}", field("watt_hours_last_7_days"), exists, increasing=False
        ),
        _energy(
            f"lifetime_energy_{kind}",
            field("watt_hours_lifetime"),
            exists,
            lifetime=True,
        ),
    )


def _has_net_ct(d: EnvoyData) -> bool:
    return (
        d.ctmeter_consumption is not None
        and d.ctmeter_consumption.measurement_type == "net-consumption"
    )


GATEWAY_SENSORS: tuple[EnvoySensorDescription, ...] = (
    *_totals("production", lambda d: d.system_production),
    *_totals("consumption", lambda d: d.system_consumption),
    _power(
        "net_power_consumption",
        lambda d: d.system_net_consumption.watts_now if d.system_net_consumption else None,
        lambda d: d.system_net_consumption is not None,
    ),
    _energy(
        "lifetime_grid_import",
        lambda d: d.ctmeter_consumption.energy_delivered if d.ctmeter_consumption else None,
        _has_net_ct,
        lifetime=True,
    ),
    _energy(
        "lifetime_grid_export",
        lambda d: d.ctmeter_consumption.energy_received if d.ctmeter_consumption else None,
        _has_net_ct,
        lifetime=True,
    ),
    EnvoySensorDescription(
        key="battery_level",
        translation_key="battery_level",
        value_fn=lambda d: d.encharge_aggregate.state_of_charge if d.encharge_aggregate else None,
        exists_fn=lambda d: d.encharge_aggregate is not None,
        **BATTERY_LEVEL,
    ),
    EnvoySensorDescription(
        key="available_battery_energy",
        translation_key="available_battery_energy",
        value_fn=lambda d: d.encharge_aggregate.available_energy if d.encharge_aggregate else None,
        exists_fn=lambda d: d.encharge_aggregate is not None,
        **STORED_ENERGY,
    ),
)

INVERTER_SENSORS: tuple[EnvoyPartDescription, ...] = (
    EnvoyPartDescription(
        key="inverter_power",
        translation_key="inverter_power",
        value_fn=lambda inv: inv.last_report_watts,
        **PART_POWER,
    ),
    EnvoyPartDescription(
        key="last_reported",
        translation_key="last_reported",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # One per micro-inverter: useful when debugging one, noise otherwise.
        entity_registry_enabled_default=False,
        value_fn=lambda inv: dt_util.utc_from_timestamp(inv.last_report_date),
    ),
)

BATTERY_SENSORS: tuple[EnvoyPartDescription, ...] = (
    EnvoyPartDescription(
        key="battery_level",
        translation_key="battery_level",
        value_fn=lambda power: power.soc,
        **BATTERY_LEVEL,
    ),
    EnvoyPartDescription(
        key="battery_power",
        translation_key="battery_power",
        value_fn=lambda power: round(power.real_power_mw / 1000),
        **PART_POWER,
    ),
)

TOKEN_EXPIRY = SensorEntityDescription(
    key="token_expiry",
    translation_key="token_expiry",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)


def _gateway_descriptions(coordinator: EnvoyCoordinator) -> list[EnvoySensorDescription]:
    """The gateway sensors this firmware and hardware have data for."""
    return [d for d in GATEWAY_SENSORS if d.exists_fn(coordinator.data)]


async def async_setup_local_entry(
    entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Create the sensors the gateway has data for, and add parts as they appear."""
    coordinator = entry.runtime_data.coordinator
    serial = str(entry.unique_id)
    gateway_info = DeviceInfo(identifiers={(DOMAIN, serial)})
    gateway_sensors: list[SensorEntity] = [
        EnvoyGatewaySensor(coordinator, d, device_serial=serial, device_info=gateway_info)
        for d in _gateway_descriptions(coordinator)
    ]
    if coordinator.gateway.uses_token_auth:
        gateway_sensors.append(
            TokenExpirySensor(
                coordinator,
                TOKEN_EXPIRY,
                device_serial=serial,
                device_info=gateway_info,
                tokens=entry.runtime_data.tokens.manager,
            )
        )
    async_add_entities(gateway_sensors)

    known: set[str] = set()
    parent = entry.runtime_data.gateway_device_id

    @callback
    def add_new_parts() -> None:
        new: list[SensorEntity] = []
        for inverter in coordinator.data.inverters:
            if (key := f"inverter:{inverter}") not in known:
                known.add(key)
                info = DeviceInfo(
                    identifiers={(DOMAIN, inverter)},
                    name=f"Inverter {inverter}",
                    manufacturer="Enphase",
                    model="Micro-inverter",
                    serial_number=inverter,
                    via_device_id=parent,
                )
                new.extend(
                    EnvoyInverterSensor(coordinator, d, device_serial=inverter, device_info=info)
                    for d in INVERTER_SENSORS
                )
        inventory = coordinator.data.encharge_inventory or {}
        for battery in coordinator.data.encharge_power or {}:
            if (key := f"battery:{battery}") not in known:
                known.add(key)
                part = inventory.get(battery)
                info = DeviceInfo(
                    identifiers={(DOMAIN, battery)},
                    name=f"IQ Battery {battery}",
                    manufacturer="Enphase",
                    model="IQ Battery",
                    model_id=part.part_number if part else None,
                    sw_version=part.firmware_version if part else None,
                    serial_number=battery,
                    via_device_id=parent,
                )
                new.extend(
                    EnvoyBatterySensor(coordinator, d, device_serial=battery, device_info=info)
                    for d in BATTERY_SENSORS
                )
        if new:
            async_add_entities(new)

    add_new_parts()
    entry.async_on_unload(coordinator.async_add_listener(add_new_parts))


class EnvoyGatewaySensor(EnvoyEntity, SensorEntity):
    """A total reported by the gateway."""

    entity_description: EnvoySensorDescription

    @property
    def native_value(self) -> StateType:
        """Value from the latest data."""
        return self.entity_description.value_fn(self.coordinator.data)


class TokenExpirySensor(EnvoyEntity, SensorEntity):
    """When the current Envoy token expires: the one date that must never surprise."""

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: SensorEntityDescription,
        *,
        device_serial: str,
        device_info: DeviceInfo,
        tokens: TokenManager,
    ) -> None:
        """Read the expiry from the entry's token manager."""
        super().__init__(
            coordinator, description, device_serial=device_serial, device_info=device_info
        )
        self._tokens = tokens

    @property
    def native_value(self) -> datetime | None:
        """Expiry of the token in use."""
        token = self._tokens.token
        return token.expires_at if token else None


class _PartSensor(EnvoyEntity, SensorEntity):
    """A sensor of one inverter or battery, unavailable while the part is missing."""

    entity_description: EnvoyPartDescription

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: EnvoyPartDescription,
        *,
        device_serial: str,
        device_info: DeviceInfo,
    ) -> None:
        super().__init__(
            coordinator, description, device_serial=device_serial, device_info=device_info
        )
        self._serial = device_serial

    def _record(self) -> Any:
        raise NotImplementedError

    @property
    def available(self) -> bool:
        """Available while the gateway reports this part."""
        return super().available and self._record() is not None

    @property
    def native_value(self) -> StateType:
        """Value from the part's record."""
        record = self._record()
        return None if record is None else self.entity_description.value_fn(record)


class EnvoyInverterSensor(_PartSensor):
    """A micro-inverter value."""

    def _record(self) -> Any:
        return self.coordinator.data.inverters.get(self._serial)


class EnvoyBatterySensor(_PartSensor):
    """An IQ Battery value."""

    def _record(self) -> Any:
        return (self.coordinator.data.encharge_power or {}).get(self._serial)
