"""Selects of a local gateway: storage mode, relays, generator mode and day, ACB sleep band."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity
from pyenphase.const import SupportedFeatures

from ..api import EnvoyGateway
from . import LocalConfigEntry
from .coordinator import EnvoyCoordinator
from .devices import ACB, GATEWAY, GENERATOR, RELAY
from .entity import EnvoyEntity, LocalFields, aggregate, async_add_local_entities, has, has_all
from .records import generator_schedule, relay_settings, storage_settings


@dataclass(frozen=True, kw_only=True)
class EnvoySelectDescription(SelectEntityDescription, LocalFields):
    """A choice: the current option from the record, the change through the gateway.

    ``to_gateway`` maps our option keys to the gateway's words (and back).
    """

    current_fn: Callable[[Any], str | None]
    select_fn: Callable[[EnvoyGateway, str, str], Awaitable[None]]
    to_gateway: dict[str, str]


def _mapped(value: Any, to_gateway: dict[str, str]) -> str | None:
    """Our option for the gateway's value; None for a value we do not know."""
    words = {gateway: ours for ours, gateway in to_gateway.items()}
    return words.get(str(value)) if value is not None else None


STORAGE_MODES = {"backup": "backup", "self_consumption": "self-consumption", "savings": "economy"}
RELAY_MODES = {"standard": "manual", "battery": "soc"}
RELAY_ACTIONS = {"powered": "apply", "not_powered": "shed", "schedule": "schedule", "none": "none"}
GENERATOR_MODES = {"off": "off", "on": "on", "auto": "auto"}
WEEKDAYS = {day.lower(): day for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def _relay_select(key: str, field: str, to_gateway: dict[str, str]) -> EnvoySelectDescription:
    return EnvoySelectDescription(
        key=key,
        translation_key=f"relay_{key}",
        part=RELAY,
        record_fn=relay_settings,
        options=list(to_gateway),
        to_gateway=to_gateway,
        current_fn=lambda r: _mapped(getattr(r, field), to_gateway),
        select_fn=lambda g, relay, value: g.async_update_relay(relay, **{field: value}),
    )


SELECTS: tuple[EnvoySelectDescription, ...] = (
    EnvoySelectDescription(
        key="storage_mode",
        translation_key="storage_mode",
        part=GATEWAY,
        record_fn=storage_settings,
        supported_fn=has_all(SupportedFeatures.ENCHARGE, SupportedFeatures.TARIFF),
        options=list(STORAGE_MODES),
        to_gateway=STORAGE_MODES,
        current_fn=lambda s: _mapped(s.mode, STORAGE_MODES),
        select_fn=lambda g, _, mode: g.async_set_storage_mode(mode),
    ),
    _relay_select("mode", "mode", RELAY_MODES),
    _relay_select("grid_action", "grid_action", RELAY_ACTIONS),
    _relay_select("microgrid_action", "micro_grid_action", RELAY_ACTIONS),
    _relay_select("generator_action", "generator_action", RELAY_ACTIONS),
    # Beyond HA core: the generator.
    EnvoySelectDescription(
        key="generator_mode",
        translation_key="generator_mode",
        part=GENERATOR,
        record_fn=aggregate("generator_mode"),
        optional=True,  # /ivp/ss/gen_mode exists on newer firmware only
        options=list(GENERATOR_MODES),
        to_gateway=GENERATOR_MODES,
        current_fn=lambda m: _mapped(m.gen_cmd, GENERATOR_MODES),
        select_fn=lambda g, _, mode: g.async_set_generator_mode(mode),
    ),
    EnvoySelectDescription(
        key="generator_exercise_day",
        translation_key="generator_exercise_day",
        part=GENERATOR,
        record_fn=generator_schedule,
        supported_fn=has(SupportedFeatures.GENERATOR_SCHEDULE),
        entity_category=EntityCategory.CONFIG,
        options=list(WEEKDAYS),
        to_gateway=WEEKDAYS,
        current_fn=lambda s: _mapped(s.exercise_day, WEEKDAYS),
        select_fn=lambda g, _, day: g.async_update_generator_schedule(exercise_day=day),
    ),
)

#: The AC Batteries' sleep bands in 5 % steps, as Enphase's installer app offers them.
ACB_SLEEP_BANDS = [f"{low}-{low + 5}" for low in range(0, 100, 5)]
DEFAULT_ACB_SLEEP_BAND = "95-100"


@dataclass(frozen=True, kw_only=True)
class AcbBandDescription(SelectEntityDescription, LocalFields):
    """The ACB sleep band the Sleep button applies (a preference, not gateway state)."""


ACB_SLEEP_BAND = AcbBandDescription(
    key="acb_sleep_soc",
    translation_key="acb_sleep_soc",
    entity_category=EntityCategory.CONFIG,
    options=ACB_SLEEP_BANDS,
    part=ACB,
    record_fn=aggregate("acb_inventory"),
    optional=True,  # needs /inventory.json, which some firmware lacks
)

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Selects of every part that has them, and the ACB sleep band."""
    async_add_local_entities(entry, async_add_entities, SELECTS, _select)
    async_add_local_entities(entry, async_add_entities, [ACB_SLEEP_BAND], _band)


def _select(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> SelectEntity:
    return EnvoySelect(coordinator, description, part_id=part_id, device_info=info)


class EnvoySelect(EnvoyEntity, SelectEntity):
    """A choice written to the gateway and read back."""

    entity_description: EnvoySelectDescription

    @property
    def current_option(self) -> str | None:
        """The gateway's current choice."""
        record = self.record
        return None if record is None else self.entity_description.current_fn(record)

    async def async_select_option(self, option: str) -> None:
        """Send the choice in the gateway's words."""
        select, part = self.entity_description.select_fn, self._part_id
        value = self.entity_description.to_gateway[option]
        await self.coordinator.async_write(lambda g: select(g, part, value), self.entity_id)


def _band(
    coordinator: EnvoyCoordinator, description: Any, part_id: str, info: DeviceInfo
) -> SelectEntity:
    return AcbSleepBandSelect(coordinator, description, part_id=part_id, device_info=info)


class AcbSleepBandSelect(EnvoyEntity, SelectEntity, RestoreEntity):
    """Which band "Sleep" sends the AC Batteries to; kept across restarts.

    The gateway stores a band only together with a sleep request, so choosing
    one here does not touch the batteries; it is what the Sleep button uses.
    Until the user chooses, it shows the band the batteries report.
    """

    _attr_options = ACB_SLEEP_BANDS

    async def async_added_to_hass(self) -> None:
        """Restore the user's choice."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) and last.state in ACB_SLEEP_BANDS:
            self.coordinator.acb_sleep_band = last.state

    @property
    def current_option(self) -> str | None:
        """The chosen band, else the one the batteries report, else 95-100."""
        return self.coordinator.acb_sleep_band or reported_band(self.record)

    async def async_select_option(self, option: str) -> None:
        """Remember the band for the next Sleep."""
        self.coordinator.acb_sleep_band = option
        self.async_write_ha_state()


def reported_band(inventory: dict[str, Any] | None) -> str:
    """The first valid band the AC Batteries report, else the default."""
    for acb in (inventory or {}).values():
        band = f"{acb.sleep_min_soc}-{acb.sleep_max_soc}"
        if band in ACB_SLEEP_BANDS:
            return band
    return DEFAULT_ACB_SLEEP_BAND
