"""Base entity: coordinator-backed, named by translation, tied to one device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import EnvoyCoordinator


class EnvoyEntity(CoordinatorEntity[EnvoyCoordinator]):
    """An entity of one device fed by the gateway's coordinator."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: EntityDescription,
        *,
        device_serial: str,
        device_info: DeviceInfo,
    ) -> None:
        """Unique id = device serial + description key: stable across host changes."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{device_serial}_{description.key}"
        self._attr_device_info = device_info
