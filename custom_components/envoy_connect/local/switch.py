"""Switches of a local gateway: grid connection, dry-contact relays, charging sources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pyenphase.const import SupportedFeatures

from ..api import EnvoyGateway
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import ENPOWER, GATEWAY, GENERATOR, RELAY
from .entity import EnvoyEntity, LocalFields, aggregate, async_add_local_entities, has_all
from .records import storage_settings


@dataclass(frozen=True, kw_only=True)
class EnvoySwitchDescription(SwitchEntityDescription, LocalFields):
    """A switch: its state from the record, its change through the gateway."""

    is_on_fn: Callable[[Any], bool | None]
    turn_fn: Callable[[EnvoyGateway, str, bool], Awaitable[None]]


SWITCHES: tuple[EnvoySwitchDescription, ...] = (
    EnvoySwitchDescription(
        key="mains_admin_state",
        translation_key="grid_enabled",
        part=ENPOWER,
        record_fn=aggregate("enpower"),
        is_on_fn=lambda e: e.mains_admin_state == "closed",
        turn_fn=lambda g, _, on: g.async_set_grid_connected(on),
    ),
    EnvoySwitchDescription(
        key="relay_status",
        name=None,  # the relay's device carries the load's name
        part=RELAY,
        record_fn=lambda d, relay: d.dry_contact_status.get(relay),
        is_on_fn=lambda r: r.status == "closed",
        turn_fn=lambda g, relay, on: g.async_set_relay(relay, on),
    ),
    EnvoySwitchDescription(
        key="charge_from_grid",
        translation_key="charge_from_grid",
        part=GATEWAY,
        record_fn=storage_settings,
        supported_fn=has_all(SupportedFeatures.ENCHARGE, SupportedFeatures.TARIFF),
        is_on_fn=lambda s: s.charge_from_grid,
        turn_fn=lambda g, _, on: g.async_set_charge_from_grid(on),
    ),
    # Beyond HA core: the generator.
    EnvoySwitchDescription(
        key="generator_charge_batteries",
        translation_key="generator_charge_batteries",
        part=GENERATOR,
        # Without Enphase batteries the gateway turns the setting back on (pyenphase,
        # D8.3.5169): offer it only where there are batteries to charge.
        record_fn=lambda d, _: d.generator_config if d.encharge_inventory or d.acb_power else None,
        optional=True,
        is_on_fn=lambda c: c.charge_from_generator,
        turn_fn=lambda g, _, on: g.async_set_charge_from_generator(on),
    ),
)

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Switches of every part that has them."""
    async_add_local_entities(entry, async_add_entities, SWITCHES, _switch)


def _switch(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> SwitchEntity:
    return EnvoySwitch(coordinator, description, part_id=part_id, device_info=info)


class EnvoySwitch(EnvoyEntity, SwitchEntity):
    """A setting with two states, written to the gateway and read back."""

    entity_description: EnvoySwitchDescription

    @property
    def is_on(self) -> bool | None:
        """The gateway's state."""
        record = self.record
        return None if record is None else self.entity_description.is_on_fn(record)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on at the gateway."""
        await self._async_turn(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off at the gateway."""
        await self._async_turn(False)

    async def _async_turn(self, on: bool) -> None:
        turn, part = self.entity_description.turn_fn, self._part_id
        await self.coordinator.async_write(lambda g: turn(g, part, on), self.entity_id)
