"""Fix flows: "the token expires soon" and "tokens are very short" lead into the reauth form.

A pasted token cannot be renewed by us, and Enlighten may stay unreachable for
days: the user gets to paste a new token (or type credentials) before the data
stops, validated exactly like reauth before anything is saved.
"""

from __future__ import annotations

from typing import Any

import probatio as vol
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .local.form import async_validate_with_errors, credentials_schema


class TokenExpiringRepairFlow(RepairsFlow):
    """New credentials or token for one entry."""

    def __init__(self, entry_id: str) -> None:
        """Fix the entry the issue was raised for."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Go straight to the form."""
        return await self.async_step_credentials()

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Validate, then save and reload in one step, so the entry is never half-updated."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            validated, errors = await async_validate_with_errors(
                self.hass, {CONF_HOST: entry.data[CONF_HOST], **user_input}, entry.unique_id
            )
            if validated:
                self.hass.config_entries.async_update_entry(entry, data=validated.data)
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return self.async_show_form(
            step_id="credentials",
            data_schema=vol.Schema(credentials_schema(user_input or entry.data)),
            errors=errors,
            description_placeholders=issue.translation_placeholders if issue else None,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Both fixable issues are about the token, and both are fixed with new credentials."""
    return TokenExpiringRepairFlow(str((data or {})["entry_id"]))
