"""The description of a local sensor: HA's fields, the part it belongs to, and its value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.util import dt as dt_util

from .entity import LocalFields

type StateType = str | int | float | datetime | None

DIAGNOSTIC = EntityCategory.DIAGNOSTIC


def when(timestamp: float | None) -> datetime | None:
    """A gateway's report time (seconds since the epoch; 0 or None: never)."""
    return dt_util.utc_from_timestamp(timestamp) if timestamp else None


def enum(options: list[str]) -> dict[str, Any]:
    """The fields of an enum sensor with these ``options``."""
    return {"device_class": SensorDeviceClass.ENUM, "options": options}


def known(value: Any, options: list[str]) -> str | None:
    """``value`` in lower case if it is one of ``options``; otherwise unknown."""
    return text if (text := str(value).lower() if value is not None else None) in options else None


@dataclass(frozen=True, kw_only=True)
class EnvoySensorDescription(SensorEntityDescription, LocalFields):
    """A sensor reading ``value_fn(record)``."""

    value_fn: Callable[[Any], StateType]
    #: A lifetime counter: never shown going back unless the drop lasts (``CounterSensor``).
    counter: bool = False


#: The fields of a lifetime counter (mixed into an energy quantity).
COUNTER: dict[str, Any] = {"counter": True}
