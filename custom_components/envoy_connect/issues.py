"""The repair issues of one entry: ids, texts and lifetimes in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN

TOKEN_EXPIRING = "token_expiring"  # noqa: S105 -- an issue id, not a secret
TOKEN_SHORT_LIVED = "token_short_lived"  # noqa: S105 -- an issue id, not a secret
#: Raised by 0.2 for a day after a firmware update; now an event entity tells.
LEGACY_FIRMWARE_UPDATED = "firmware_updated"
GATEWAY_IDENTITY = "gateway_identity_changed"
GATEWAY_MOVED = "gateway_moved"
API_KEY_REJECTED = "api_key_rejected"
APP_NOT_AUTHORIZED = "app_not_authorized"
BUDGET_EXHAUSTED = "budget_exhausted"
#: Issues whose fix flow asks the user to confirm a gateway's new TLS key.
IDENTITY_KINDS = (GATEWAY_IDENTITY, GATEWAY_MOVED)
ALL_KINDS = (
    GATEWAY_IDENTITY,
    GATEWAY_MOVED,
    TOKEN_EXPIRING,
    TOKEN_SHORT_LIVED,
    LEGACY_FIRMWARE_UPDATED,
    API_KEY_REJECTED,
    APP_NOT_AUTHORIZED,
    BUDGET_EXHAUSTED,
)


def issue_id(kind: str, entry: ConfigEntry) -> str:
    """One issue of each kind per entry."""
    return f"{kind}_{entry.entry_id}"


@callback
def async_show_token_expiring(
    hass: HomeAssistant, entry: ConfigEntry, expires_at: datetime
) -> None:
    """Fixable: the token runs out and cannot be renewed; the fix asks for new credentials."""
    days = max(0, (expires_at - dt_util.utcnow()).days)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(TOKEN_EXPIRING, entry),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR if days < 1 else ir.IssueSeverity.WARNING,
        translation_key=TOKEN_EXPIRING,
        translation_placeholders={
            "name": entry.title,
            "days": str(days),
            "expires": expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
        data={"entry_id": entry.entry_id},
    )


@callback
def async_show_token_short_lived(
    hass: HomeAssistant, entry: ConfigEntry, lifetime: timedelta, per_hour: int, per_day: int
) -> None:
    """Fixable: tokens renewed more often than the login ceilings sustain; data may pause."""
    minutes = max(1, round(lifetime.total_seconds() / 60))
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(TOKEN_SHORT_LIVED, entry),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=TOKEN_SHORT_LIVED,
        translation_placeholders={
            "name": entry.title,
            "lifetime": f"{minutes} min",
            "per_hour": str(per_hour),
            "per_day": str(per_day),
        },
        data={"entry_id": entry.entry_id},
    )


@callback
def async_show_problem(
    hass: HomeAssistant, entry: ConfigEntry, kind: str, placeholders: dict[str, str] | None = None
) -> None:
    """The entry cannot fetch data for a reason the user must act on.

    A changed gateway key is fixed right in Repairs (confirm it); the others
    say where to act.
    """
    placeholders = {"name": entry.title, **(placeholders or {})}
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(kind, entry),
        is_fixable=kind in IDENTITY_KINDS,
        severity=ir.IssueSeverity.ERROR,
        translation_key=kind,
        translation_placeholders=placeholders,
        data={"entry_id": entry.entry_id, **placeholders},
    )


@callback
def async_clear(hass: HomeAssistant, entry: ConfigEntry, *kinds: str) -> None:
    """These problems are over."""
    for kind in kinds:
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry))


@callback
def async_remove_legacy(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Drop issues of kinds this version no longer raises."""
    async_clear(hass, entry, LEGACY_FIRMWARE_UPDATED)


@callback
def async_remove_all(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The entry is gone: so are its issues."""
    async_clear(hass, entry, *ALL_KINDS)
