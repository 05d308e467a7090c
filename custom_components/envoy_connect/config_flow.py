"""Config flow: add a gateway, discover it, reconfigure it, reauthenticate it.

Every path validates the same way before anything is saved: read /info,
authenticate as the firmware wants, fetch once. The token obtained on the way
is stored, so the first start needs no cloud round-trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio as vol
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_TOKEN,
    CONF_USERNAME,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from . import EnvoyConfigEntry
from .auth_form import (
    MFA_ERROR,
    TEXT,
    async_validate_with_errors,
    credentials_schema,
    token_schema,
)
from .const import (
    CONF_AUTH_STATE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)

REAUTH_STEPS = (
    "token_rejected",
    "credentials_rejected",
    "firmware_needs_enlighten",
    "mfa_token_required",
)


def _gateway_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TEXT}
        | credentials_schema(defaults)
    )


def _keep_stored_secrets(
    user_input: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """Blank secret fields mean "unchanged" when reconfiguring.

    Secrets are never shown in a form, so a user who only changes the host leaves
    them empty: keep the stored password (same username) and the stored token,
    which also spares an Enlighten login.
    """
    merged = dict(user_input)
    same_user = (merged.get(CONF_USERNAME) or None) == stored.get(CONF_USERNAME)
    if merged.get(CONF_PASSWORD) or not same_user:
        return merged  # new credentials: validate exactly those, never a stored token
    if stored.get(CONF_PASSWORD):
        merged[CONF_PASSWORD] = stored[CONF_PASSWORD]
    if not merged.get(CONF_TOKEN):
        merged[CONF_TOKEN] = (stored.get(CONF_AUTH_STATE) or {}).get("token")
    return merged


class EnvoyConnectConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Envoy on the local network."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered_host: str | None = None
        self._discovered_serial: str | None = None
        self._mfa_input: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: EnvoyConfigEntry) -> EnvoyOptionsFlow:
        """Options: the polling interval."""
        return EnvoyOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host and credentials, validate, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result, errors = await self._async_validate_and_create(user_input)
            if result is not None:
                return result
            if errors.get("base") == MFA_ERROR:
                self._mfa_input = {
                    CONF_HOST: user_input[CONF_HOST],
                    CONF_USERNAME: user_input.get(CONF_USERNAME),
                }
                return await self.async_step_mfa_token()
        defaults = user_input or {CONF_HOST: self._discovered_host}
        return self.async_show_form(
            step_id="user",
            data_schema=_gateway_schema(defaults),
            errors=errors,
            description_placeholders={"serial": self._discovered_serial or ""},
        )

    async def async_step_mfa_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A multi-factor account: Enlighten gives us no token, so the user pastes one."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result, errors = await self._async_validate_and_create(
                {**self._mfa_input, **user_input}
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="mfa_token",
            data_schema=vol.Schema(token_schema()),
            errors=errors,
            description_placeholders={"username": str(self._mfa_input.get(CONF_USERNAME))},
        )

    async def _async_validate_and_create(
        self, user_input: dict[str, Any]
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        validated, errors = await async_validate_with_errors(
            self.hass, user_input, self._discovered_serial
        )
        if validated is None:
            return None, errors
        await self.async_set_unique_id(validated.serial, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_HOST: validated.data[CONF_HOST]})
        return self.async_create_entry(title=f"Envoy {validated.serial}", data=validated.data), {}

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A gateway announced itself; a known one that moved gets its new address."""
        if discovery_info.ip_address.version != 4:
            return self.async_abort(reason="not_ipv4_address")
        serial = discovery_info.properties.get("serialnum")
        if not serial:
            return self.async_abort(reason="no_serial")
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info.host})
        self._discovered_host = discovery_info.host
        self._discovered_serial = serial
        self.context["title_placeholders"] = {"serial": serial}
        return await self.async_step_user()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or credentials of an existing gateway."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            validated, errors = await async_validate_with_errors(
                self.hass, _keep_stored_secrets(user_input, entry.data), entry.unique_id
            )
            if validated:
                await self.async_set_unique_id(validated.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                return self.async_update_reload_and_abort(entry, data=validated.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_gateway_schema(user_input or entry.data),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Credentials stopped working: open the form that explains why."""
        reason = str(entry_data.get("reauth_reason") or "token_rejected")
        if reason not in REAUTH_STEPS:
            reason = "token_rejected"
        return await self._async_reauth_form(reason, None)

    # One step per reason, so each form carries its own translated explanation.
    async def async_step_reauth_token_rejected(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The gateway refused the token."""
        return await self._async_reauth_form("token_rejected", user_input)

    async def async_step_reauth_credentials_rejected(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enlighten (or the gateway) refused the credentials."""
        return await self._async_reauth_form("credentials_rejected", user_input)

    async def async_step_reauth_firmware_needs_enlighten(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A firmware update moved the gateway to token authentication."""
        return await self._async_reauth_form("firmware_needs_enlighten", user_input)

    async def async_step_reauth_mfa_token_required(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The account uses MFA: only a pasted token works."""
        return await self._async_reauth_form("mfa_token_required", user_input)

    async def _async_reauth_form(
        self, reason: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """New Enlighten credentials or a pasted token, validated before saving.

        A multi-factor account can only paste a token, so its form asks for
        nothing else, and typed credentials of such an account lead there.
        """
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            validated, errors = await async_validate_with_errors(
                self.hass,
                {CONF_HOST: entry.data[CONF_HOST], **user_input},
                entry.unique_id,
            )
            if validated:
                if reason == "mfa_token_required":
                    validated.data[CONF_USERNAME] = entry.data.get(CONF_USERNAME)
                await self.async_set_unique_id(validated.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                return self.async_update_reload_and_abort(entry, data=validated.data)
            if errors.get("base") == MFA_ERROR:
                reason, user_input, errors = "mfa_token_required", None, {}
        schema = (
            token_schema()
            if reason == "mfa_token_required"
            else credentials_schema(user_input or entry.data)
        )
        return self.async_show_form(
            step_id=f"reauth_{reason}",
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders={
                "host": entry.data[CONF_HOST],
                "username": str(entry.data.get(CONF_USERNAME) or ""),
            },
        )


class EnvoyOptionsFlow(OptionsFlowWithReload):
    """Polling interval; the entry reloads when it changes."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL])}
            )
        current = self.config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SCAN_INTERVAL, default=current): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=MAX_SCAN_INTERVAL,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )
