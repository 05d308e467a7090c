"""What a cloud entry's diagnostics contain: budget, endpoints, latest values."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.const import CONF_API_KEY
from homeassistant.util import dt as dt_util

from ..const import CONF_SYSTEM_ID
from . import CloudConfigEntry


def cloud_diagnostics(entry: CloudConfigEntry) -> tuple[dict[str, Any], set[str], list[str]]:
    """The dump, the secrets in it, and the identifiers to replace."""
    coordinator = entry.runtime_data.coordinator
    now = dt_util.utcnow()
    token = entry.data.get("token") or {}
    secrets = {
        str(entry.data.get(CONF_API_KEY, "")),
        *(str(token.get(k) or "") for k in ("access_token", "refresh_token")),
    }
    serials = [str(entry.data.get(CONF_SYSTEM_ID, "")), str(entry.unique_id or "")]
    data = coordinator.data
    budget = coordinator.budget
    dump = {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "oauth": {"token_expires_at": token.get("expires_at"), "scope": token.get("scope")},
        "budget": {
            "plan": asdict(budget.plan),
            "used_this_month": budget.used(now),
            "requests_left": budget.requests_left(now),
            "blocked_until": budget.blocked_until,
            "requests_per_cycle": dict(budget.demands),
        },
        "coordinator": {
            "endpoints": ["summary", *coordinator.endpoints],
            "access_refused": sorted(coordinator.refused_access),
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
        },
        "rejected_values": dict(coordinator.client.values.rejected),
        "data": asdict(data) if data else None,
    }
    return dump, secrets, serials
