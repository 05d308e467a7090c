"""The credentials form and its validation, shared by every flow that asks for them.

The config flow (user, reconfigure, reauth) and the token repair flows show
the same fields and validate the same way before anything is saved: read
/info, authenticate as the firmware wants, fetch once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import probatio as vol
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from ..api import EnvoyToken, GatewayUnreachable
from ..const import CONF_AUTH_STATE
from ..outcomes import form_error
from .session import flow_gateway

TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD, multiline=False))


def credentials_schema(defaults: Mapping[str, Any]) -> dict[vol.Marker, Any]:
    """Username (pre-filled), password and token; secrets are never pre-filled."""
    return {
        vol.Optional(
            CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}
        ): TEXT,
        vol.Optional(CONF_PASSWORD): _PASSWORD,
        vol.Optional(CONF_TOKEN): _TOKEN,
    }


def token_schema() -> dict[vol.Marker, Any]:
    """Token only: multi-factor accounts cannot log in for us."""
    return {vol.Required(CONF_TOKEN): _TOKEN}


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

    async with flow_gateway(hass, data, expected_serial=expected_serial) as gateway:
        await gateway.async_connect()
        await gateway.async_update()
        if not gateway.serial:
            raise GatewayUnreachable("the gateway did not report a serial number")
        data[CONF_AUTH_STATE] = gateway.auth_state.as_dict()
        return Validated(gateway.serial, gateway.firmware, data)


async def async_validate_with_errors(
    hass: HomeAssistant, user_input: Mapping[str, Any], expected_serial: str | None = None
) -> tuple[Validated | None, dict[str, str]]:
    """``async_validate`` with errors turned into form error keys (see ``outcomes``)."""
    try:
        return await async_validate(hass, user_input, expected_serial), {}
    except Exception as err:  # noqa: BLE001 -- every error becomes a form error
        return None, form_error(err, "validating the gateway")
