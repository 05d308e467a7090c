"""The gateway a flow has just validated, handed to the entry setup that follows.

Why: a flow validates by connecting, authenticating and reading every endpoint
once; the entry's setup, seconds later, would repeat all of it (ten to twenty
requests to a small gateway). The entry takes the validated gateway instead,
if it is fresh and for the same host; otherwise it connects as after a restart.
Only an entry whose data is exactly what the flow validated takes it (a flow
that ends otherwise, e.g. "already configured", must not lend its credentials
to the entry). Whatever no entry takes is closed after ``HANDOFF_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util.hass_dict import HassKey

from ..api import EnvoyGateway
from ..const import CONF_MAC, DOMAIN

#: Long enough for the entry's setup after the flow ends; short enough to hold nothing stale.
HANDOFF_SECONDS = 60


@dataclass(slots=True)
class _Offer:
    gateway: EnvoyGateway
    data: Mapping[str, Any]
    cancel_expiry: CALLBACK_TYPE


_OFFERS: HassKey[dict[str, _Offer]] = HassKey(f"{DOMAIN}_validated_gateways")


@callback
def async_offer(
    hass: HomeAssistant, serial: str, gateway: EnvoyGateway, data: Mapping[str, Any]
) -> None:
    """Keep a gateway validated with ``data`` (and its session) for the entry of ``serial``."""
    if (offers := hass.data.get(_OFFERS)) is None:
        offers = hass.data[_OFFERS] = {}

        @callback
        def _close_all(_event: Event) -> None:
            while offers:
                _close(offers.popitem()[1])

        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _close_all)
    _close(offers.pop(serial, None))

    @callback
    def _expire(_now: object) -> None:
        if (offer := offers.get(serial)) is not None and offer.gateway is gateway:
            del offers[serial]
            gateway.close()

    offers[serial] = _Offer(gateway, dict(data), async_call_later(hass, HANDOFF_SECONDS, _expire))


@callback
def async_is_offered(hass: HomeAssistant, gateway: EnvoyGateway) -> bool:
    """True while ``gateway`` waits for its entry (its session must stay open)."""
    return any(o.gateway is gateway for o in hass.data.get(_OFFERS, {}).values())


@callback
def async_take(hass: HomeAssistant, serial: str, data: Mapping[str, Any]) -> EnvoyGateway | None:
    """The gateway validated for ``serial`` with exactly ``data``, once; else None."""
    offer = hass.data.get(_OFFERS, {}).pop(serial, None)
    if offer is None:
        return None
    offer.cancel_expiry()
    if offer.data != {k: v for k, v in data.items() if k != CONF_MAC}:
        offer.gateway.close()
        return None
    return offer.gateway


def _close(offer: _Offer | None) -> None:
    if offer is not None:
        offer.cancel_expiry()
        offer.gateway.close()
