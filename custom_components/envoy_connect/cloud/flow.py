"""Config flow steps of an Enlighten cloud system: authorize, API key and plan, system.

OAuth2 is HA's own (``AbstractOAuth2FlowHandler`` with the application
credentials the user added); the API key is validated with a real call on the
access token the authorization just produced.
"""

from __future__ import annotations

import logging
from typing import Any

import probatio as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import OAuth2TokenRequestBaseError
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2FlowHandler,
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig, SelectSelectorMode

from ..api import CloudSystemInfo
from ..const import CONF_ENL_UID, CONF_PLAN, CONF_SYSTEM_ID, DEFAULT_PLAN, PLAN_CUSTOM
from ..outcomes import form_error
from . import pending
from .form import (
    PLAN_OPTIONS,
    api_key_schema,
    async_list_systems,
    custom_plan_schema,
    plan_options,
    system_schema,
)

_LOGGER = logging.getLogger(__name__)


class CloudFlow(AbstractOAuth2FlowHandler):
    """The cloud steps of the one Envoy Connect config flow."""

    def __init__(self) -> None:
        """Nothing authorized yet."""
        super().__init__()
        self._oauth_data: dict[str, Any] = {}
        self._cloud: dict[str, Any] = {}
        self._systems: list[CloudSystemInfo] = []

    @property
    def logger(self) -> logging.Logger:
        """Logger of the OAuth2 steps."""
        return _LOGGER

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """OAuth2 with the application credentials the user added."""
        result = await self.async_step_pick_implementation()
        if result["type"] is FlowResultType.ABORT and result["reason"] == "missing_credentials":
            pending.async_pause(self.hass)  # HA's frontend asks for them, then restarts us
        return result

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Authorized: on to the API key (unless a sibling entry has it), or finish a reauth."""
        self._oauth_data = data
        if self.source == SOURCE_REAUTH:
            return await self._async_finish_cloud_reauth()
        if (sibling := self._sibling_entry()) is not None:
            systems, _ = await async_list_systems(
                self.hass, sibling.data[CONF_API_KEY], self._access_token()
            )
            if systems is not None:
                self._systems = systems
                self._cloud = {**sibling.options, CONF_API_KEY: sibling.data[CONF_API_KEY]}
                return await self.async_step_system()
        return await self.async_step_api_key()

    def _sibling_entry(self) -> ConfigEntry[Any] | None:
        """A system already added with the same application: its key and plan apply.

        Each system keeps its own authorization (Enphase issues a new refresh
        token with every refresh, so two entries cannot share one); the key and
        the plan belong to the application and need not be asked again.
        """
        implementation = self._oauth_data.get("auth_implementation")
        return next(
            (
                entry
                for entry in self._async_current_entries(include_ignore=False)
                if entry.data.get("auth_implementation") == implementation
                and entry.data.get(CONF_API_KEY)
            ),
            None,
        )

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
                self._systems = systems
                self._cloud = {**user_input, CONF_API_KEY: user_input[CONF_API_KEY].strip()}
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
        """Which system, of those not added yet; skipped when only one is left."""
        added = {entry.unique_id for entry in self._async_current_entries(include_ignore=False)}
        left = [s for s in self._systems if f"cloud_{s.system_id}" not in added]
        if not left:
            return self.async_abort(reason="all_systems_added" if self._systems else "no_systems")
        if user_input is None and len(left) > 1:
            return self.async_show_form(step_id="system", data_schema=system_schema(left))
        wanted = str(user_input["system_id"]) if user_input else str(left[0].system_id)
        system = next(s for s in left if str(s.system_id) == wanted)
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
        except OAuth2TokenRequestBaseError as err:
            return form_error(err, "refreshing the token to check the key")
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
            description_placeholders={"name": self.config_entry.title},
        )

    async def async_step_custom_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Limits of a plan without a name."""
        if user_input is not None:
            return self.async_create_entry(data=plan_options({**self._chosen, **user_input}))
        return self.async_show_form(
            step_id="custom_plan",
            data_schema=custom_plan_schema(self.config_entry.options),
            description_placeholders={"name": self.config_entry.title},
        )
