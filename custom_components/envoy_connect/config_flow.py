"""Config flow: add a gateway, discover it, reconfigure it, reauthenticate it.

Every path validates the same way before anything is saved: read /info,
authenticate as the firmware wants, fetch once. The token obtained on the way
is stored, so the first start needs no cloud round-trip.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import probatio as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_TOKEN,
    CONF_USERNAME,
)
from homeassistant.core import callback
from homeassistant.exceptions import OAuth2TokenRequestBaseError
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2FlowHandler,
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from . import is_cloud_entry
from .api import CloudSystemInfo
from .auth_form import (
    MFA_ERROR,
    TEXT,
    async_validate_with_errors,
    credentials_schema,
    token_schema,
)
from .cloud_form import (
    PLAN_OPTIONS,
    api_key_schema,
    async_list_systems,
    custom_plan_schema,
    plan_options,
    system_schema,
)
from .const import (
    CONF_AUTH_STATE,
    CONF_ENL_UID,
    CONF_PLAN,
    CONF_SYSTEM_ID,
    DEFAULT_PLAN,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    PLAN_CUSTOM,
)

_LOGGER = logging.getLogger(__name__)

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


class EnvoyConnectConfigFlow(AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Add an Envoy on the local network, or an Enlighten cloud system."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        super().__init__()
        self._discovered_host: str | None = None
        self._discovered_serial: str | None = None
        self._mfa_input: dict[str, Any] = {}
        self._oauth_data: dict[str, Any] = {}
        self._cloud: dict[str, Any] = {}
        self._systems: list[CloudSystemInfo] = []

    @property
    def logger(self) -> logging.Logger:
        """Logger of the OAuth2 steps."""
        return _LOGGER

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: ConfigEntry[Any],
    ) -> EnvoyOptionsFlow | CloudOptionsFlow:
        """Options: the polling interval (local) or the API plan (cloud)."""
        return CloudOptionsFlow() if is_cloud_entry(config_entry) else EnvoyOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Local gateway or Enlighten cloud."""
        return self.async_show_menu(step_id="user", menu_options=["local", "cloud"])

    async def async_step_local(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
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
            step_id="local",
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
        self.context["title_placeholders"] = {"name": f"Envoy {serial}"}
        return await self.async_step_local()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or credentials of a gateway, or the API key and plan of a system."""
        entry = self._get_reconfigure_entry()
        if is_cloud_entry(entry):
            return await self.async_step_reconfigure_cloud()
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
        if is_cloud_entry(self._get_reauth_entry()):
            return await self.async_step_reauth_cloud()
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
            # The token-only form keeps the stored username (for the next form's pre-fill).
            known = {CONF_HOST: entry.data[CONF_HOST], CONF_USERNAME: entry.data.get(CONF_USERNAME)}
            validated, errors = await async_validate_with_errors(
                self.hass, {**known, **user_input}, entry.unique_id
            )
            if validated:
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

    # -- Enlighten cloud ---------------------------------------------------------
    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """OAuth2 with the application credentials the user added."""
        return await self.async_step_pick_implementation()

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Authorized: on to the API key, or finish a reauth."""
        self._oauth_data = data
        if self.source == SOURCE_REAUTH:
            return await self._async_finish_cloud_reauth()
        return await self.async_step_api_key()

    def _access_token(self) -> str:
        return str(self._oauth_data["token"]["access_token"])

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The application's API key and plan, validated by listing the systems."""
        errors: dict[str, str] = {}
        if user_input is not None:
            systems, errors = await async_list_systems(
                self.hass, user_input[CONF_API_KEY].strip(), self._access_token()
            )
            if systems is not None:
                if not systems:
                    return self.async_abort(reason="no_systems")
                self._systems = systems
                self._cloud = {CONF_API_KEY: user_input[CONF_API_KEY].strip(), **user_input}
                if user_input[CONF_PLAN] == PLAN_CUSTOM:
                    return await self.async_step_custom_plan()
                return await self.async_step_system()
        return self.async_show_form(
            step_id="api_key",
            data_schema=api_key_schema(user_input or {}, key_required=True),
            errors=errors,
        )

    async def async_step_custom_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Limits of a plan without a name."""
        if user_input is not None:
            self._cloud.update(user_input)
            if self.source == SOURCE_RECONFIGURE:
                return self._async_update_cloud_entry()
            return await self.async_step_system()
        return self.async_show_form(
            step_id="custom_plan", data_schema=custom_plan_schema(self._cloud)
        )

    async def async_step_system(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which system; skipped when the user has only one."""
        if user_input is None and len(self._systems) > 1:
            return self.async_show_form(step_id="system", data_schema=system_schema(self._systems))
        wanted = str(user_input["system_id"]) if user_input else str(self._systems[0].system_id)
        system = next(s for s in self._systems if str(s.system_id) == wanted)
        await self.async_set_unique_id(f"cloud_{system.system_id}")
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=system.name,
            data={
                **self._oauth_data,
                CONF_API_KEY: self._cloud[CONF_API_KEY],
                CONF_SYSTEM_ID: system.system_id,
                CONF_ENL_UID: self._oauth_data["token"].get(CONF_ENL_UID),
            },
            options=plan_options(self._cloud),
        )

    async def async_step_reauth_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then authorize again with the same application credentials."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_cloud", description_placeholders={"name": entry.title}
            )
        return await self.async_step_pick_implementation(
            user_input={"implementation": entry.data["auth_implementation"]}
        )

    async def _async_finish_cloud_reauth(self) -> ConfigFlowResult:
        """The same Enlighten user, and still access to the same system."""
        entry = self._get_reauth_entry()
        uid = self._oauth_data["token"].get(CONF_ENL_UID)
        if entry.data.get(CONF_ENL_UID) and uid and str(uid) != str(entry.data[CONF_ENL_UID]):
            return self.async_abort(reason="wrong_account")
        systems, errors = await async_list_systems(
            self.hass, entry.data[CONF_API_KEY], self._access_token()
        )
        if systems is None:
            return self.async_abort(reason=errors["base"])
        if all(s.system_id != entry.data[CONF_SYSTEM_ID] for s in systems):
            return self.async_abort(reason="wrong_account")
        return self.async_update_reload_and_abort(
            entry, data_updates={**self._oauth_data, CONF_ENL_UID: uid}
        )

    async def async_step_reconfigure_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new API key (blank keeps the current one) or another plan."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = str(user_input.get(CONF_API_KEY) or "").strip() or entry.data[CONF_API_KEY]
            self._cloud = {**user_input, CONF_API_KEY: api_key}
            if api_key != entry.data[CONF_API_KEY]:
                errors = await self._async_check_key_for_entry(entry, api_key)
            if not errors:
                if user_input[CONF_PLAN] == PLAN_CUSTOM:
                    self._cloud.update(
                        {k: v for k, v in entry.options.items() if k not in self._cloud}
                    )
                    return await self.async_step_custom_plan()
                return self._async_update_cloud_entry()
        return self.async_show_form(
            step_id="reconfigure_cloud",
            data_schema=api_key_schema(user_input or entry.options, key_required=False),
            errors=errors,
        )

    async def _async_check_key_for_entry(
        self, entry: ConfigEntry[Any], api_key: str
    ) -> dict[str, str]:
        """Validate a new key with the entry's (refreshed if needed) access token."""
        implementation = await async_get_config_entry_implementation(self.hass, entry)
        session = OAuth2Session(self.hass, entry, implementation)
        try:
            await session.async_ensure_token_valid()
        except OAuth2TokenRequestBaseError:
            return {"base": "cloud_auth_rejected"}
        systems, errors = await async_list_systems(
            self.hass, api_key, str(session.token["access_token"])
        )
        if systems is not None and all(s.system_id != entry.data[CONF_SYSTEM_ID] for s in systems):
            return {"base": "invalid_api_key"}
        return errors

    @callback
    def _async_update_cloud_entry(self) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        return self.async_update_reload_and_abort(
            entry,
            data_updates={CONF_API_KEY: self._cloud[CONF_API_KEY]},
            options=plan_options(self._cloud),
        )


class CloudOptionsFlow(OptionsFlowWithReload):
    """The API plan; the entry reloads with the new budget."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._chosen: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick a plan."""
        if user_input is not None:
            self._chosen = dict(user_input)
            if user_input[CONF_PLAN] == PLAN_CUSTOM:
                return await self.async_step_custom_plan()
            return self.async_create_entry(data=plan_options(user_input))
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_PLAN, default=self.config_entry.options.get(CONF_PLAN, DEFAULT_PLAN)
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=PLAN_OPTIONS,
                            translation_key="plan",
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_custom_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Limits of a plan without a name."""
        if user_input is not None:
            return self.async_create_entry(data=plan_options({**self._chosen, **user_input}))
        return self.async_show_form(
            step_id="custom_plan", data_schema=custom_plan_schema(self.config_entry.options)
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
