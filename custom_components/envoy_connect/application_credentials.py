"""Enlighten Systems API v4: where users authorize, and how tokens are requested.

Enphase wants the client id and secret in an HTTP Basic header on the token
endpoint. HA's default local implementation sends them in the form body, so
this module provides its own implementation that overrides only the token
request and leaves authorize URL, state handling and refresh bookkeeping to HA.
"""

from __future__ import annotations

import json
from typing import Any, override

import aiohttp
from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .api.http import read_bounded
from .cloud import pending
from .endpoints import cloud_api_url

DEVELOPER_PORTAL = "https://developer-v4.enphase.com"
CALLBACK_PATH = "/auth/external/callback"


class EnphaseOAuth2Implementation(AuthImplementation):
    """Token requests with HTTP Basic client authentication."""

    @override
    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """POST to the token endpoint; the secret only ever travels in the header.

        Enphase's documentation passes the grant parameters in the query string,
        RFC 6749 in the form body; they go in both so either reading works.
        Errors surface as aiohttp errors, which HA maps to reauth (4xx) or retry.
        """
        session = async_get_clientsession(self.hass)
        resp = await session.post(
            self.token_url,
            params=data,
            data=data,
            # A redirect would only resend the grant elsewhere, and aiohttp's error for an
            # endless one names the URL, grant included; a token endpoint never redirects.
            allow_redirects=False,
            headers={
                "Authorization": aiohttp.encode_basic_auth(self.client_id, self.client_secret)
            },
        )
        async with resp:
            if resp.status >= 400:
                # aiohttp's own error would carry the URL (grant in its query) and
                # the Basic header; HA logs and keeps that error: name only the endpoint.
                endpoint = URL(self.token_url).with_query(None)
                raise aiohttp.ClientResponseError(
                    aiohttp.RequestInfo(endpoint, "POST", CIMultiDictProxy(CIMultiDict())),
                    (),
                    status=resp.status,
                    message=resp.reason or "",
                )
            return _token(await read_bounded(resp))


def _token(body: bytes) -> dict[str, Any]:
    """The token answer, or a ClientError HA treats as "no usable answer".

    HA aborts the flow ("oauth_failed") or retries later for a ClientError; an
    HTML page must not crash the flow, and an answer without ``expires_in``
    must not reach HA's "Invalid token" warning, which would log the token.
    """
    try:
        token = json.loads(body)
    except ValueError:
        raise aiohttp.ClientPayloadError("the token endpoint answered no JSON") from None
    if (
        not isinstance(token, dict)
        or not isinstance(token.get("access_token"), str)
        or not isinstance(token.get("expires_in"), (int, float))
    ):
        raise aiohttp.ClientPayloadError("the token endpoint answered no usable token")
    return token


def authorization_server() -> AuthorizationServer:
    """Enphase's OAuth endpoints (the simulator's in development)."""
    base = cloud_api_url()
    return AuthorizationServer(
        authorize_url=f"{base}/oauth/authorize", token_url=f"{base}/oauth/token"
    )


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> config_entry_oauth2_flow.AbstractOAuth2Implementation:
    """Our implementation for every credential the user added."""
    return EnphaseOAuth2Implementation(hass, auth_domain, credential, authorization_server())


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the user where to create the application and what to register."""
    return {
        "developer_portal": f"{DEVELOPER_PORTAL}/admin/applications",
        "redirect_url": _redirect_uri(hass),
        "more_info_url": f"{DEVELOPER_PORTAL}/docs/quickstart.html",
    }


def _redirect_uri(hass: HomeAssistant) -> str:
    """The redirect URL the sign-in will use.

    The credentials dialog asks over the websocket, which carries no frontend
    URL: the paused flow knows the address the user browses; without one, use
    the URL HA knows itself by.
    """
    try:
        return config_entry_oauth2_flow.async_get_redirect_uri(hass)
    except RuntimeError:
        pass
    if redirect := pending.paused_redirect_uri(hass):
        return redirect
    try:
        return f"{get_url(hass, allow_cloud=False)}{CALLBACK_PATH}"
    except NoURLAvailableError:
        return f"<your Home Assistant URL>{CALLBACK_PATH}"
