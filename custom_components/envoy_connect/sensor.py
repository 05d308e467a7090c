"""Sensor platform: each mode creates its own sensors."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .cloud.sensor import async_setup_cloud_entry
from .const import is_cloud_entry_data
from .local.sensor import async_setup_local_entry

# Coordinator-based: each coordinator serialises its own requests.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry[Any], async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Sensors of a local gateway or of a cloud system."""
    if is_cloud_entry_data(entry.data):
        await async_setup_cloud_entry(entry, async_add_entities)
    else:
        await async_setup_local_entry(entry, async_add_entities)
