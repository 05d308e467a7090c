"""Envoy Connect: Enphase gateways in Home Assistant; authentication that never silently dies.

Two kinds of entries share the domain: a local gateway (keyed by its serial)
and an Enlighten cloud system (keyed ``cloud_<system_id>``, OAuth2 through
application credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from . import issues
from .api import EnlightenCloud
from .cloud_auth import OAuth2SessionAuth
from .cloud_budget import async_get_budget
from .cloud_coordinator import CloudCoordinator
from .const import CONF_SYSTEM_ID, DOMAIN
from .coordinator import EnvoyCoordinator
from .session import build_gateway, cloud_api_url

PLATFORMS: list[Platform] = [Platform.SENSOR]


@dataclass(slots=True)
class EnvoyRuntimeData:
    """What a loaded local entry holds."""

    coordinator: EnvoyCoordinator
    gateway_device_id: str


@dataclass(slots=True)
class CloudRuntimeData:
    """What a loaded cloud entry holds."""

    coordinator: CloudCoordinator


type EnvoyConfigEntry = ConfigEntry[EnvoyRuntimeData]
type CloudConfigEntry = ConfigEntry[CloudRuntimeData]


def is_cloud_entry(entry: ConfigEntry[Any]) -> bool:
    """True for an Enlighten cloud entry, False for a local gateway."""
    return CONF_SYSTEM_ID in entry.data


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up a local gateway or a cloud system."""
    if is_cloud_entry(entry):
        await _async_setup_cloud(hass, entry)
    else:
        await _async_setup_local(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_setup_local(hass: HomeAssistant, entry: EnvoyConfigEntry) -> None:
    """Connect to the gateway and start polling."""
    gateway = build_gateway(hass, entry.data, serial=entry.unique_id, for_entry=True)
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
    coordinator.renewal.async_start()
    issues.async_expire_firmware_updated(hass, entry)


async def _async_setup_cloud(hass: HomeAssistant, entry: CloudConfigEntry) -> None:
    """OAuth2 session, the application's request budget, and the first poll."""
    implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
        hass, entry
    )
    oauth = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    auth = OAuth2SessionAuth(async_get_clientsession(hass), oauth, cloud_api_url())
    budget = await async_get_budget(hass, entry.data[CONF_API_KEY])
    client = EnlightenCloud(auth, entry.data[CONF_API_KEY], on_request=budget.count_request)
    coordinator = CloudCoordinator(hass, entry, client, auth, budget)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = CloudRuntimeData(coordinator)


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload platforms; HA detaches the entry's gateway session on unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ConfigEntry[Any], device: dr.DeviceEntry
) -> bool:
    """Let the user delete an inverter or battery the gateway no longer reports."""
    if is_cloud_entry(entry) or entry.runtime_data is None:
        return False
    data = entry.runtime_data.coordinator.data
    reported = {str(entry.unique_id), *data.inverters, *(data.encharge_power or {})}
    ours = {value for domain, value in device.identifiers if domain == DOMAIN}
    return not ours & reported


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Take the entry's repair issues with it."""
    issues.async_remove_all(hass, entry)
