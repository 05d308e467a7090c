"""Envoy Connect: Enphase gateways in Home Assistant; authentication that never silently dies."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from . import issues
from .const import DOMAIN
from .coordinator import EnvoyCoordinator
from .session import build_gateway

PLATFORMS: list[Platform] = [Platform.SENSOR]


@dataclass(slots=True)
class EnvoyRuntimeData:
    """What a loaded entry holds."""

    coordinator: EnvoyCoordinator
    gateway_device_id: str


type EnvoyConfigEntry = ConfigEntry[EnvoyRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: EnvoyConfigEntry) -> bool:
    """Connect to the gateway and start polling."""
    gateway = build_gateway(hass, entry.data, serial=entry.unique_id, dedicated_session=True)
    coordinator = EnvoyCoordinator(hass, entry, gateway)
    await coordinator.async_config_entry_first_refresh()

    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(entry.unique_id))},
        connections={(dr.CONNECTION_NETWORK_MAC, gateway.mac)} if gateway.mac else set(),
        manufacturer="Enphase",
        model=gateway.envoy.envoy_model,
        model_id=gateway.part_number,
        name=f"Envoy {entry.unique_id}",
        serial_number=gateway.serial,
        sw_version=gateway.firmware,
        configuration_url=f"{'https' if gateway.uses_token_auth else 'http'}://{gateway.host}/",
    )
    entry.runtime_data = EnvoyRuntimeData(coordinator, device.id)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.renewal.async_start()
    issues.async_expire_firmware_updated(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnvoyConfigEntry) -> bool:
    """Unload platforms; HA detaches the entry's gateway session on unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EnvoyConfigEntry) -> None:
    """Take the entry's repair issues with it."""
    issues.async_remove_all(hass, entry)
