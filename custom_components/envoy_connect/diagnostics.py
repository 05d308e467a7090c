"""Diagnostics: what support needs to see, with every secret and serial removed.

Each mode gathers its own facts (``local/diagnostics.py``, ``cloud/diagnostics.py``)
and names what must not leave the house; the redaction here is shared. Serials
become numbered stand-ins rather than one "redacted" string, so ten inverters
stay ten entries and a reader can still tell them apart.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .cloud.diagnostics import cloud_diagnostics
from .const import CONF_ENL_UID, CONF_SYSTEM_ID, is_cloud_entry_data
from .local.diagnostics import local_diagnostics

REDACTED = "**REDACTED**"
SECRET_KEYS = {
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_API_KEY,
    "access_token",
    "refresh_token",
    "session_id",
    "manager_token",
    "mac",
    "generator_id",  # /ivp/ss/gen_config: the standby generator's own identifier
    CONF_ENL_UID,
    CONF_SYSTEM_ID,
}


class Redactor:
    """Replaces secrets with a mark and each serial with its own stand-in."""

    def __init__(self, secrets: set[str], serials: list[str]) -> None:
        """``serials`` keep their order, so stand-ins are stable for one dump."""
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)
        self._serials = {s: f"**serial {n}**" for n, s in enumerate(dict.fromkeys(serials), 1) if s}

    def __call__(self, value: Any) -> Any:
        """A redacted copy of ``value``."""
        if isinstance(value, dict):
            return {
                self(k) if isinstance(k, str) else k: REDACTED if k in SECRET_KEYS else self(v)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple, set)):
            return [self(v) for v in value]
        if isinstance(value, str):
            for serial, stand_in in self._serials.items():
                value = value.replace(serial, stand_in)
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
        return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Entry, auth summary and the latest data, redacted."""
    if is_cloud_entry_data(entry.data):
        dump, secrets, serials = cloud_diagnostics(entry)
    else:
        dump, secrets, serials = local_diagnostics(entry)
    redacted: dict[str, Any] = Redactor(secrets, serials)(dump)
    return redacted
