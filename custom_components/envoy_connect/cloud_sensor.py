"""Sensors of an Enlighten cloud system: one device per system.

Unique ids and the device identifier start with ``cloud_<system_id>``, so a
local entry for the same site (keyed by the gateway serial) never collides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import CloudConfigEntry
from .cloud_coordinator import CloudCoordinator, CloudData
from .const import DOMAIN

type CloudValue = str | int | float | datetime | None

#: Statuses the API documents; anything else shows as "other".
STATUSES = [
    "normal",
    "comm",
    "power",
    "meter",
    "meter_issue",
    "micro",
    "battery",
    "storage_idle",
    "enpower",
    "encharge",
    "encharge_issue",
    "retired",
    "other",
]


@dataclass(frozen=True, kw_only=True)
class CloudSensorDescription(SensorEntityDescription):
    """A value of the cloud data; ``exists_fn`` decides whether the entity is created."""

    value_fn: Callable[[CloudData], CloudValue]
    exists_fn: Callable[[CloudCoordinator], bool] = lambda _: True


def _status(data: CloudData) -> str | None:
    status = data.summary.status
    if status is None:
        return None
    return status if status in STATUSES else "other"


CLOUD_SENSORS: tuple[CloudSensorDescription, ...] = (
    CloudSensorDescription(
        key="status",
        translation_key="cloud_status",
        device_class=SensorDeviceClass.ENUM,
        options=STATUSES,
        value_fn=_status,
    ),
    CloudSensorDescription(
        key="current_power",
        translation_key="current_power_production",
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.summary.current_power,
    ),
    CloudSensorDescription(
        key="energy_today",
        translation_key="daily_energy_production",
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda d: d.summary.energy_today,
    ),
    CloudSensorDescription(
        key="energy_lifetime",
        translation_key="lifetime_energy_production",
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.MEGA_WATT_HOUR,
        suggested_display_precision=3,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda d: d.summary.energy_lifetime,
    ),
    CloudSensorDescription(
        key="last_report",
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: d.summary.last_report_at,
    ),
    CloudSensorDescription(
        key="consumption_power",
        translation_key="current_power_consumption",
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.consumption_power,
        exists_fn=lambda c: c.has_consumption,
    ),
    CloudSensorDescription(
        key="consumption_energy",
        translation_key="cloud_consumption_energy",
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda d: d.consumption_energy,
        exists_fn=lambda c: c.has_consumption,
    ),
    CloudSensorDescription(
        key="battery_level",
        translation_key="battery_level",
        native_unit_of_measurement=PERCENTAGE,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.battery_soc,
        exists_fn=lambda c: c.has_battery,
    ),
    CloudSensorDescription(
        key="battery_power",
        translation_key="battery_power",
        native_unit_of_measurement=UnitOfPower.WATT,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.battery_power,
        exists_fn=lambda c: c.has_battery,
    ),
    CloudSensorDescription(
        key="requests_left",
        translation_key="requests_left",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.requests_left,
        exists_fn=lambda c: c.budget.plan.per_month is not None,
    ),
)


async def async_setup_cloud_entry(
    hass: HomeAssistant, entry: CloudConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Create the sensors this system and plan support."""
    coordinator = entry.runtime_data.coordinator
    ident = f"cloud_{coordinator.system_id}"
    device = DeviceInfo(
        identifiers={(DOMAIN, ident)},
        name=entry.title,
        manufacturer="Enphase",
        model="Enlighten system",
        entry_type=DeviceEntryType.SERVICE,
        configuration_url="https://enlighten.enphaseenergy.com/",
    )
    async_add_entities(
        CloudSensor(coordinator, description, ident, device)
        for description in CLOUD_SENSORS
        if description.exists_fn(coordinator)
    )


class CloudSensor(CoordinatorEntity[CloudCoordinator], SensorEntity):
    """A value of the cloud system."""

    _attr_has_entity_name = True
    entity_description: CloudSensorDescription

    def __init__(
        self,
        coordinator: CloudCoordinator,
        description: CloudSensorDescription,
        ident: str,
        device: DeviceInfo,
    ) -> None:
        """Unique id = ``cloud_<system_id>_<key>``."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{ident}_{description.key}"
        self._attr_device_info = device

    @property
    def native_value(self) -> CloudValue:
        """Value from the latest data."""
        return self.entity_description.value_fn(self.coordinator.data)
