"""What the gateway offers (pyenphase's probe), and when to ask it again.

pyenphase takes an endpoint that answered 503 or nothing for one the gateway
lacks. Right after a reboot (every firmware update reboots) some endpoints
answer "Resource busy" for minutes, and a probe then would drop batteries or
meters until the next restart. So a probe that met a busy gateway is repeated
after a wait, and only a first probe is taken as it is (entities must exist);
a later full probe replaces it, and the coordinator reloads if that changes
what the gateway offers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from pyenphase import Envoy
from pyenphase.const import SupportedFeatures

_LOGGER = logging.getLogger(__name__)

#: Seconds before probing again after a probe that met a busy gateway (the last repeats).
REPROBE_DELAYS = (60, 300, 900, 3600, 6 * 3600)


@dataclass(frozen=True, slots=True)
class GatewayCapabilities:
    """What the last probe found the gateway to offer; entities follow from it."""

    features: SupportedFeatures
    meters: tuple[str, ...]
    phases: int

    @classmethod
    def of(cls, envoy: Envoy) -> GatewayCapabilities:
        """Read pyenphase's probe results."""
        return cls(
            features=envoy.supported_features,
            meters=tuple(str(m) for m in envoy.ct_meter_list),
            phases=envoy.phase_count,
        )


class ProbeSchedule:
    """Whether a probe is due, and whether to adopt what one found."""

    def __init__(self, host: str) -> None:
        """Nothing probed yet; the first update probes (pyenphase does)."""
        self._host = host
        self._needed = False
        self._retries = 0
        self._retry_at: float | None = None

    def need(self) -> None:
        """Probe at the next chance (firmware changed, or the last probe found nothing)."""
        self._needed = True

    @property
    def due(self) -> bool:
        """A probe should run before the next read."""
        return self._needed or (self._retry_at is not None and time.monotonic() >= self._retry_at)

    def done(self, busy: set[str], first: bool) -> bool:
        """A probe finished; ``busy``: paths that answered 5xx or nothing. True: adopt it."""
        self._needed = False
        if not busy:
            self._retries, self._retry_at = 0, None
            return True
        delay = REPROBE_DELAYS[min(self._retries, len(REPROBE_DELAYS) - 1)]
        self._retries += 1
        self._retry_at = time.monotonic() + delay
        _LOGGER.debug(
            "Gateway %s was busy at %s while probed; probing again in %s s",
            self._host,
            ", ".join(sorted(busy)),
            delay,
        )
        return first
