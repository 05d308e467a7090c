"""Diagnostics: what support needs to see, with every secret and serial removed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from . import CloudConfigEntry, EnvoyConfigEntry, is_cloud_entry
from .const import CONF_ENL_UID, CONF_SYSTEM_ID

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
    CONF_ENL_UID,
    CONF_SYSTEM_ID,
}


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
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Entry, auth state summary and the latest data, redacted."""
    if is_cloud_entry(entry):
        return _cloud_diagnostics(entry)
    return _local_diagnostics(entry)


def _cloud_diagnostics(entry: CloudConfigEntry) -> dict[str, Any]:
    """Budget, endpoints and the latest values of a cloud system."""
    coordinator = entry.runtime_data.coordinator
    now = dt_util.utcnow()
    token = entry.data.get("token") or {}
    secrets = {
        str(entry.data.get(CONF_SYSTEM_ID, "")),
        str(entry.data.get(CONF_API_KEY, "")),
        *(str(token.get(k) or "") for k in ("access_token", "refresh_token")),
        str(entry.unique_id or ""),
    }
    data = coordinator.data
    dump: dict[str, Any] = _redact(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "oauth": {
                "token_expires_at": token.get("expires_at"),
                "scope": token.get("scope"),
            },
            "budget": {
                "plan": asdict(coordinator.budget.plan),
                "used_this_month": coordinator.budget.used(now),
                "requests_left": coordinator.budget.requests_left(now),
                "blocked_until": coordinator.budget.blocked_until,
                "requests_per_cycle": dict(coordinator.budget.demands),
            },
            "coordinator": {
                "endpoints": ["summary", *coordinator.endpoints],
                "last_update_success": coordinator.last_update_success,
                "update_interval": str(coordinator.update_interval),
            },
            "data": asdict(data) if data else None,
        },
        {s for s in secrets if s},
    )
    return dump


def _local_diagnostics(entry: EnvoyConfigEntry) -> dict[str, Any]:
    """Gateway, token summary and the latest data of a local entry."""
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
                "consecutive_rejections": tokens.state.consecutive_rejections,
                "next_renewal": (due := tokens.next_renewal()) and due.isoformat(),
                "last_error": tokens.state.last_error,
                "enlighten_unavailable_since": tokens.state.unavailable_since,
                "logins_last_hour": tokens.logins_within(timedelta(hours=1)),
                "logins_last_day": tokens.logins_within(timedelta(days=1)),
                "logins_total": tokens.state.total_logins,
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
