"""Buttons of a local gateway: send the AC Batteries to sleep, or wake them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..api import EnvoyGateway
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import ACB
from .entity import EnvoyEntity, LocalFields, aggregate, async_add_local_entities
from .select import DEFAULT_ACB_SLEEP_BAND, reported_band


@dataclass(frozen=True, kw_only=True)
class AcbButtonDescription(ButtonEntityDescription, LocalFields):
    """A command for every AC Battery the gateway reports."""

    press_fn: Callable[[EnvoyGateway, list[str], str], Awaitable[None]]


def _sleep(gateway: EnvoyGateway, serials: list[str], band: str) -> Awaitable[None]:
    low, high = (int(x) for x in band.split("-"))
    return gateway.async_set_acb_sleep(serials, low, high)


BUTTONS: tuple[AcbButtonDescription, ...] = (
    AcbButtonDescription(
        key="acb_sleep",
        translation_key="acb_sleep",
        part=ACB,
        record_fn=aggregate("acb_inventory"),
        optional=True,  # needs /inventory.json, which some firmware lacks
        press_fn=_sleep,
    ),
    AcbButtonDescription(
        key="acb_wake",
        translation_key="acb_wake",
        part=ACB,
        record_fn=aggregate("acb_inventory"),
        optional=True,  # needs /inventory.json, which some firmware lacks
        press_fn=lambda g, serials, _: g.async_wake_acb(serials),
    ),
)

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Sleep and wake for sites with AC Batteries."""
    async_add_local_entities(entry, async_add_entities, BUTTONS, _button)


def _button(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> ButtonEntity:
    return AcbButton(coordinator, description, part_id=part_id, device_info=info)


class AcbButton(EnvoyEntity, ButtonEntity):
    """Applies to all AC Batteries, with the band chosen in the sleep band select."""

    entity_description: AcbButtonDescription

    async def async_press(self) -> None:
        """Send the command once."""
        inventory = self.record or {}
        band = self.coordinator.acb_sleep_band or reported_band(inventory)
        press = self.entity_description.press_fn
        serials = list(inventory)
        await self.coordinator.async_write(
            lambda g: press(g, serials, band or DEFAULT_ACB_SLEEP_BAND), self.entity_id
        )
