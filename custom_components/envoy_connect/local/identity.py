"""A known gateway at a new address: take it, or ask the user first.

Anyone on the LAN can announce a gateway's serial (it is in every mDNS
announcement). The entry moves, and its token with it, only to an address
that presents the gateway's trusted TLS key. A new address with another key
is for the user to confirm in Repairs: a gateway that restarted with a renewed
certificate keeps its address (see ``EnvoyGateway``), so both changing at once
looks like a replaced gateway or an impostor, which only the user can tell apart.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from .. import issues
from ..api.pinning import async_presented_key
from ..const import CONF_GATEWAY_KEY


async def async_trusted_move(
    hass: HomeAssistant, entry: ConfigEntry[Any], host: str
) -> dict[str, Any] | None:
    """The entry updates for a move to ``host``, or None when it must not move now.

    Only a TLS handshake is made with ``host``: nothing is sent to it.
    """
    trusted = entry.data.get(CONF_GATEWAY_KEY)
    if not trusted:
        return {CONF_HOST: host}  # firmware < 7: no token, nothing secret to lose
    presented = await async_presented_key(host)
    if presented == trusted:
        return {CONF_HOST: host}
    if presented is None:
        return None  # no HTTPS there: not a gateway of firmware 7 or newer
    issues.async_show_problem(
        hass,
        entry,
        issues.GATEWAY_MOVED,
        {"host": host, "trusted": trusted, "presented": presented},
    )
    return None
