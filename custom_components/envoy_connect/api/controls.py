"""Settings a user may change on the gateway, through pyenphase's own write methods.

One wrapper for all of them turns what pyenphase raises into typed errors: the
gateway's 401/403 (with an owner token, the sign that installer rights are
needed), a refused value (4xx, or pyenphase's own range checks), a control the
gateway does not offer, or the gateway being away. Nothing is retried: a write
happens once, and the caller reads the gateway's real state afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from pyenphase.exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyFeatureNotAvailable,
    EnvoyHTTPStatusError,
)
from pyenphase.models.dry_contacts import DryContactAction, DryContactMode
from pyenphase.models.tariff import EnvoyStorageMode

from .cadence import CadencedEnvoy
from .errors import (
    GatewayUnreachable,
    WriteForbidden,
    WriteNeedsInstaller,
    WriteRejected,
    WriteUnsupported,
)
from .failures import TRANSPORT_ERRORS
from .token import TokenKind

#: Upper bound for one write; the gateway answers a write within seconds.
WRITE_TIMEOUT = 60


class GatewayControls:
    """The write methods of :class:`~.gateway.EnvoyGateway`."""

    envoy: CadencedEnvoy

    def _token_kind(self) -> TokenKind | None:
        raise NotImplementedError

    async def _write(self, call: Awaitable[Any]) -> None:
        """Send one write; raise a ``Write*`` error or ``GatewayUnreachable`` if it failed."""
        # Applied or not, what we kept of the settings may be stale: read all again.
        self.envoy.forget()
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                await call
        except EnvoyFeatureNotAvailable as err:
            raise WriteUnsupported("the gateway does not offer this control") from err
        except EnvoyAuthenticationRequired as err:
            if self._token_kind() is TokenKind.OWNER:
                raise WriteNeedsInstaller("refused to an owner token") from err
            raise WriteForbidden("refused with the credentials in use") from err
        except EnvoyHTTPStatusError as err:
            if 400 <= err.status_code < 500:
                raise WriteRejected(f"the gateway answered {err.status_code}") from err
            raise GatewayUnreachable(f"the gateway answered {err.status_code}") from err
        except (ValueError, TypeError, KeyError) as err:
            raise WriteRejected(f"not accepted: {type(err).__name__}") from err
        except TRANSPORT_ERRORS as err:
            raise GatewayUnreachable(f"write failed: {type(err).__name__}") from err

    # -- batteries ------------------------------------------------------------------
    async def async_set_storage_mode(self, mode: str) -> None:
        """Backup, self-consumption or savings ("economy" in the gateway's words).

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.set_storage_mode(EnvoyStorageMode(mode)))

    async def async_set_reserve_soc(self, percent: int) -> None:
        """The share of the battery kept for outages.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        if not 0 <= percent <= 100:
            raise WriteRejected("the reserve must be between 0 and 100 %")
        await self._write(self.envoy.set_reserve_soc(percent))

    async def async_set_charge_from_grid(self, on: bool) -> None:
        """Whether the batteries may charge from the grid.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        call = self.envoy.enable_charge_from_grid if on else self.envoy.disable_charge_from_grid
        await self._write(call())

    async def async_set_acb_sleep(self, serials: list[str], low: int, high: int) -> None:
        """Send AC Batteries to sleep within a state-of-charge band.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        configs = [{"serial_num": s, "sleep_min_soc": low, "sleep_max_soc": high} for s in serials]
        await self._write(self.envoy.set_acb_sleep(configs))

    async def async_wake_acb(self, serials: list[str]) -> None:
        """Wake AC Batteries.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.clear_acb_sleep(serials))

    # -- grid and relays (Enpower) ----------------------------------------------------------
    async def async_set_grid_connected(self, on: bool) -> None:
        """Connect the site to the grid, or island it.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.go_on_grid() if on else self.envoy.go_off_grid())

    async def async_set_relay(self, relay: str, closed: bool) -> None:
        """Close or open a dry-contact relay.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        call = self.envoy.close_dry_contact if closed else self.envoy.open_dry_contact
        await self._write(call(relay))

    async def async_update_relay(self, relay: str, **changes: Any) -> None:
        """Change a relay's settings (mode, actions, battery levels).

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        for key in ("mode",):
            if key in changes:
                changes[key] = DryContactMode(changes[key])
        for key in ("grid_action", "micro_grid_action", "generator_action"):
            if key in changes:
                changes[key] = DryContactAction(changes[key])
        await self._write(self.envoy.update_dry_contact({"id": relay, **changes}))

    # -- generator -------------------------------------------------------------------
    async def async_set_generator_mode(self, mode: str) -> None:
        """Off, on or automatic.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.set_generator_mode(mode))

    async def async_set_charge_from_generator(self, on: bool) -> None:
        """Whether the batteries may charge from the generator.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.set_generator_charge_from_generator(on))

    async def async_update_generator_schedule(self, **changes: Any) -> None:
        """Exercise day, start, duration and frequency, and the start/stop battery levels.

        :raises WriteRefused: the gateway did not apply it.
        :raises GatewayUnreachable: the gateway did not answer.
        """
        await self._write(self.envoy.update_generator_schedule(changes))
