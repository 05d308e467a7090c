"""Local mode: one Envoy / IQ Gateway on the network, read through pyenphase."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from ..const import CONF_MAC, DOMAIN
from . import handoff
from .coordinator import EnvoyCoordinator
from .session import build_gateway
from .tokens import EntryTokens


@dataclass(slots=True)
class LocalRuntimeData:
    """What a loaded local entry holds."""

    coordinator: EnvoyCoordinator
    tokens: EntryTokens
    gateway_device_id: str


type LocalConfigEntry = ConfigEntry[LocalRuntimeData]


async def async_setup_local_entry(hass: HomeAssistant, entry: LocalConfigEntry) -> None:
    """Connect to the gateway, register it as a device, and start polling and renewing."""
    tokens = EntryTokens(hass, entry)
    if gateway := handoff.async_take(hass, str(entry.unique_id), entry.data):
        # Validated by the flow that created or changed this entry seconds ago.
        gateway.use_tokens(tokens.manager)
        entry.async_on_unload(gateway.close)
    else:
        gateway = build_gateway(
            hass, entry.data, tokens.manager, expected_serial=entry.unique_id, for_entry=True
        )
    coordinator = EnvoyCoordinator(hass, entry, gateway)
    await coordinator.async_config_entry_first_refresh()
    if CONF_MAC not in entry.data:
        # Once per entry: it does not change, and legacy firmware answers 404.
        mac = await gateway.async_read_mac() or ""
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_MAC: mac})
    mac = entry.data[CONF_MAC]

    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(entry.unique_id))},
        connections={(dr.CONNECTION_NETWORK_MAC, mac)} if mac else set(),
        manufacturer="Enphase",
        model=gateway.model,
        model_id=gateway.part_number,
        name=f"Envoy {entry.unique_id}",
        serial_number=gateway.serial,
        sw_version=gateway.firmware,
        configuration_url=f"{'https' if gateway.uses_token_auth else 'http'}://{gateway.host}/",
    )
    entry.runtime_data = LocalRuntimeData(coordinator, tokens, device.id)
    tokens.async_start()
