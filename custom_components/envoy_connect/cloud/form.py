"""Forms and validation of the cloud steps: API key, plan, system.

The API key is validated with a real call (the systems list) on the access
token the OAuth step just produced; that call counts against the plan too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio as vol
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..api import PLANS, CloudSystemInfo, SystemsApi
from ..const import CONF_PER_MINUTE, CONF_PER_MONTH, CONF_PLAN, DEFAULT_PLAN, PLAN_CUSTOM
from ..endpoints import cloud_api_url
from ..outcomes import form_error
from .auth import StaticTokenAuth
from .budget import async_get_budget

PLAN_OPTIONS = [*PLANS, PLAN_CUSTOM]


def api_key_schema(defaults: Mapping[str, Any], *, key_required: bool) -> vol.Schema:
    """API key (never pre-filled) and the plan of the application."""
    key_marker = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    return vol.Schema(
        {
            key_marker: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            vol.Required(CONF_PLAN, default=defaults.get(CONF_PLAN, DEFAULT_PLAN)): SelectSelector(
                SelectSelectorConfig(
                    options=PLAN_OPTIONS, translation_key="plan", mode=SelectSelectorMode.LIST
                )
            ),
        }
    )


def custom_plan_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Limits of a plan we do not know by name."""
    return vol.Schema(
        {
            vol.Required(
                CONF_PER_MINUTE, default=defaults.get(CONF_PER_MINUTE, 10)
            ): NumberSelector(
                NumberSelectorConfig(min=1, max=10_000, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Optional(
                CONF_PER_MONTH, description={"suggested_value": defaults.get(CONF_PER_MONTH)}
            ): NumberSelector(
                NumberSelectorConfig(min=10, max=100_000_000, step=1, mode=NumberSelectorMode.BOX)
            ),
        }
    )


def plan_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The options to store for the plan the user chose."""
    options: dict[str, Any] = {CONF_PLAN: user_input.get(CONF_PLAN, DEFAULT_PLAN)}
    if options[CONF_PLAN] == PLAN_CUSTOM:
        options[CONF_PER_MINUTE] = int(user_input[CONF_PER_MINUTE])
        if user_input.get(CONF_PER_MONTH):
            options[CONF_PER_MONTH] = int(user_input[CONF_PER_MONTH])
    return options


def system_schema(systems: list[CloudSystemInfo]) -> vol.Schema:
    """Pick one of the user's systems."""
    return vol.Schema(
        {
            vol.Required("system_id"): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=str(s.system_id), label=f"{s.name} ({s.system_id})")
                        for s in systems
                    ],
                    mode=SelectSelectorMode.LIST,
                )
            )
        }
    )


async def async_list_systems(
    hass: HomeAssistant, api_key: str, access_token: str
) -> tuple[list[CloudSystemInfo] | None, dict[str, str]]:
    """The user's systems with this key and token, or form errors."""
    budget = await async_get_budget(hass, api_key)
    client = SystemsApi(
        StaticTokenAuth(async_get_clientsession(hass), access_token, cloud_api_url()),
        api_key,
        on_request=budget.count_request,
    )
    try:
        return await client.async_get_systems(), {}
    except Exception as err:  # noqa: BLE001 -- every error becomes a form error
        return None, form_error(err, "listing Enlighten systems")
