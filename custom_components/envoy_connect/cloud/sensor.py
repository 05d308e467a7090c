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
from homeassistant.const import EntityCategory
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import DOMAIN
from ..quantities import BATTERY_LEVEL, ENERGY, LIFETIME_ENERGY, PART_POWER, POWER
from . import CloudConfigEntry
from .coordinator import CloudCoordinator, CloudData

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
        value_fn=lambda d: d.summary.current_power,
        **POWER,
    ),
    CloudSensorDescription(
        key="energy_today",
        translation_key="daily_production",
        value_fn=lambda d: d.summary.energy_today,
        **ENERGY,
    ),
    CloudSensorDescription(
        key="energy_lifetime",
        translation_key="lifetime_production",
        value_fn=lambda d: d.lifetime_production,
        **LIFETIME_ENERGY,
    ),
    CloudSensorDescription(
        key="last_report",
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        # A new time every poll: a logbook line each time unless the user wants it.
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.summary.last_report_at,
    ),
    CloudSensorDescription(
        key="consumption_power",
        translation_key="current_power_consumption",
        value_fn=lambda d: d.consumption_power,
        exists_fn=lambda c: c.has_consumption,
        **POWER,
    ),
    CloudSensorDescription(
        key="consumption_energy",
        translation_key="cloud_consumption_energy",
        value_fn=lambda d: d.consumption_energy,
        exists_fn=lambda c: c.has_consumption,
        **ENERGY,
    ),
    CloudSensorDescription(
        key="battery_level",
        translation_key="battery_level",
        value_fn=lambda d: d.battery_soc,
        exists_fn=lambda c: c.has_battery,
        **BATTERY_LEVEL,
    ),
    CloudSensorDescription(
        key="battery_power",
        translation_key="battery_power",
        value_fn=lambda d: d.battery_power,
        exists_fn=lambda c: c.has_battery,
        **PART_POWER,
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
    entry: CloudConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
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
