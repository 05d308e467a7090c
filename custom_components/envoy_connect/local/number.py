"""Numbers of a local gateway: battery reserve, relay battery levels, the generator's schedule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pyenphase.const import SupportedFeatures

from ..api import EnvoyGateway
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import GATEWAY, GENERATOR, RELAY
from .entity import EnvoyEntity, LocalFields, async_add_local_entities, has, has_all
from .records import generator_schedule, relay_settings, storage_settings


@dataclass(frozen=True, kw_only=True)
class EnvoyNumberDescription(NumberEntityDescription, LocalFields):
    """A number: its value from the record, its change through the gateway."""

    value_fn: Callable[[Any], float | None]
    set_fn: Callable[[EnvoyGateway, str, int], Awaitable[None]]


_LEVEL: dict[str, Any] = {
    "native_unit_of_measurement": PERCENTAGE,
    "native_min_value": 0,
    "native_max_value": 100,
    "native_step": 1,
    "device_class": NumberDeviceClass.BATTERY,
    "mode": NumberMode.SLIDER,
}


def _relay_level(key: str, translation_key: str) -> EnvoyNumberDescription:
    return EnvoyNumberDescription(
        key=key,
        translation_key=translation_key,
        part=RELAY,
        record_fn=relay_settings,
        value_fn=lambda r: getattr(r, key),
        set_fn=lambda g, relay, value: g.async_update_relay(relay, **{key: value}),
        entity_category=EntityCategory.CONFIG,
        **_LEVEL,
    )


def _schedule(key: str, look: dict[str, Any]) -> EnvoyNumberDescription:
    return EnvoyNumberDescription(
        key=f"generator_{key}",
        translation_key=f"generator_{key}",
        part=GENERATOR,
        record_fn=generator_schedule,
        supported_fn=has(SupportedFeatures.GENERATOR_SCHEDULE),
        value_fn=lambda s: getattr(s, key),
        set_fn=lambda g, _, value: g.async_update_generator_schedule(**{key: value}),
        entity_category=EntityCategory.CONFIG,
        **look,
    )


NUMBERS: tuple[EnvoyNumberDescription, ...] = (
    EnvoyNumberDescription(
        key="reserve_soc",
        translation_key="reserve_soc",
        part=GATEWAY,
        record_fn=storage_settings,
        supported_fn=has_all(SupportedFeatures.ENCHARGE, SupportedFeatures.TARIFF),
        value_fn=lambda s: s.reserved_soc,
        set_fn=lambda g, _, value: g.async_set_reserve_soc(value),
        **_LEVEL,
    ),
    _relay_level("soc_low", "cutoff_battery_level"),
    _relay_level("soc_high", "restore_battery_level"),
    # Beyond HA core: the generator's schedule, within the limits pyenphase enforces.
    _schedule("default_start_soc", _LEVEL),
    _schedule("default_stop_soc", _LEVEL),
    _schedule(
        "exercise_freq_in_weeks",
        {
            "native_unit_of_measurement": UnitOfTime.WEEKS,
            "native_min_value": 1,
            "native_max_value": 4,
            "native_step": 1,
            "mode": NumberMode.BOX,
        },
    ),
    _schedule(
        "exercise_duration",
        {
            "native_unit_of_measurement": UnitOfTime.MINUTES,
            "native_min_value": 10,
            "native_max_value": 60,
            "native_step": 10,
            "device_class": NumberDeviceClass.DURATION,
            "mode": NumberMode.BOX,
        },
    ),
)

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Numbers of every part that has them."""
    async_add_local_entities(entry, async_add_entities, NUMBERS, _number)


def _number(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> NumberEntity:
    return EnvoyNumber(coordinator, description, part_id=part_id, device_info=info)


class EnvoyNumber(EnvoyEntity, NumberEntity):
    """A setting written to the gateway and read back."""

    entity_description: EnvoyNumberDescription

    @property
    def native_value(self) -> float | None:
        """The gateway's value."""
        record = self.record
        return None if record is None else self.entity_description.value_fn(record)

    async def async_set_native_value(self, value: float) -> None:
        """Send the new value."""
        set_fn, part = self.entity_description.set_fn, self._part_id
        await self.coordinator.async_write(lambda g: set_fn(g, part, int(value)), self.entity_id)
