"""A cloud set-up paused by HA's "Add application credentials" dialog.

When the flow aborts with ``missing_credentials``, HA's frontend opens that
dialog and, once the credentials are added, starts the flow again from its
first step. Remembering the pause lets the restarted flow go straight on to
the sign-in instead of asking "local or cloud?" a second time, and lets the
dialog show the redirect URL of the address the user is browsing: the dialog
asks for its texts over the websocket, which carries no address, while the
flow's own request does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN

#: A pause older than this is forgotten: the user did something else meanwhile.
PAUSE_VALID_S = 15 * 60


@dataclass(frozen=True, slots=True)
class _Pause:
    redirect_uri: str | None
    at: float


_PAUSE: HassKey[_Pause] = HassKey(f"{DOMAIN}_cloud_setup_paused")


def async_pause(hass: HomeAssistant) -> None:
    """The flow stops for application credentials; note where the browser is."""
    try:
        redirect: str | None = config_entry_oauth2_flow.async_get_redirect_uri(hass)
    except RuntimeError:  # no request in context (tests, or a flow started by code)
        redirect = None
    hass.data[_PAUSE] = _Pause(redirect, time.monotonic())


def _fresh(hass: HomeAssistant) -> _Pause | None:
    pause = hass.data.get(_PAUSE)
    if pause is None or time.monotonic() - pause.at > PAUSE_VALID_S:
        return None
    return pause


def paused_redirect_uri(hass: HomeAssistant) -> str | None:
    """The redirect URL the paused flow will use, if a flow is paused."""
    pause = _fresh(hass)
    return pause.redirect_uri if pause else None


async def async_resume(hass: HomeAssistant) -> bool:
    """True once, when a paused cloud set-up now has its credentials."""
    if _fresh(hass) is None:
        return False
    if not await config_entry_oauth2_flow.async_get_implementations(hass, DOMAIN):
        return False  # the dialog was closed without adding any: ask again
    del hass.data[_PAUSE]
    return True
