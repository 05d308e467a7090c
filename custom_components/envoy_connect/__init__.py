"""Envoy Connect: Enphase gateways in Home Assistant; authentication that never silently dies.

Two modes share the domain, each in its own package: ``local`` (a gateway on
the network, keyed by its serial) and ``cloud`` (an Enlighten system, keyed
``cloud_<system_id>``, OAuth2 through application credentials).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from . import issues
from .cloud import async_setup_cloud_entry
from .const import is_cloud_entry_data
from .local import async_setup_local_entry
from .local.devices import reported_devices
from .migrate import async_migrate_entry

__all__ = ["async_migrate_entry"]

LOCAL_PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]
CLOUD_PLATFORMS: list[Platform] = [Platform.SENSOR]


def _platforms(entry: ConfigEntry[Any]) -> list[Platform]:
    return CLOUD_PLATFORMS if is_cloud_entry_data(entry.data) else LOCAL_PLATFORMS


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up a local gateway or a cloud system."""
    if is_cloud_entry_data(entry.data):
        await async_setup_cloud_entry(hass, entry)
    else:
        issues.async_remove_legacy(hass, entry)
        await async_setup_local_entry(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload platforms; HA detaches the entry's gateway session on unload."""
    return await hass.config_entries.async_unload_platforms(entry, _platforms(entry))


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ConfigEntry[Any], device: dr.DeviceEntry
) -> bool:
    """Let the user delete a part the gateway no longer reports (never while unknown)."""
    if is_cloud_entry_data(entry.data) or entry.state is not ConfigEntryState.LOADED:
        return False  # not loaded: what the gateway reports is not known
    coordinator = entry.runtime_data.coordinator
    if coordinator.data is None:
        return False
    return not device.identifiers & reported_devices(coordinator)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Take the entry's repair issues with it."""
    issues.async_remove_all(hass, entry)
