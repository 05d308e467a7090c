"""The description of a local sensor: HA's fields, the part it belongs to, and its value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntityDescription

from .entity import LocalFields

type StateType = str | int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class EnvoySensorDescription(SensorEntityDescription, LocalFields):
    """A sensor reading ``value_fn(record)``."""

    value_fn: Callable[[Any], StateType]
