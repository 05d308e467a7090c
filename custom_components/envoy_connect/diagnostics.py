"""Diagnostics: what support needs to see, with every secret and serial removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from . import EnvoyConfigEntry

REDACTED = "**REDACTED**"
SECRET_KEYS = {CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME, "session_id", "manager_token", "mac"}


def _redact(value: Any, secrets: set[str]) -> Any:
    """Redact secret keys and any known secret or serial wherever it appears."""
    if isinstance(value, dict):
        return {
            _redact(k, secrets) if isinstance(k, str) else k: REDACTED
            if k in SECRET_KEYS
            else _redact(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set)):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnvoyConfigEntry
) -> dict[str, Any]:
    """Entry, auth state summary and the latest data, redacted."""
    coordinator = entry.runtime_data.coordinator
    gateway = coordinator.gateway
    data = coordinator.data
    tokens = gateway.tokens
    token = tokens.token
    secrets = {
        str(entry.unique_id),
        *(str(entry.data.get(k) or "") for k in (CONF_USERNAME, CONF_PASSWORD)),
        *(s for s in (tokens.state.token, token.raw if token else None) if s),
        *(data.inverters if data else ()),
        *((data.encharge_power or {}) if data else ()),
        *([data.enpower.serial_number] if data and data.enpower else []),
        *([gateway.mac] if gateway.mac else []),
    }
    dump: dict[str, Any] = _redact(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "gateway": {
                "firmware": gateway.firmware,
                "part_number": gateway.part_number,
                "uses_token_auth": gateway.uses_token_auth,
                "supported_features": str(gateway.envoy.supported_features)
                if data is not None
                else None,
            },
            "auth": {
                "token_type": token.kind.value if token else None,
                "token_expires_at": token.expires_at.isoformat() if token else None,
                "last_renewal": tokens.state.last_renewal,
                "consecutive_failures": tokens.state.consecutive_failures,
                "consecutive_rejections": tokens.state.consecutive_rejections,
                "next_renewal": (due := tokens.next_renewal()) and due.isoformat(),
                "last_error": tokens.state.last_error,
                "has_enlighten_credentials": tokens.has_credentials,
            },
            "coordinator": {
                "last_update_success": coordinator.last_update_success,
                "update_interval": str(coordinator.update_interval),
            },
            "data": {k: v for k, v in asdict(data).items() if k != "raw"} if data else None,
        },
        secrets,
    )
    return dump
