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
from homeassistant.util import dt as dt_util

from ..api import (
    EnlightenMfaRequired,
    EnvoyToken,
    GatewayIdentityChanged,
    GatewayUnreachable,
    MfaChallenge,
    TokenExpired,
    normalize_host,
)
from ..const import CONF_AUTH_STATE, CONF_GATEWAY_KEY, CONF_MFA
from ..outcomes import form_error
from . import handoff
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


def token_field(*, required: bool) -> dict[vol.Marker, Any]:
    """A pasted token (never pre-filled)."""
    marker = vol.Required if required else vol.Optional
    return {marker(CONF_TOKEN): _TOKEN}


@dataclass(frozen=True, slots=True)
class Validated:
    """What a successful validation learned and what to store."""

    serial: str
    firmware: str | None
    data: dict[str, Any]


async def async_validate(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    expected_serial: str | None = None,
    trusted_key: str | None = None,
) -> Validated:
    """Connect, authenticate and fetch once with the given input; raise api errors.

    ``trusted_key`` is the TLS key the gateway must present before anything
    secret is sent (None: a new gateway, whose key is then recorded).
    """
    data: dict[str, Any] = {CONF_HOST: normalize_host(str(user_input[CONF_HOST]))}
    if trusted_key:
        data[CONF_GATEWAY_KEY] = trusted_key
    for key in (CONF_USERNAME, CONF_PASSWORD):
        if value := str(user_input.get(key) or "").strip():
            data[key] = value
    auth: dict[str, Any] = {}
    if raw := str(user_input.get(CONF_TOKEN) or "").strip():
        token = EnvoyToken.parse(raw)
        token.check_serial(expected_serial)
        if token.is_expired(dt_util.utcnow()):
            raise TokenExpired("the pasted token has expired")
        auth["token"] = token.raw
    data[CONF_AUTH_STATE] = auth
    if user_input.get(CONF_MFA):
        data[CONF_MFA] = True

    async with flow_gateway(hass, data, expected_serial=expected_serial) as gateway:
        await gateway.async_connect()
        await gateway.async_update()
        if not gateway.serial:
            raise GatewayUnreachable("the gateway did not report a serial number")
        data[CONF_AUTH_STATE] = gateway.auth_state.as_dict()
        data.pop(CONF_GATEWAY_KEY, None)
        if gateway.uses_token_auth and gateway.identity:
            data[CONF_GATEWAY_KEY] = gateway.identity
        # The entry set up from this flow reads on with this gateway instead of starting over.
        handoff.async_offer(hass, gateway.serial, gateway, data)
        return Validated(gateway.serial, gateway.firmware, data)


@dataclass(frozen=True, slots=True)
class Validation:
    """``async_validate``'s result in a form's terms."""

    validated: Validated | None
    errors: dict[str, str]
    #: The key the host presented instead of the trusted one, for the user to confirm.
    presented_key: str | None = None
    #: A multi-factor login waiting for its one-time code.
    mfa: MfaChallenge | None = None


async def async_validate_for_form(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    expected_serial: str | None = None,
    trusted_key: str | None = None,
) -> Validation:
    """``async_validate`` with errors turned into form error keys (see ``outcomes``)."""
    try:
        return Validation(await async_validate(hass, user_input, expected_serial, trusted_key), {})
    except GatewayIdentityChanged as err:
        try:
            await _async_check_serial(hass, str(user_input[CONF_HOST]), expected_serial)
        except Exception as wrong:  # noqa: BLE001 -- every error becomes a form error
            return Validation(None, form_error(wrong, "identifying the gateway"))
        return Validation(None, form_error(err, ""), err.presented)
    except EnlightenMfaRequired as err:
        return Validation(None, form_error(err, ""), mfa=err.challenge)
    except Exception as err:  # noqa: BLE001 -- every error becomes a form error
        return Validation(None, form_error(err, "validating the gateway"))


async def _async_check_serial(hass: HomeAssistant, host: str, expected: str | None) -> None:
    """A host with an unknown key: is it at least the same gateway? (/info, nothing secret).

    Another serial is simply the wrong address; the same serial with another key
    is for the user to confirm.

    :raises GatewayMismatch: the host reports another serial.
    """
    data = {CONF_HOST: normalize_host(host), CONF_AUTH_STATE: {}}
    async with flow_gateway(hass, data, expected_serial=expected) as gateway:
        await gateway.async_identify()
