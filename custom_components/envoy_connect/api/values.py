"""Numbers and times from the cloud, checked once where they enter: usable, or None.

A value that is not finite, negative where it cannot be, or beyond anything a
site can produce would poison running totals for good (an infinite total is
stored as null; a negative interval makes a total decrease, which HA's
statistics read as a meter reset). Such a value becomes None (unknown), is
logged once per field, and counted for diagnostics.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

_LOGGER = logging.getLogger(__name__)

#: Far above any system Enlighten monitors (its largest commercial sites are a
#: few MW), far below anything that overflows a sum.
MAX_POWER_W = 1e8
#: One 5- or 15-minute interval of such a site.
MAX_INTERVAL_WH = MAX_POWER_W / 4
#: A lifetime of it: 100 MW for 100 years is about 8.8e13 Wh.
MAX_ENERGY_WH = 1e14
#: Timestamps outside these years are garbage (Enlighten started in 2008).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class ValueGuard:
    """Checks every number of one API client; remembers what it refused."""

    def __init__(self) -> None:
        """Nothing refused yet."""
        #: Refused values per field name, for diagnostics.
        self.rejected: Counter[str] = Counter()

    def number(self, value: Any, field: str, upper: float, *, lower: float = 0.0) -> float | None:
        """``value`` as a float within [lower, upper]; None when absent or refused."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._refuse(field, "not a number")
            return None
        number = float(value)
        if not math.isfinite(number) or not lower <= number <= upper:
            self._refuse(field, "out of range")
            return None
        return number

    def percent(self, value: Any, field: str) -> float | None:
        """A state of charge or similar: 0 to 100."""
        return self.number(value, field, 100.0)

    def count(self, value: Any, field: str) -> int | None:
        """A non-negative whole number (e.g. modules)."""
        number = self.number(value, field, 1e6)
        return int(number) if number is not None and number.is_integer() else None

    def timestamp(self, value: Any, field: str) -> datetime | None:
        """Epoch seconds as a UTC time between 2000 and 2100; None otherwise."""
        seconds = self.number(value, field, LATEST.timestamp(), lower=EARLIEST.timestamp())
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

    def _refuse(self, field: str, why: str) -> None:
        if not self.rejected[field]:
            _LOGGER.warning("Enlighten sent an unusable %s (%s); shown as unknown", field, why)
        self.rejected[field] += 1
