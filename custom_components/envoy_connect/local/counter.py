"""Lifetime counters that never go back on a glitch.

HA's statistics take a ``total_increasing`` sensor that falls below 90 % of
its last value for a meter reset, and book a smaller fall as negative energy.
One glitch (a gateway answering 0 while it starts, a LAN peer posing as a
legacy gateway) would book the whole lifetime again into one hour of the
Energy dashboard when the value comes back. So a counter shows its highest
reading until a drop has lasted ``RESET_PROOF`` *and* is one HA takes for a
reset; a smaller drop is held until the counter passes its old high.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

#: Lower readings for this long, one after the other, make a true reset (a
#: replaced meter, a firmware update that restarts it) ...
RESET_PROOF = timedelta(hours=1)
#: ... without a gap longer than this between them (an outage proves nothing).
LOW_READINGS_GAP = timedelta(minutes=10)
#: HA's own reset threshold (``sensor.recorder.reset_detected``).
HA_RESET_SHARE = 0.9

type Reading = int | float


class Change(StrEnum):
    """What a reading did to the counter, when it is worth telling."""

    DROP = "drop"
    RESET = "reset"


class HeldCounter:
    """The highest reading of one counter, until a drop proves to be a reset."""

    def __init__(self) -> None:
        """No reading yet."""
        self.highest: Reading | None = None
        self._low_since: datetime | None = None
        self._low_last: datetime | None = None

    def restore(self, value: Reading) -> None:
        """Take a reading kept from before a restart, if it is higher."""
        if self.highest is None or value > self.highest:
            self.highest = value

    def read(self, value: Reading, now: datetime) -> tuple[Reading, Change | None]:
        """What to show for ``value`` read at ``now``; whether a drop began or proved a reset."""
        highest = self.highest
        if highest is None or value >= highest:
            self.highest, self._low_since = value, None
            return value, None
        change = None
        if (
            self._low_since is None
            or self._low_last is None
            or (now - self._low_last > LOW_READINGS_GAP)
        ):
            self._low_since, change = now, Change.DROP
        self._low_last = now
        if now - self._low_since >= RESET_PROOF and value < HA_RESET_SHARE * highest:
            self.highest, self._low_since = value, None
            return value, Change.RESET
        return highest, change
