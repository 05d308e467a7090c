"""Request-budget arithmetic: every plan, month edges, and a month replayed cycle by cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.envoy_connect.api import PLANS, Plan, poll_interval
from custom_components.envoy_connect.api.budget import (
    MIN_INTERVAL,
    MONTHLY_SAFETY,
    cycles_left,
    month_end,
    month_key,
    next_minute,
    steady_interval,
)

NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)  # a 30-day month
THIRTY_DAYS = timedelta(days=30)


@pytest.mark.parametrize(
    ("plan", "per_cycle", "expected"),
    [
        ("watt", 1, THIRTY_DAYS / 900),  # 48 minutes
        ("watt", 3, THIRTY_DAYS * 3 / 900),  # 2 h 24 min
        ("kilowatt", 1, MIN_INTERVAL),  # 45,000 a month allows more than 5 minutes
        ("kilowatt", 3, MIN_INTERVAL),
        ("megawatt", 3, MIN_INTERVAL),
        # Partner: only 10,000 a month are free; the budget plans on those.
        ("partner", 1, MIN_INTERVAL),
        ("partner", 3, THIRTY_DAYS * 3 / 9_000),  # 14 min 24 s
    ],
)
def test_interval_per_plan(plan: str, per_cycle: int, expected: timedelta) -> None:
    assert poll_interval(PLANS[plan], per_cycle, 0, NOV_1) == expected


def test_kilowatt_with_many_entries_slows_down() -> None:
    """Ten systems on one Kilowatt application, 3 requests each."""
    interval = poll_interval(PLANS["kilowatt"], 30, 0, NOV_1)
    assert interval == THIRTY_DAYS * 30 / 45_000  # 28.8 minutes


def test_interval_spreads_what_is_left() -> None:
    """A burst early in the month is paid back by slower polling, not by a 429."""
    mid = NOV_1 + timedelta(days=15)
    on_track = poll_interval(PLANS["watt"], 1, 450, mid)
    behind = poll_interval(PLANS["watt"], 1, 600, mid)
    assert on_track == timedelta(days=15) / 450
    assert behind == timedelta(days=15) / 300
    assert behind > on_track


def test_nothing_left_waits_for_next_month() -> None:
    now = NOV_1 + timedelta(days=20, hours=3)
    assert poll_interval(PLANS["watt"], 1, 900, now) == month_end(now) - now
    assert poll_interval(PLANS["watt"], 3, 898, now) == month_end(now) - now
    assert cycles_left(PLANS["watt"], 3, 898) == 0
    assert cycles_left(PLANS["watt"], 1, 0) == 900
    assert cycles_left(Plan("custom", 300, None), 1, 10**6) is None
    assert cycles_left(PLANS["partner"], 1, 0) == 9_000


def test_per_minute_limit_is_never_planned_away() -> None:
    with pytest.raises(ValueError, match="per minute"):
        poll_interval(PLANS["watt"], 11, 0, NOV_1)
    assert poll_interval(Plan("custom", 20, None), 20, 0, NOV_1) == MIN_INTERVAL


def test_month_edges() -> None:
    dec = datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)
    assert month_end(dec) == datetime(2027, 1, 1, tzinfo=UTC)
    assert month_key(dec) == "2026-12"
    assert next_minute(dec) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_minute(datetime(2026, 11, 5, 10, 0, tzinfo=UTC)) == datetime(
        2026, 11, 5, 10, 1, tzinfo=UTC
    )


@pytest.mark.parametrize("plan", ["watt", "kilowatt", "megawatt"])
@pytest.mark.parametrize("per_cycle", [1, 2, 3])
@pytest.mark.parametrize("start_used", [0, 120])
def test_replayed_month_stays_under_90_percent(plan: str, per_cycle: int, start_used: int) -> None:
    """Poll at the computed interval from the 1st to the end of a 31-day month."""
    limits = PLANS[plan]
    assert limits.per_month is not None
    now, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    used = start_used
    while True:
        now += poll_interval(limits, per_cycle, used, now)
        if now >= end:
            break
        used += per_cycle
    assert used <= max(start_used, limits.per_month * MONTHLY_SAFETY)
    if plan == "watt":  # the free plan is used, not wasted
        assert used >= limits.per_month * MONTHLY_SAFETY - 2 * per_cycle


def test_steady_interval_ignores_the_calendar() -> None:
    """What a cycle may cost is decided on a whole month, not on the days left."""
    assert steady_interval(PLANS["watt"], 1) == timedelta(days=31) / 900
    assert steady_interval(PLANS["watt"], 2) > timedelta(hours=1)
    assert steady_interval(PLANS["kilowatt"], 3) == MIN_INTERVAL
    assert steady_interval(PLANS["partner"], 1) == MIN_INTERVAL
    assert steady_interval(Plan("custom", 300, None), 30) == MIN_INTERVAL
