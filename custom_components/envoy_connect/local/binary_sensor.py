"""Binary sensors of a local gateway: grid status, communication, switches, the generator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pyenphase import EnvoyData

from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import ACB_BATTERY, C6CC, COLLAR, ENCHARGE, ENPOWER, GENERATOR, PartKind
from .entity import EnvoyEntity, LocalFields, aggregate, async_add_local_entities


@dataclass(frozen=True, kw_only=True)
class EnvoyBinarySensorDescription(BinarySensorEntityDescription, LocalFields):
    """A binary sensor reading ``is_on_fn(record)``."""

    is_on_fn: Callable[[Any], bool | None]


def _communicating(part: PartKind, record: Callable[[EnvoyData, str], Any]) -> Any:
    return EnvoyBinarySensorDescription(
        key="communicating",
        translation_key="communicating",
        part=part,
        record_fn=record,
        is_on_fn=lambda r: r.communicating,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
    )


def _acb(d: EnvoyData, sn: str) -> Any:
    return (d.acb_inventory or {}).get(sn)


def _encharge(d: EnvoyData, sn: str) -> Any:
    return (d.encharge_inventory or {}).get(sn)


#: Generator relay states as the gateway spells them ("close" is what it reports).
_CLOSED = {"close", "closed"}

PARALLEL_UPDATES = 0

BINARY_SENSORS: tuple[EnvoyBinarySensorDescription, ...] = (
    _communicating(ENCHARGE, _encharge),
    EnvoyBinarySensorDescription(
        key="dc_switch",
        translation_key="dc_switch",
        part=ENCHARGE,
        record_fn=_encharge,
        is_on_fn=lambda b: None if b.dc_switch_off is None else not b.dc_switch_off,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _communicating(ENPOWER, aggregate("enpower")),
    EnvoyBinarySensorDescription(
        key="mains_oper_state",
        translation_key="grid_status",
        part=ENPOWER,
        record_fn=aggregate("enpower"),
        is_on_fn=lambda e: e.mains_oper_state == "closed",
    ),
    _communicating(COLLAR, aggregate("collar")),
    _communicating(C6CC, aggregate("c6cc")),
    replace(_communicating(ACB_BATTERY, _acb), optional=True),
    EnvoyBinarySensorDescription(
        key="operating",
        translation_key="operating",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,
        is_on_fn=lambda b: b.operating,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    EnvoyBinarySensorDescription(
        key="producing",
        translation_key="producing",
        part=ACB_BATTERY,
        record_fn=_acb,
        optional=True,
        is_on_fn=lambda b: b.producing,
    ),
    # Beyond HA core: the standby generator.
    EnvoyBinarySensorDescription(
        key="generator_connected",
        translation_key="generator_connected",
        part=GENERATOR,
        record_fn=aggregate("generator"),
        optional=True,  # /ivp/ensemble/generator: not on every gateway with gen_config
        is_on_fn=lambda g: str(g.oper_state).lower() in _CLOSED,
        device_class=BinarySensorDeviceClass.RUNNING,
    ),
    EnvoyBinarySensorDescription(
        key="generator_exercising",
        translation_key="generator_exercising",
        part=GENERATOR,
        record_fn=aggregate("generator"),
        optional=True,  # /ivp/ensemble/generator: not on every gateway with gen_config
        is_on_fn=lambda g: bool(g.exc_on),
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Binary sensors of every part the gateway reports."""
    async_add_local_entities(entry, async_add_entities, BINARY_SENSORS, _binary_sensor)


def _binary_sensor(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> BinarySensorEntity:
    return EnvoyBinarySensor(coordinator, description, part_id=part_id, device_info=info)


class EnvoyBinarySensor(EnvoyEntity, BinarySensorEntity):
    """A yes/no the gateway reports about one part."""

    entity_description: EnvoyBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """From the part's latest record."""
        record = self.record
        return None if record is None else self.entity_description.is_on_fn(record)
