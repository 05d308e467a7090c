"""What a local entry's diagnostics contain: gateway, token bookkeeping, latest data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from ..const import CONF_MAC
from . import LocalConfigEntry
from .records import acb_reports


def local_diagnostics(entry: LocalConfigEntry) -> tuple[dict[str, Any], set[str], list[str]]:
    """The dump, the secrets in it, and the serials to replace."""
    coordinator = entry.runtime_data.coordinator
    tokens = entry.runtime_data.tokens.manager
    gateway = coordinator.gateway
    data = coordinator.data
    token = tokens.token
    secrets = {
        *(str(entry.data.get(k) or "") for k in (CONF_USERNAME, CONF_PASSWORD)),
        *(s for s in (tokens.state.token, token.raw if token else None) if s),
        *([mac] if (mac := entry.data.get(CONF_MAC)) else []),
    }
    serials = [
        str(entry.unique_id),
        *(data.inverters if data else ()),
        *((data.encharge_power or {}) if data else ()),
        *((data.encharge_inventory or {}) if data else ()),
        *((data.acb_inventory or {}) if data else ()),
        *(acb_reports(data) if data else ()),
        *([data.enpower.serial_number] if data and data.enpower else []),
        *([data.collar.serial_number] if data and data.collar else []),
        *([data.c6cc.serial_number] if data and data.c6cc else []),
    ]
    dump = {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "gateway": gateway.diagnostics(),
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
    }
    return dump, secrets, serials
