"""A gateway, its token manager and its HTTP session, built from Home Assistant's helpers.

Two kinds of sessions, on purpose: the gateway serves a self-signed
certificate, so each gateway gets a session of its own that skips TLS
verification; Enlighten requests keep full verification on HA's shared session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_CLOSE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.util.hass_dict import HassKey

from ..api import (
    LOCAL_ACCOUNTS,
    AuthState,
    EnlightenLogin,
    EnvoyGateway,
    GatewayCookieJar,
    SessionGuard,
    TokenManager,
)
from ..const import CONF_AUTH_STATE, CONF_GATEWAY_KEY, CONF_MFA, DOMAIN
from ..endpoints import enlighten_endpoints
from . import handoff

_ENLIGHTEN_SESSION: HassKey[aiohttp.ClientSession] = HassKey(f"{DOMAIN}_enlighten_session")


@callback
def enlighten_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """HA's session for Enlighten's login, without a cookie jar (TLS fully verified).

    Each login carries its own cookies explicitly (an MFA login's nonce among
    them): a shared jar would mix one account's pending login into another's.
    """
    if (session := hass.data.get(_ENLIGHTEN_SESSION)) is None:
        session = hass.data[_ENLIGHTEN_SESSION] = async_create_clientsession(
            hass, cookie_jar=aiohttp.DummyCookieJar(), auto_cleanup=False
        )

        @callback
        def _close(_event: Event) -> None:
            hass.data.pop(_ENLIGHTEN_SESSION, None)
            session.detach()

        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _close)
    return session


@callback
def enlighten_login(hass: HomeAssistant) -> EnlightenLogin:
    """The Enlighten login client (Enphase's hosts; the simulator's in development)."""
    return EnlightenLogin(enlighten_session(hass), enlighten_endpoints())


def token_manager(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    on_change: Callable[[AuthState], None] | None = None,
) -> TokenManager:
    """Token manager for the entry data (or flow input shaped the same way).

    The gateway's own digest accounts are never sent to Enlighten: after an
    update to firmware 7 they must lead to "Enlighten needed", not a rejection.
    A multi-factor account never logs in unattended: each login emails the user
    a code, so its token is renewed through the repair, with the user.
    """
    username = data.get(CONF_USERNAME)
    cloud_login = username not in LOCAL_ACCOUNTS
    silent_login = cloud_login and not data.get(CONF_MFA)
    return TokenManager(
        login=enlighten_login(hass),
        username=username if cloud_login else None,
        password=data.get(CONF_PASSWORD) if silent_login else None,
        state=AuthState.from_dict(data.get(CONF_AUTH_STATE)),
        on_change=on_change,
    )


def build_gateway(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    tokens: TokenManager,
    *,
    expected_serial: str | None,
    for_entry: bool,
) -> EnvoyGateway:
    """The gateway at ``data[CONF_HOST]``, on a session of its own.

    The session skips TLS verification (Envoys sign their own certificates) and
    pins the gateway's key instead (``CONF_GATEWAY_KEY``, trusted on first use);
    it keeps the gateway's cookies for its own address, caps every answer, and
    lets the gateway read the statuses pyenphase does not report.
    An entry's session is detached by HA on unload; a flow detaches its own.
    """
    guard = SessionGuard(pin=data.get(CONF_GATEWAY_KEY))
    session = async_create_clientsession(
        hass,
        verify_ssl=False,
        auto_cleanup=for_entry,
        cookie_jar=GatewayCookieJar(data[CONF_HOST]),
        trace_configs=[guard.trace_config],
        middlewares=[guard.middleware],
    )
    return EnvoyGateway(
        data[CONF_HOST],
        session,
        tokens,
        guard=guard,
        expected_serial=expected_serial,
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
    )


@asynccontextmanager
async def flow_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], *, expected_serial: str | None
) -> AsyncIterator[EnvoyGateway]:
    """A gateway for one validation in a flow; its login and session end with it."""
    tokens = token_manager(hass, data)
    gateway = build_gateway(hass, data, tokens, expected_serial=expected_serial, for_entry=False)
    try:
        yield gateway
    finally:
        tokens.cancel()
        if not handoff.async_is_offered(hass, gateway):
            gateway.close()
