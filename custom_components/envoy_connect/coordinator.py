"""Polls the gateway and turns api errors into what Home Assistant should do.

The decision table lives in ``_raise_for``: an unreachable gateway or an
Enlighten outage makes entities unavailable and is retried; only a verdict on
the credentials starts reauth, with the reason the reauth form shows.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, NoReturn

from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from pyenphase import EnvoyData

from .api import (
    AuthState,
    CredentialsRequired,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    EnvoyConnectError,
    EnvoyGateway,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayMismatch,
    GatewayUnreachable,
    InvalidToken,
)
from .const import CONF_AUTH_STATE, DEFAULT_SCAN_INTERVAL, DOMAIN

if TYPE_CHECKING:
    from . import EnvoyConfigEntry

_LOGGER = logging.getLogger(__name__)

#: Reauth reasons, each a translated explanation in the reauth form.
REAUTH_REASONS: dict[type[EnvoyConnectError], str] = {
    EnvoyTokenRejected: "token_rejected",
    InvalidToken: "token_rejected",
    EnlightenRejected: "credentials_rejected",
    GatewayAuthRejected: "credentials_rejected",
    EnlightenMfaRequired: "mfa_token_required",
    CredentialsRequired: "firmware_needs_enlighten",
}


#: Errors that only make entities unavailable until the next successful update.
UPDATE_ERRORS: dict[type[EnvoyConnectError], str] = {
    GatewayUnreachable: "cannot_connect",
    GatewayMismatch: "wrong_gateway",
    EnlightenUnavailable: "enlighten_unavailable",
}


def reauth_reason(err: EnvoyConnectError) -> str | None:
    """The reauth reason for an error, or None when it is not the user's to fix."""
    for kind, reason in REAUTH_REASONS.items():
        if isinstance(err, kind):
            return reason
    return None


class EnvoyCoordinator(DataUpdateCoordinator[EnvoyData]):
    """One coordinator per gateway."""

    config_entry: EnvoyConfigEntry

    def __init__(self, hass: HomeAssistant, entry: EnvoyConfigEntry, gateway: EnvoyGateway) -> None:
        """Poll ``gateway`` at the interval chosen in the options."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(
                seconds=entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
            ),
        )
        self.gateway = gateway
        gateway.tokens.on_change = self._persist_auth_state

    async def _async_setup(self) -> None:
        """Read /info, authenticate and probe before the first refresh."""
        try:
            await self.gateway.async_connect()
        except EnvoyConnectError as err:
            self._raise_for(err)

    async def _async_update_data(self) -> EnvoyData:
        try:
            data = await self.gateway.async_update()
        except EnvoyConnectError as err:
            self._raise_for(err)
        if (change := self.gateway.firmware_change) is not None:
            self.gateway.firmware_change = None
            self._update_device_firmware(change.new)
        return data

    def _raise_for(self, err: EnvoyConnectError) -> NoReturn:
        """Map an api error to UpdateFailed or ConfigEntryAuthFailed."""
        if (reason := reauth_reason(err)) is not None:
            self.config_entry.async_start_reauth(self.hass, data={"reauth_reason": reason})
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=f"reauth_{reason}"
            ) from err
        key = next(
            (key for kind, key in UPDATE_ERRORS.items() if isinstance(err, kind)),
            "unexpected_error",
        )
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"host": self.gateway.host, "error": type(err).__name__},
        ) from err

    @callback
    def _persist_auth_state(self, state: AuthState) -> None:
        """Write the token state into the entry at once, so a restart reuses it."""
        entry = self.config_entry
        if entry.data.get(CONF_AUTH_STATE) != state.as_dict():
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_AUTH_STATE: state.as_dict()}
            )

    @callback
    def _update_device_firmware(self, firmware: str) -> None:
        # Devices belong to one entry since HA 2026.8: look ours up by entry.
        entry = self.config_entry
        registry = dr.async_get(self.hass)
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, str(entry.unique_id)), entry.entry_id
        ):
            registry.async_update_device(device.id, sw_version=firmware)
