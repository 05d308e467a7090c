"""Polls the gateway; decides what a firmware change means for the entry.

What an api error means lives in ``outcomes``: an unreachable gateway or an
Enlighten outage makes entities unavailable and is retried; only a verdict on
the credentials starts reauth, with the reason the reauth form shows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from pyenphase import EnvoyData

from .. import issues
from ..api import EnvoyConnectError, EnvoyGateway, GatewayCapabilities
from ..api.cadence import UPDATE_INTERVAL
from ..const import CONF_GATEWAY_KEY, DOMAIN
from ..outcomes import outcome_of, raise_for

if TYPE_CHECKING:
    from . import LocalConfigEntry

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FirmwareChange:
    """The gateway came back with other firmware."""

    old: str
    new: str
    at: datetime


class EnvoyCoordinator(DataUpdateCoordinator[EnvoyData]):
    """One coordinator per gateway."""

    config_entry: LocalConfigEntry

    def __init__(self, hass: HomeAssistant, entry: LocalConfigEntry, gateway: EnvoyGateway) -> None:
        """Poll ``gateway`` every minute; each endpoint is read at its own pace (``cadence``)."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=UPDATE_INTERVAL),
        )
        self.gateway = gateway
        #: What the entities were created for; a change after a firmware update reloads.
        self.capabilities: GatewayCapabilities | None = None
        #: The latest firmware change seen while running (for the event entity).
        self.firmware_change: FirmwareChange | None = None
        #: The AC Batteries' sleep band chosen in its select, for the Sleep button.
        self.acb_sleep_band: str | None = None

    async def _async_setup(self) -> None:
        """Read /info and authenticate before the first refresh (which probes).

        A gateway a flow has just validated is connected already.
        """
        if self.gateway.has_read:
            return
        try:
            await self.gateway.async_connect()
        except EnvoyConnectError as err:
            raise_for(self.hass, self.config_entry, err, host=self.gateway.host)

    async def _async_update_data(self) -> EnvoyData:
        before = self.gateway.firmware
        try:
            data = await self.gateway.async_update()
        except EnvoyConnectError as err:
            raise_for(self.hass, self.config_entry, err, host=self.gateway.host)
        finally:
            # Also when the new firmware refuses our credentials (5 -> 7).
            if before and (after := self.gateway.firmware) and after != before:
                self._firmware_changed(before, after)
        self._follow_capabilities()
        self._remember_identity()
        return data

    @callback
    def _follow_capabilities(self) -> None:
        """Reload when the gateway now offers other data than the entities were made for.

        Checked after every good update, not only on the poll that saw the new
        firmware: the probe after an update may succeed a poll or two later.
        """
        now = self.gateway.capabilities
        if self.capabilities is None:
            self.capabilities = now
        elif now is not None and now != self.capabilities:
            _LOGGER.info("Gateway %s offers other data now; reloading", self.config_entry.title)
            self.capabilities = now
            self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    @callback
    def _remember_identity(self) -> None:
        """Store the gateway's TLS key: on first contact, or when the gateway renewed it."""
        entry = self.config_entry
        key = self.gateway.identity if self.gateway.uses_token_auth else None
        if key and entry.data.get(CONF_GATEWAY_KEY) != key:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_GATEWAY_KEY: key}
            )
        issues.async_clear(self.hass, entry, *issues.IDENTITY_KINDS)

    async def async_write(
        self, write: Callable[[EnvoyGateway], Awaitable[None]], entity_id: str
    ) -> None:
        """Change a setting once, then show what the gateway really has (also after a refusal).

        pyenphase changes some values in its data before it sends them; a fresh
        read replaces them with the gateway's, so no guess stays on screen.

        :raises HomeAssistantError: translated: which control, and why it failed.
        """
        try:
            await write(self.gateway)
        except EnvoyConnectError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=outcome_of(err).action or "write_failed",
                translation_placeholders={"entity": entity_id, "host": self.gateway.host},
            ) from err
        finally:
            # Not the debounced refresh: a second write within its cooldown must show too.
            await self.async_refresh()

    @callback
    def _firmware_changed(self, old: str, new: str) -> None:
        """Show the new version on the device and tell the event entity."""
        entry = self.config_entry
        registry = dr.async_get(self.hass)
        # Devices belong to one entry since HA 2026.8: look ours up by entry.
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, str(entry.unique_id)), entry.entry_id
        ):
            registry.async_update_device(device.id, sw_version=new)
        self.firmware_change = FirmwareChange(old, new, dt_util.utcnow())
        # Tell the event entity now: a failed update (new firmware, other credentials)
        # notifies no one, and a reload starts at once.
        self.async_update_listeners()
