"""Fix flows: new credentials for a token that runs out, and a gateway's new TLS key.

"The token expires soon" and "tokens are very short" lead into the same form
as reauth, validated exactly like reauth before anything is saved. "The
gateway presents another key" (at its address, or at a new one) asks the user
to compare and confirm; only then does the token go there.
"""

from __future__ import annotations

from typing import Any

import probatio as vol
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from . import issues
from .const import CONF_GATEWAY_KEY, DOMAIN
from .local.form import Validation, async_validate_for_form, credentials_schema
from .local.mfa import PendingLogin


class _EntryRepairFlow(RepairsFlow):
    """A fix for one entry, saved and reloaded in one step: never half-updated."""

    def __init__(self, entry_id: str) -> None:
        """Fix the entry the issue was raised for."""
        self._entry_id = entry_id

    def _placeholders(self) -> dict[str, str] | None:
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return dict(issue.translation_placeholders or {}) if issue else None

    def _save(self, data: dict[str, Any]) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        assert entry is not None
        self.hass.config_entries.async_update_entry(entry, data=data)
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})


class TokenRepairFlow(_EntryRepairFlow):
    """New credentials or token for one entry; a multi-factor account enters its code."""

    _pending: PendingLogin | None = None

    async def _async_validate(self, user_input: dict[str, Any]) -> Validation | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return None
        return await async_validate_for_form(
            self.hass,
            {CONF_HOST: entry.data[CONF_HOST], **user_input},
            entry.unique_id,
            entry.data.get(CONF_GATEWAY_KEY),
        )

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Go straight to the form."""
        return await self.async_step_credentials()

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Validate with the gateway's trusted key, then save."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None and (result := await self._async_validate(user_input)):
            if result.validated:
                return self._save(result.validated.data)
            if result.mfa is not None:
                self._pending = PendingLogin(dict(user_input), result.mfa)
                return await self.async_step_mfa_code()
            errors = result.errors
        return self.async_show_form(
            step_id="credentials",
            data_schema=vol.Schema(credentials_schema(user_input or entry.data)),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_mfa_code(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The one-time code Enphase emailed (or a new one, or a pasted token)."""
        pending = self._pending
        assert pending is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            answer, errors = await pending.async_answer(self.hass, user_input)
            if answer is not None:
                result = await self._async_validate(answer)
                if result is None:
                    return self.async_abort(reason="entry_removed")
                if result.validated:
                    return self._save(result.validated.data)
                errors = result.errors
        return self.async_show_form(**pending.form(errors))


class IdentityRepairFlow(_EntryRepairFlow):
    """The user compares the gateway's keys and confirms the new one (and its address)."""

    def __init__(self, entry_id: str, presented: str, host: str | None) -> None:
        """The key (and, for a move, the address) to trust on confirmation."""
        super().__init__(entry_id)
        self._presented = presented
        self._host = host

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Go straight to the comparison (the repairs manager passes the issue id here)."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show both keys; saving trusts the new one and reloads."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is not None:
            data = {**entry.data, CONF_GATEWAY_KEY: self._presented}
            if self._host:
                data[CONF_HOST] = self._host
            return self._save(data)
        return self.async_show_form(
            step_id="confirm", description_placeholders=self._placeholders()
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow for each fixable issue."""
    data = data or {}
    entry_id = str(data["entry_id"])
    if issue_id.startswith(issues.IDENTITY_KINDS):
        host = data.get("host") if issue_id.startswith(issues.GATEWAY_MOVED) else None
        return IdentityRepairFlow(entry_id, str(data["presented"]), str(host) if host else None)
    return TokenRepairFlow(entry_id)
