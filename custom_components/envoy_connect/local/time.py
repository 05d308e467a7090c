"""Times of a local gateway: when the generator's weekly exercise starts (beyond HA core)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pyenphase.const import SupportedFeatures

from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import GENERATOR
from .entity import EnvoyEntity, LocalFields, async_add_local_entities, has
from .records import generator_schedule


@dataclass(frozen=True, kw_only=True)
class _TimeDescription(TimeEntityDescription, LocalFields):
    """A time of the generator's schedule."""


EXERCISE_START = _TimeDescription(
    key="generator_exercise_start",
    translation_key="generator_exercise_start",
    entity_category=EntityCategory.CONFIG,
    part=GENERATOR,
    record_fn=generator_schedule,
    supported_fn=has(SupportedFeatures.GENERATOR_SCHEDULE),
)

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """The exercise start of a generator with a schedule."""
    async_add_local_entities(entry, async_add_entities, [EXERCISE_START], _time)


def _time(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> TimeEntity:
    return ExerciseStart(coordinator, description, part_id=part_id, device_info=info)


class ExerciseStart(EnvoyEntity, TimeEntity):
    """The gateway keeps minutes after midnight; HA shows a time of day."""

    @property
    def native_value(self) -> time | None:
        """The schedule's start."""
        minutes = self.record.exercise_start if self.record is not None else None
        return None if minutes is None else time(minutes // 60 % 24, minutes % 60)

    async def async_set_value(self, value: time) -> None:
        """Send the start in minutes after midnight."""
        minutes = value.hour * 60 + value.minute
        await self.coordinator.async_write(
            lambda g: g.async_update_generator_schedule(exercise_start=minutes), self.entity_id
        )
