"""The cloud client's access tokens come from HA's OAuth2Session.

``async_ensure_token_valid`` refreshes at most once for concurrent callers,
persists the new token in the entry, and starts reauth on ``invalid_grant``.
"""

from __future__ import annotations

from typing import override

import aiohttp
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from ..api import AbstractAuth


class OAuth2SessionAuth(AbstractAuth):
    """AbstractAuth backed by an entry's OAuth2Session."""

    def __init__(
        self, websession: aiohttp.ClientSession, oauth_session: OAuth2Session, host: str
    ) -> None:
        """Requests go to ``host``; tokens come from ``oauth_session``."""
        super().__init__(websession, host)
        self._oauth_session = oauth_session

    @override
    async def async_get_access_token(self) -> str:
        """A valid access token, refreshed (and persisted) when needed."""
        await self._oauth_session.async_ensure_token_valid()
        return str(self._oauth_session.token["access_token"])

    async def async_invalidate(self) -> None:
        """Make the next call refresh the access token.

        The API refused a token HA still thinks valid (revoked, or rotated by
        another client); OAuth2Session only refreshes by expiry, so expire it.
        """
        session = self._oauth_session
        entry = session.config_entry
        token = {**entry.data["token"], "expires_at": 0}
        session.hass.config_entries.async_update_entry(entry, data={**entry.data, "token": token})


class StaticTokenAuth(AbstractAuth):
    """A token just obtained in the config flow, before any entry exists."""

    def __init__(self, websession: aiohttp.ClientSession, token: str, host: str) -> None:
        """Use ``token`` as is."""
        super().__init__(websession, host)
        self._token = token

    @override
    async def async_get_access_token(self) -> str:
        """The token as given."""
        return self._token
