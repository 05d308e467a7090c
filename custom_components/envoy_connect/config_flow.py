"""The one Envoy Connect config flow: a gateway on the local network, or an Enlighten system.

The steps of each mode live with the mode (``local/flow.py``, ``cloud/flow.py``);
this class chooses between them and routes reauth and reconfigure by entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback

from .cloud import pending
from .cloud.flow import CloudFlow, CloudOptionsFlow
from .const import DOMAIN, is_cloud_entry_data
from .local.flow import LocalFlow


class EnvoyConnectConfigFlow(LocalFlow, CloudFlow, domain=DOMAIN):
    """Add an Envoy on the local network, or an Enlighten cloud system."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 3

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:
        """Options of a cloud system: its API plan."""
        return CloudOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Only cloud systems have options; a gateway's polling follows its data (no user rate)."""
        return is_cloud_entry_data(config_entry.data)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Local gateway or Enlighten cloud; straight on after adding application credentials."""
        if await pending.async_resume(self.hass):
            return await self.async_step_cloud()
        return self.async_show_menu(step_id="user", menu_options=["local", "cloud"])

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Credentials stopped working: the mode's own reauth."""
        if is_cloud_entry_data(entry_data):
            return await self.async_step_reauth_cloud()
        return await self._async_start_local_reauth(entry_data)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Host and credentials of a gateway, or API key and plan of a system."""
        if is_cloud_entry_data(self._get_reconfigure_entry().data):
            return await self.async_step_reconfigure_cloud()
        return await self._async_reconfigure_local(user_input)
