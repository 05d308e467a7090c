"""Config flow: add a gateway, discover it, reconfigure it, reauthenticate it.

Every path validates the same way before anything is saved: read /info,
authenticate as the firmware wants, fetch once. The token obtained on the way
is stored, so the first start needs no cloud round-trip.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
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
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from . import EnvoyConfigEntry
from .api import (
    CredentialsRequired,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    EnvoyToken,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayMismatch,
    GatewayUnreachable,
    InvalidToken,
)
from .const import (
    CONF_AUTH_STATE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .session import build_gateway

_LOGGER = logging.getLogger(__name__)

ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (GatewayUnreachable, "cannot_connect"),
    (GatewayMismatch, "wrong_gateway"),
    (EnlightenUnavailable, "enlighten_unavailable"),
    (EnlightenMfaRequired, "mfa_required"),
    (CredentialsRequired, "credentials_required"),
    (InvalidToken, "invalid_token"),
    (EnlightenRejected, "invalid_auth"),
    (GatewayAuthRejected, "invalid_auth"),
    (EnvoyTokenRejected, "invalid_auth"),
)

REAUTH_STEPS = (
    "token_rejected",
    "credentials_rejected",
    "firmware_needs_enlighten",
    "mfa_token_required",
)

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD, multiline=False))


def _credentials_schema(defaults: Mapping[str, Any]) -> dict[vol.Marker, Any]:
    return {
        vol.Optional(
            CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}
        ): _TEXT,
        vol.Optional(CONF_PASSWORD): _PASSWORD,
        vol.Optional(CONF_TOKEN): _TOKEN,
    }


def _gateway_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): _TEXT}
        | _credentials_schema(defaults)
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


@dataclass(frozen=True, slots=True)
class Validated:
    """What a successful validation learned and what to store."""

    serial: str
    firmware: str | None
    data: dict[str, Any]


async def async_validate(
    hass: HomeAssistant, user_input: Mapping[str, Any], expected_serial: str | None = None
) -> Validated:
    """Connect, authenticate and fetch once with the given input; raise api errors."""
    data: dict[str, Any] = {CONF_HOST: str(user_input[CONF_HOST]).strip()}
    for key in (CONF_USERNAME, CONF_PASSWORD):
        if value := str(user_input.get(key) or "").strip():
            data[key] = value
    auth: dict[str, Any] = {}
    if raw := str(user_input.get(CONF_TOKEN) or "").strip():
        token = EnvoyToken.parse(raw)
        token.check_serial(expected_serial)
        auth["token"] = token.raw
    data[CONF_AUTH_STATE] = auth

    gateway = build_gateway(hass, data, serial=expected_serial, dedicated_session=False)
    await gateway.async_connect()
    await gateway.async_update()
    if not gateway.serial:
        raise GatewayUnreachable("the gateway did not report a serial number")
    data[CONF_AUTH_STATE] = gateway.tokens.state.as_dict()
    return Validated(gateway.serial, gateway.firmware, data)


async def _validate_with_errors(
    hass: HomeAssistant, user_input: Mapping[str, Any], expected_serial: str | None = None
) -> tuple[Validated | None, dict[str, str]]:
    """``async_validate`` with errors turned into form error keys."""
    try:
        return await async_validate(hass, user_input, expected_serial), {}
    except Exception as err:
        for kind, key in ERRORS:
            if isinstance(err, kind):
                return None, {"base": key}
        _LOGGER.exception("Unexpected error while validating the gateway")
        return None, {"base": "unknown"}


class EnvoyConnectConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Envoy on the local network."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered_host: str | None = None
        self._discovered_serial: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: EnvoyConfigEntry) -> EnvoyOptionsFlow:
        """Options: the polling interval."""
        return EnvoyOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host and credentials, validate, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            validated, errors = await _validate_with_errors(
                self.hass, user_input, self._discovered_serial
            )
            if validated:
                await self.async_set_unique_id(validated.serial, raise_on_progress=False)
                self._abort_if_unique_id_configured(updates={CONF_HOST: validated.data[CONF_HOST]})
                return self.async_create_entry(
                    title=f"Envoy {validated.serial}", data=validated.data
                )
        defaults = user_input or {CONF_HOST: self._discovered_host}
        return self.async_show_form(
            step_id="user",
            data_schema=_gateway_schema(defaults),
            errors=errors,
            description_placeholders={"serial": self._discovered_serial or ""},
        )

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
            validated, errors = await _validate_with_errors(
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
        """New Enlighten credentials or a pasted token, validated before saving."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            validated, errors = await _validate_with_errors(
                self.hass, {CONF_HOST: entry.data[CONF_HOST], **user_input}, entry.unique_id
            )
            if validated:
                await self.async_set_unique_id(validated.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                return self.async_update_reload_and_abort(entry, data=validated.data)
        return self.async_show_form(
            step_id=f"reauth_{reason}",
            data_schema=vol.Schema(_credentials_schema(user_input or entry.data)),
            errors=errors,
            description_placeholders={"host": entry.data[CONF_HOST]},
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
