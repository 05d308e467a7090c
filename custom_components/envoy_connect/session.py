"""Sessions and clients built from Home Assistant's helpers.

Two kinds of sessions, on purpose: the gateway serves a self-signed
certificate, so each gateway gets a session of its own that skips TLS
verification; Enlighten requests keep full verification on HA's shared session.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import (
    async_create_clientsession,
    async_get_clientsession,
)

from .api import (
    API_URL,
    LOCAL_ACCOUNTS,
    AuthState,
    EnlightenClient,
    EnlightenEndpoints,
    EnvoyGateway,
    ResponseLog,
    TokenManager,
)
from .const import CONF_AUTH_STATE, DEV_CLOUD_URL_ENV

#: Development only (see const.DEV_CLOUD_URL_ENV); tests patch this name.
CLOUD_URL_OVERRIDE: str | None = os.environ.get(DEV_CLOUD_URL_ENV) or None


def enlighten_client(hass: HomeAssistant) -> EnlightenClient:
    """Enlighten token client on HA's verifying session."""
    endpoints = (
        EnlightenEndpoints.single(CLOUD_URL_OVERRIDE)
        if CLOUD_URL_OVERRIDE
        else EnlightenEndpoints()
    )
    return EnlightenClient(async_get_clientsession(hass), endpoints)


def cloud_api_url() -> str:
    """Base URL of the Enlighten Systems API and its OAuth endpoints."""
    return CLOUD_URL_OVERRIDE or API_URL


def gateway_session(
    hass: HomeAssistant, responses: ResponseLog, *, for_entry: bool
) -> aiohttp.ClientSession:
    """Session for one gateway: no TLS verification, cookies allowed for IP hosts.

    Its own session, so the trace hook sees only this gateway's answers. An
    entry's session is detached by HA on unload; a flow detaches its own.
    """
    return async_create_clientsession(
        hass,
        verify_ssl=False,
        auto_cleanup=for_entry,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        trace_configs=[responses.trace_config],
    )


def build_gateway(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    serial: str | None,
    for_entry: bool,
    on_auth_change: Callable[[AuthState], None] | None = None,
) -> EnvoyGateway:
    """Gateway for the entry data (or for flow input shaped the same way).

    The gateway's own digest accounts are never sent to Enlighten: after an
    update to firmware 7 they must lead to "Enlighten needed", not a rejection.
    """
    username = data.get(CONF_USERNAME)
    cloud_login = username not in LOCAL_ACCOUNTS
    tokens = TokenManager(
        serial=serial,
        client=enlighten_client(hass),
        username=username if cloud_login else None,
        password=data.get(CONF_PASSWORD) if cloud_login else None,
        state=AuthState.from_dict(data.get(CONF_AUTH_STATE)),
        on_change=on_auth_change,
    )
    responses = ResponseLog()
    return EnvoyGateway(
        data[CONF_HOST],
        gateway_session(hass, responses, for_entry=for_entry),
        tokens,
        responses=responses,
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
    )


@asynccontextmanager
async def flow_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], *, serial: str | None
) -> AsyncIterator[EnvoyGateway]:
    """A gateway for one validation in a flow; its session is detached afterwards."""
    gateway = build_gateway(hass, data, serial=serial, for_entry=False)
    try:
        yield gateway
    finally:
        gateway.tokens.cancel()
        gateway.session.detach()
