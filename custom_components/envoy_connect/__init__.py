"""Envoy Connect: Enphase gateways in Home Assistant; authentication that never silently dies.

Two modes share the domain, each in its own package: ``local`` (a gateway on
the network, keyed by its serial) and ``cloud`` (an Enlighten system, keyed
``cloud_<system_id>``, OAuth2 through application credentials).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from . import issues
from .cloud import async_setup_cloud_entry
from .const import DOMAIN, is_cloud_entry_data
from .local import async_setup_local_entry
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
    """Let the user delete an inverter or battery the gateway no longer reports."""
    runtime = getattr(entry, "runtime_data", None)
    if is_cloud_entry_data(entry.data) or runtime is None:
        return False
    data = runtime.coordinator.data
    reported = {str(entry.unique_id), *data.inverters, *(data.encharge_power or {})}
    ours = {value for domain, value in device.identifiers if domain == DOMAIN}
    return not ours & reported


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Take the entry's repair issues with it."""
    issues.async_remove_all(hass, entry)
