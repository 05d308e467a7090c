"""Request budget for the Enlighten Systems API: never break the plan.

Pure arithmetic, no I/O: which plan allows what, how far apart requests must
be so the rest of the month fits into 90 % of the plan, and when to try again
after a 429.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: Plan the month so this share of the monthly cap is used at most.
MONTHLY_SAFETY = 0.9
#: Never poll faster than this: telemetry has 5-minute intervals.
MIN_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Plan:
    """Limits of an API plan; ``per_month`` None means no monthly cap."""

    key: str
    per_minute: int
    per_month: int | None


PLANS: dict[str, Plan] = {
    "watt": Plan("watt", 10, 1_000),
    "kilowatt": Plan("kilowatt", 50, 50_000),
    "megawatt": Plan("megawatt", 100, 300_000),
    # Partner: 300/min and 1,500,000/month, but only the first 10,000 hits are
    # free, then $0.005 each (Enphase developer portal plans); the budget plans
    # on the free part. A custom plan spends more, knowingly.
    "partner": Plan("partner", 300, 10_000),
}


def month_key(now: datetime) -> str:
    """The budget month (UTC calendar month) that ``now`` falls in."""
    return now.astimezone(UTC).strftime("%Y-%m")


def month_end(now: datetime) -> datetime:
    """Start of the next UTC month: when the monthly count starts over."""
    now = now.astimezone(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def next_minute(now: datetime) -> datetime:
    """Start of the next minute: when a per-minute limit is lifted."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def poll_interval(plan: Plan, requests_per_cycle: int, used: int, now: datetime) -> timedelta:
    """Time between update cycles so the month stays within 90 % of the plan.

    The interval spreads what is left of the budget over what is left of the
    month, so a burst (restarts, reauth) is paid back by slower polling rather
    than by a 429 at the end of the month. ``requests_per_cycle`` is the sum
    over every entry sharing the application's plan.
    """
    per_cycle = max(1, requests_per_cycle)
    # A cycle's requests go out together: they must fit into one minute.
    if per_cycle > plan.per_minute:
        raise ValueError(f"{per_cycle} requests per cycle exceed {plan.per_minute} per minute")
    if plan.per_month is None:
        return MIN_INTERVAL
    left = int(plan.per_month * MONTHLY_SAFETY) - used
    remaining = month_end(now) - now
    if left < per_cycle:
        return remaining  # nothing left: wait for the new month
    return max(MIN_INTERVAL, remaining * per_cycle / left)


def steady_interval(plan: Plan, requests_per_cycle: int) -> timedelta:
    """The interval over a whole 31-day month from a fresh count.

    Deciding what to fetch from this (and not from what happens to be left
    this month) keeps the entity set the same from one month to the next.
    """
    if plan.per_month is None:
        return MIN_INTERVAL
    month = timedelta(days=31)
    return max(MIN_INTERVAL, month * max(1, requests_per_cycle) / (plan.per_month * MONTHLY_SAFETY))


def cycles_left(plan: Plan, requests_per_cycle: int, used: int) -> int | None:
    """How many more full cycles the month allows (None: unlimited)."""
    if plan.per_month is None:
        return None
    return max(0, (int(plan.per_month * MONTHLY_SAFETY) - used) // max(1, requests_per_cycle))
