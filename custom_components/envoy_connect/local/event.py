"""The gateway's firmware updates as events: for automations, the logbook and the history.

Enphase pushes firmware overnight; the device page shows the new version, and
this event entity records when it changed and from which version, so "tell me
when Enphase updates my gateway" is an ordinary automation.
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import DOMAIN
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator, FirmwareChange

FIRMWARE_UPDATED = "firmware_updated"

FIRMWARE_EVENT = EventEntityDescription(
    key="firmware_update",
    translation_key="firmware_update",
    entity_category=EntityCategory.DIAGNOSTIC,
    event_types=[FIRMWARE_UPDATED],
)


async def async_setup_local_entry(
    entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """One firmware event entity per gateway."""
    serial = str(entry.unique_id)
    async_add_entities(
        [
            FirmwareUpdateEvent(
                entry.runtime_data.coordinator,
                FIRMWARE_EVENT,
                device_serial=serial,
                device_info=DeviceInfo(identifiers={(DOMAIN, serial)}),
            )
        ]
    )


class FirmwareUpdateEvent(CoordinatorEntity[EnvoyCoordinator], EventEntity):
    """Fires ``firmware_updated`` with the old and the new version."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: EventEntityDescription,
        *,
        device_serial: str,
        device_info: DeviceInfo,
    ) -> None:
        """Only changes seen after the entity was created are new."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{device_serial}_{description.key}"
        self._attr_device_info = device_info
        self._seen: FirmwareChange | None = coordinator.firmware_change

    @property
    def available(self) -> bool:
        """An event entity stays available; its last event is history, not a reading."""
        return True

    @callback
    def _handle_coordinator_update(self) -> None:
        change = self.coordinator.firmware_change
        if change is not None and change is not self._seen:
            self._seen = change
            self._trigger_event(
                FIRMWARE_UPDATED, {"previous_version": change.old, "new_version": change.new}
            )
            self.async_write_ha_state()
