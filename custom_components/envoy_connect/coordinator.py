"""Polls the gateway and turns api errors into what Home Assistant should do.

The decision tables live in ``reasons``: an unreachable gateway or an
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
from homeassistant.util import dt as dt_util
from pyenphase import EnvoyData

from . import issues
from .api import AuthState, EnvoyConnectError, EnvoyGateway, FirmwareChange, LoginThrottled
from .const import CONF_AUTH_STATE, DEFAULT_SCAN_INTERVAL, DOMAIN
from .reasons import reauth_reason, update_error_key
from .renewal import TokenRenewalScheduler

if TYPE_CHECKING:
    from . import EnvoyConfigEntry

_LOGGER = logging.getLogger(__name__)


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
        self.renewal = TokenRenewalScheduler(hass, entry, gateway.tokens)
        #: Bumped on every firmware change, so platforms can compare what they created.
        self.firmware_generation = 0
        gateway.tokens.on_change = self._persist_auth_state

    async def _async_setup(self) -> None:
        """Read /info, authenticate and probe before the first refresh."""
        try:
            await self.gateway.async_connect()
        except EnvoyConnectError as err:
            self._raise_for(err)

    async def _async_update_data(self) -> EnvoyData:
        try:
            return await self.gateway.async_update()
        except EnvoyConnectError as err:
            self._raise_for(err)
        finally:
            # Also when the new firmware refuses our credentials (5 -> 7).
            if (change := self.gateway.firmware_change) is not None:
                self.gateway.firmware_change = None
                self._firmware_changed(change)

    def _raise_for(self, err: EnvoyConnectError) -> NoReturn:
        """Map an api error to UpdateFailed or ConfigEntryAuthFailed."""
        if (reason := reauth_reason(err)) is not None:
            self.config_entry.async_start_reauth(self.hass, data={"reauth_reason": reason})
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=f"reauth_{reason}"
            ) from err
        placeholders = {"host": self.gateway.host, "error": type(err).__name__}
        if isinstance(err, LoginThrottled):
            placeholders["until"] = dt_util.as_local(err.retry_at).strftime("%H:%M")
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=update_error_key(err),
            translation_placeholders=placeholders,
        ) from err

    @callback
    def _persist_auth_state(self, state: AuthState) -> None:
        """Write the token state into the entry at once, so a restart reuses it."""
        entry = self.config_entry
        if entry.data.get(CONF_AUTH_STATE) != state.as_dict():
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_AUTH_STATE: state.as_dict()}
            )
        self.renewal.async_reschedule()

    @callback
    def _firmware_changed(self, change: FirmwareChange) -> None:
        """Show the new version on the device and tell the user once."""
        entry = self.config_entry
        registry = dr.async_get(self.hass)
        # Devices belong to one entry since HA 2026.8: look ours up by entry.
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, str(entry.unique_id)), entry.entry_id
        ):
            registry.async_update_device(device.id, sw_version=change.new)
        issues.async_show_firmware_updated(self.hass, entry, change.old, change.new)
        self.firmware_generation += 1
