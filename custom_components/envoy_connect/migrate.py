"""Config entry migrations: keep a user's entities (ids, names, history) across versions."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import is_cloud_entry_data

_LOGGER = logging.getLogger(__name__)

#: 0.2 keys of the gateway's sensors -> the keys HA core also uses (from 0.3 on).
GATEWAY_KEYS = {
    "current_power_production": "production",
    "daily_energy_production": "daily_production",
    "seven_days_energy_production": "seven_days_production",
    "lifetime_energy_production": "lifetime_production",
    "current_power_consumption": "consumption",
    "daily_energy_consumption": "daily_consumption",
    "seven_days_energy_consumption": "seven_days_consumption",
    "lifetime_energy_consumption": "lifetime_consumption",
    "net_power_consumption": "balanced_net_consumption",
    "lifetime_grid_import": "lifetime_net_consumption",
    "lifetime_grid_export": "lifetime_net_production",
    "available_battery_energy": "available_energy",
}
#: 0.2 keys of an IQ Battery's sensors -> their 0.3 keys.
BATTERY_KEYS = {"battery_level": "soc", "battery_power": "real_power_mw"}


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Bring an entry from an older minor version to this one."""
    if entry.version > 1:
        return False  # from a newer Envoy Connect: do not touch it
    if entry.minor_version < 2 and not is_cloud_entry_data(entry.data):
        serial = str(entry.unique_id)

        @callback
        def rename(entity: er.RegistryEntry) -> dict[str, Any] | None:
            owner, _, key = entity.unique_id.partition("_")
            keys = GATEWAY_KEYS if owner == serial else BATTERY_KEYS
            if entity.domain == "sensor" and key in keys:
                return {"new_unique_id": f"{owner}_{keys[key]}"}
            return None

        await er.async_migrate_entries(hass, entry.entry_id, rename)
    if entry.minor_version < 3 and not is_cloud_entry_data(entry.data):
        # 0.3 polls at the pace of each endpoint's data; a user-set interval is gone.
        options = {k: v for k, v in entry.options.items() if k != "scan_interval"}
        hass.config_entries.async_update_entry(entry, options=options)
    hass.config_entries.async_update_entry(entry, minor_version=3)
    _LOGGER.debug("Migrated %s to version 1.3", entry.title)
    return True
