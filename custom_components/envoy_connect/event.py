"""Event platform: the local gateway's firmware updates (cloud entries have none)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .local import LocalConfigEntry
from .local.event import async_setup_local_entry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Forwarded for local entries only."""
    await async_setup_local_entry(entry, async_add_entities)
