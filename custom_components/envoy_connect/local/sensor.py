"""Sensors of a local gateway, its parts, its token, and the batteries' energy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util
from pyenphase import EnvoyData
from pyenphase.const import SupportedFeatures

from ..api import TokenManager
from ..api.batteries import battery_powers
from ..const import DOMAIN
from ..quantities import ENERGY
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .counter import Change, HeldCounter
from .devices import GATEWAY
from .entity import EnvoyEntity, async_add_local_entities
from .sensor_description import EnvoySensorDescription, StateType
from .sensors_acb import ACB_SENSORS
from .sensors_parts import (
    GENERATOR_SENSORS,
    INVERTER_SENSORS,
    METER_SENSORS,
    STORAGE_SENSORS,
)
from .sensors_system import SYSTEM_SENSORS

_LOGGER = logging.getLogger(__name__)
#: (entry, change) pairs already warned about in this run; the rest goes to debug.
_WARNED: set[tuple[str, Change]] = set()

#: Longer than this between two polls, and the power in between is unknown: not counted.
MAX_INTEGRATION_GAP = timedelta(minutes=10)


def battery_power(data: EnvoyData) -> float | None:
    """All batteries' power in W, positive while discharging; None without batteries."""
    parts = battery_powers(data)
    if not parts:
        return None
    known = [p for p in parts if p is not None]
    return sum(known) if len(known) == len(parts) else None


@dataclass(frozen=True, kw_only=True)
class BatteryEnergyDescription(EnvoySensorDescription):
    """Energy into (charged) or out of (discharged) the batteries."""

    discharging: bool


BATTERY_ENERGY: tuple[BatteryEnergyDescription, ...] = tuple(
    BatteryEnergyDescription(
        key=f"battery_energy_{direction}",
        translation_key=f"battery_energy_{direction}",
        part=GATEWAY,
        record_fn=lambda d, _: battery_power(d),
        # Only where no storage CT measures it: then the CT's own counters serve.
        supported_fn=lambda caps: (
            bool(caps.features & (SupportedFeatures.ENCHARGE | SupportedFeatures.ACB))
            and "storage" not in caps.meters
        ),
        value_fn=lambda power: power,
        discharging=direction == "discharged",
        **ENERGY,
    )
    for direction in ("charged", "discharged")
)

TOKEN_EXPIRY = SensorEntityDescription(
    key="token_expiry",
    translation_key="token_expiry",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_local_entry(
    entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """The sensors the gateway's capabilities call for, and those of every part it reports."""
    coordinator = entry.runtime_data.coordinator
    async_add_local_entities(
        entry,
        async_add_entities,
        (
            *SYSTEM_SENSORS,
            *STORAGE_SENSORS,
            *ACB_SENSORS,
            *INVERTER_SENSORS,
            *METER_SENSORS,
            *GENERATOR_SENSORS,
            *BATTERY_ENERGY,
        ),
        _sensor,
    )
    if coordinator.gateway.uses_token_auth:
        serial = str(entry.unique_id)
        async_add_entities(
            [
                TokenExpirySensor(
                    coordinator,
                    TOKEN_EXPIRY,
                    serial=serial,
                    tokens=entry.runtime_data.tokens.manager,
                )
            ]
        )


def _sensor(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> SensorEntity:
    kind: type[EnvoySensor | BatteryEnergySensor] = EnvoySensor
    if isinstance(description, BatteryEnergyDescription):
        kind = BatteryEnergySensor
    elif description.counter:
        kind = CounterSensor
    return kind(coordinator, description, part_id=part_id, device_info=info)


class EnvoySensor(EnvoyEntity, SensorEntity):
    """A value the gateway reports about one part."""

    entity_description: EnvoySensorDescription

    @property
    def native_value(self) -> StateType:
        """Value from the part's latest record."""
        record = self.record
        return None if record is None else self.entity_description.value_fn(record)


class CounterSensor(EnvoySensor, RestoreSensor):
    """A lifetime counter: its highest reading until a drop proves to be a reset (``counter``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """No reading yet."""
        super().__init__(*args, **kwargs)
        self._counter = HeldCounter()

    async def async_added_to_hass(self) -> None:
        """Start from the highest reading kept before the restart."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if (
            last is not None
            and last.native_unit_of_measurement == self.native_unit_of_measurement
            and isinstance(last.native_value, int | float)
        ):
            self._counter.restore(last.native_value)

    @property
    def extra_restore_state_data(self) -> SensorExtraStoredData:
        """The highest reading, not the latest: an unknown reading must not erase it."""
        return SensorExtraStoredData(self._counter.highest, self.native_unit_of_measurement)

    @property
    def native_value(self) -> StateType:
        """The reading, or the highest one while a drop is not a proven reset."""
        value = super().native_value
        if not isinstance(value, int | float):
            return value
        shown, change = self._counter.read(value, dt_util.utcnow())
        if change is not None:
            # One warning per entry and kind: a gateway-wide glitch is one line, not dozens.
            key = (self.coordinator.config_entry.entry_id, change)
            log = _LOGGER.debug if key in _WARNED else _LOGGER.warning
            _WARNED.add(key)
            if change is Change.DROP:
                log("%s fell from %s to %s; %s is shown", self.entity_id, shown, value, shown)
            else:
                log("%s was reset: it counts from %s now", self.entity_id, value)
        return shown


class BatteryEnergySensor(EnvoyEntity, RestoreSensor):
    """Energy charged into or discharged from the batteries, integrated from their power.

    For sites without a storage CT, whose gateway reports no battery energy
    counter: a trapezoid Riemann sum of the batteries' power between polls,
    kept in Home Assistant's restored state, so the Energy dashboard can use
    it. A gap longer than ``MAX_INTEGRATION_GAP`` (an outage) is not guessed.
    """

    entity_description: BatteryEnergyDescription
    _attr_native_value: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start from zero until the restored total arrives."""
        super().__init__(*args, **kwargs)
        self._last: tuple[datetime, float] | None = None

    @property
    def available(self) -> bool:
        """A counter stays available; it simply does not grow while the gateway is away."""
        return self._attr_native_value is not None

    async def async_added_to_hass(self) -> None:
        """Continue from the restored total."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        restored = last.native_value if last is not None else None
        self._attr_native_value = float(restored) if isinstance(restored, (int, float)) else 0.0
        self._integrate()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._integrate()
        super()._handle_coordinator_update()

    def _integrate(self) -> None:
        power = self.record if self.coordinator.last_update_success else None
        if power is None or self._attr_native_value is None:
            self._last = None
            return
        flow = max(power, 0.0) if self.entity_description.discharging else max(-power, 0.0)
        now = dt_util.utcnow()
        if self._last is not None and timedelta(0) < now - self._last[0] <= MAX_INTEGRATION_GAP:
            hours = (now - self._last[0]).total_seconds() / 3600
            self._attr_native_value = round(
                self._attr_native_value + (self._last[1] + flow) / 2 * hours, 3
            )
        self._last = (now, flow)


class TokenExpirySensor(CoordinatorEntity[EnvoyCoordinator], SensorEntity):
    """When the current Envoy token expires: the one date that must never surprise."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: SensorEntityDescription,
        *,
        serial: str,
        tokens: TokenManager,
    ) -> None:
        """Read the expiry from the entry's token manager."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{serial}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, serial)})
        self._tokens = tokens

    @property
    def available(self) -> bool:
        """Known whether or not the gateway answers right now."""
        return self._tokens.token is not None

    @property
    def native_value(self) -> datetime | None:
        """Expiry of the token in use."""
        token = self._tokens.token
        return token.expires_at if token else None
