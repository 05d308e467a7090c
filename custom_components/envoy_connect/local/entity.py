"""Local entities: one mechanism for every platform, from what the gateway reports.

Every entity belongs to a *part* of the site: the gateway itself, an inverter,
an IQ Battery, the Enpower, an AC Battery, a relay, the generator... A
description names its part kind, where its record lives in pyenphase's
``EnvoyData`` (``record_fn``) and, for the gateway's own entities, which
probed capabilities it needs (``supported_fn``). Entities of the gateway are
created from the capabilities pyenphase probed; entities of other parts are
created as the gateway reports those parts (new ones appear without a restart).
A record that goes missing later makes the entity unavailable, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from pyenphase import EnvoyData
from pyenphase.const import SupportedFeatures

from ..api import GatewayCapabilities
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import PartKind


class LocalDescription(Protocol):
    """What every local entity description carries besides HA's own fields."""

    key: str
    part: PartKind
    record_fn: Callable[[EnvoyData, str], Any]
    supported_fn: Callable[[GatewayCapabilities], bool]
    optional: bool


def has(*features: SupportedFeatures) -> Callable[[GatewayCapabilities], bool]:
    """A ``supported_fn``: the gateway offers any of ``features``."""
    return lambda caps: any(caps.features & f for f in features)


def has_all(*features: SupportedFeatures) -> Callable[[GatewayCapabilities], bool]:
    """A ``supported_fn``: the gateway offers every one of ``features``."""
    return lambda caps: all(caps.features & f for f in features)


def aggregate(field: str) -> Callable[[EnvoyData, str], Any]:
    """A ``record_fn``: one site-wide field of ``EnvoyData`` (a part of its own, or totals)."""
    return lambda data, _part: getattr(data, field)


@dataclass(frozen=True, kw_only=True)
class LocalFields:
    """Mixin for descriptions: the part, the record, and the capability test."""

    part: PartKind
    record_fn: Callable[[EnvoyData, str], Any]
    supported_fn: Callable[[GatewayCapabilities], bool] = lambda _: True
    #: The record comes from an endpoint pyenphase reads only where its probe found it
    #: (no feature flag tells): create the entity only if the record exists.
    optional: bool = False


class EnvoyEntity(CoordinatorEntity[EnvoyCoordinator]):
    """An entity of one part, fed by the gateway's coordinator."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnvoyCoordinator,
        description: EntityDescription,
        *,
        part_id: str,
        device_info: DeviceInfo,
    ) -> None:
        """Unique id = part id (serial) + description key: stable across host changes."""
        super().__init__(coordinator)
        self.entity_description = description
        self._part_id = part_id
        fields: LocalDescription = description  # type: ignore[assignment]
        self._attr_unique_id = fields.part.unique_prefix(coordinator, part_id) + description.key
        self._attr_device_info = device_info

    @property
    def record(self) -> Any:
        """The model this entity reads, or None while the gateway does not report it."""
        fields: LocalDescription = self.entity_description  # type: ignore[assignment]
        return fields.record_fn(self.coordinator.data, self._part_id)

    @property
    def available(self) -> bool:
        """Available while the gateway answers and reports this entity's record."""
        return super().available and self.record is not None


type EntityFactory = Callable[[EnvoyCoordinator, Any, str, DeviceInfo], Entity]


@callback
def async_add_local_entities(
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[Any],
    factory: EntityFactory,
) -> None:
    """Create this platform's entities now, and for every part that appears later."""
    coordinator = entry.runtime_data.coordinator
    capabilities = coordinator.capabilities
    #: The wanted descriptions per part kind, in table order (sorted once, not every update).
    wanted: dict[PartKind, list[Any]] = {}
    for d in descriptions:
        if capabilities is not None and d.supported_fn(capabilities):
            wanted.setdefault(d.part, []).append(d)
    #: Entities made so far, and parts with nothing left to make. An optional
    #: entity waits (its part stays open) until its record shows up: it comes
    #: from an endpoint pyenphase reads only where the gateway has it.
    created: dict[tuple[str, str], set[str]] = {}
    complete: set[tuple[str, str]] = set()

    @callback
    def add_new() -> None:
        data = coordinator.data
        new: list[Entity] = []
        for kind, kind_wanted in wanted.items():
            for part_id in _ids(kind.ids(coordinator, data)):
                if (kind.name, part_id) in complete:
                    continue
                made = created.setdefault((kind.name, part_id), set())
                pending = [d for d in kind_wanted if d.key not in made]
                ready = [
                    d for d in pending if not d.optional or d.record_fn(data, part_id) is not None
                ]
                if len(ready) == len(pending):
                    complete.add((kind.name, part_id))
                if ready:
                    info = kind.device(coordinator, data, part_id)
                    made.update(d.key for d in ready)
                    new.extend(factory(coordinator, d, part_id, info) for d in ready)
        if new:
            async_add_entities(new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))


def _ids(ids: Iterable[str]) -> list[str]:
    return [str(i) for i in ids if i]
