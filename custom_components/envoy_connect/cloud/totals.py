"""Running values from the cloud: interval lengths read from the series, totals that never fall.

HA's statistics take any decrease of a ``total_increasing`` sensor for a meter
reset and book the whole total again; the cloud has no meter to reset, so a
lower value is always a glitch of the answer and the total keeps its level.
"""

from __future__ import annotations

import logging
import math
from itertools import pairwise
from typing import Any

from ..api import CloudSummary, Interval

_LOGGER = logging.getLogger(__name__)

#: Consumption-meter and battery telemetry come in 15-minute intervals (System API
#: swagger: "each interval is of 15 mins duration"; see simulator/cloud.py).
DEFAULT_INTERVAL_S = 900
#: Interval ends are aligned to 5 minutes (production_micro's granularity).
SHORTEST_INTERVAL_S = 300
#: Stored numbers that must be finite and non-negative to be trusted.
_STORED_TOTALS = ("energy", "lifetime")


def interval_length(intervals: list[Interval], previous_end: int | None, known: int | None) -> int:
    """The series' interval length: the shortest step between interval ends seen so far.

    One new interval per poll is the normal case, so the step from the last
    interval we had counts too. A gap (the meter was offline) is a multiple of
    the length and never the shortest step for long.
    """
    ends = [previous_end] if previous_end is not None else []
    ends += [i.end_at for i in intervals]
    steps = [later - earlier for earlier, later in pairwise(ends)]
    return max(SHORTEST_INTERVAL_S, min([known or DEFAULT_INTERVAL_S, *steps]))


def average_power(energy_wh: float | None, length_s: int) -> float | None:
    """Average power over one interval, from its energy."""
    return None if energy_wh is None else round(energy_wh * 3600 / length_s, 1)


def never_less(previous: float | None, new: float | None) -> float | None:
    """A total: the new value unless it is lower (or unknown)."""
    if new is None:
        return previous
    if previous is not None and new < previous:
        _LOGGER.debug("A cloud total fell from %s to %s; keeping %s", previous, new, previous)
        return previous
    return new


def lifetime_production(summary: CloudSummary) -> float | None:
    """Lifetime energy including today.

    ``energy_lifetime`` counts "till one day before the requested summary date"
    (System API swagger); without today's energy the total is flat all day and
    jumps after midnight, which the Energy dashboard books into one hour.
    """
    if summary.energy_lifetime is None:
        return None
    return summary.energy_lifetime + (summary.energy_today or 0.0)


def clean_stored(state: dict[str, Any]) -> dict[str, Any]:
    """Stored telemetry state without totals that cannot be right (e.g. null after an overflow).

    Such a total starts again from the next interval: better one reset than a
    sensor that fails on every poll.
    """
    for kind_state in state.values():
        if not isinstance(kind_state, dict):
            continue
        for key in _STORED_TOTALS:
            value = kind_state.get(key)
            if key in kind_state and not (
                isinstance(value, int | float) and math.isfinite(value) and value >= 0
            ):
                _LOGGER.warning("Dropping an unusable stored cloud total (%s)", key)
                del kind_state[key]
    return state
