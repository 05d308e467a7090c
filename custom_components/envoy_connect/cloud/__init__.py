"""Cloud mode: one Enlighten system read through the Systems API v4."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..api import SystemsApi
from ..endpoints import cloud_api_url
from .auth import OAuth2SessionAuth
from .budget import async_get_budget
from .coordinator import CloudCoordinator


@dataclass(slots=True)
class CloudRuntimeData:
    """What a loaded cloud entry holds."""

    coordinator: CloudCoordinator


type CloudConfigEntry = ConfigEntry[CloudRuntimeData]


async def async_setup_cloud_entry(hass: HomeAssistant, entry: CloudConfigEntry) -> None:
    """OAuth2 session, the application's request budget, and the first poll."""
    implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
        hass, entry
    )
    oauth = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    auth = OAuth2SessionAuth(async_get_clientsession(hass), oauth, cloud_api_url())
    budget = await async_get_budget(hass, entry.data[CONF_API_KEY])
    client = SystemsApi(auth, entry.data[CONF_API_KEY], on_request=budget.count_request)
    coordinator = CloudCoordinator(hass, entry, client, auth, budget)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = CloudRuntimeData(coordinator)
