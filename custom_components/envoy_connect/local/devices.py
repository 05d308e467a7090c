"""The parts of a site as Home Assistant devices: which ones the gateway reports, and how they look.

Every child device links to the gateway. Identifiers are serial numbers where
the part has one, else derived from the gateway's serial (relays, the ACB
aggregate, the generator), so two gateways never share a device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceInfo
from pyenphase import EnvoyData

from ..const import DOMAIN
from .records import acb_reports

if TYPE_CHECKING:
    from .coordinator import EnvoyCoordinator

MANUFACTURER = "Enphase"


def gateway_serial(coordinator: EnvoyCoordinator) -> str:
    """The serial of the entry's gateway."""
    return str(coordinator.config_entry.unique_id)


def _own_serial(_coordinator: EnvoyCoordinator, part_id: str) -> str:
    return f"{part_id}_"


def _gateway_serial(coordinator: EnvoyCoordinator, _part_id: str) -> str:
    return f"{gateway_serial(coordinator)}_"


@dataclass(frozen=True, eq=False)
class PartKind:
    """One kind of part: which of them the gateway reports now, and their device."""

    name: str
    ids: Callable[[EnvoyCoordinator, EnvoyData], Iterable[str]]
    device: Callable[[EnvoyCoordinator, EnvoyData, str], DeviceInfo]
    #: Unique ids start with the part's serial, or with the gateway's for site-wide parts.
    unique_prefix: Callable[[EnvoyCoordinator, str], str] = _own_serial


def _child(
    coordinator: EnvoyCoordinator,
    ident: str,
    name: str,
    model: str,
    *,
    serial: str | None = None,
    sw_version: object = None,
    model_id: str | None = None,
) -> DeviceInfo:
    info = DeviceInfo(
        identifiers={(DOMAIN, ident)},
        name=name,
        manufacturer=MANUFACTURER,
        model=model,
        via_device_id=coordinator.config_entry.runtime_data.gateway_device_id,
    )
    if serial:
        info["serial_number"] = serial
    if sw_version:
        info["sw_version"] = str(sw_version)
    if model_id:
        info["model_id"] = model_id
    return info


def _one(value: str | None) -> list[str]:
    return [value] if value else []


def _gateway_device(coordinator: EnvoyCoordinator, _data: EnvoyData, _id: str) -> DeviceInfo:
    return DeviceInfo(identifiers={(DOMAIN, gateway_serial(coordinator))})


def _encharge(coordinator: EnvoyCoordinator, data: EnvoyData, sn: str) -> DeviceInfo:
    part = (data.encharge_inventory or {}).get(sn)
    return _child(
        coordinator,
        sn,
        f"IQ Battery {sn}",
        "IQ Battery",
        serial=sn,
        sw_version=part.firmware_version if part else None,
        model_id=part.part_number if part else None,
    )


def _enpower(coordinator: EnvoyCoordinator, data: EnvoyData, sn: str) -> DeviceInfo:
    part = data.enpower
    return _child(
        coordinator,
        sn,
        f"IQ System Controller {sn}",
        "IQ System Controller (Enpower)",
        serial=sn,
        sw_version=part.firmware_version if part else None,
        model_id=part.part_number if part else None,
    )


def _acb_battery(coordinator: EnvoyCoordinator, data: EnvoyData, sn: str) -> DeviceInfo:
    part = (data.acb_inventory or {}).get(sn)
    return _child(
        coordinator,
        sn,
        f"AC Battery {sn}",
        "AC Battery",
        serial=sn,
        model_id=part.part_num if part else None,
    )


def _collar(coordinator: EnvoyCoordinator, data: EnvoyData, sn: str) -> DeviceInfo:
    part = data.collar
    return _child(
        coordinator,
        sn,
        f"IQ Meter Collar {sn}",
        "IQ Meter Collar",
        serial=sn,
        sw_version=part.firmware_version if part else None,
        model_id=part.part_number if part else None,
    )


def _c6cc(coordinator: EnvoyCoordinator, data: EnvoyData, sn: str) -> DeviceInfo:
    part = data.c6cc
    return _child(
        coordinator,
        sn,
        f"IQ Combiner 6C {sn}",
        "IQ Combiner 6C controller",
        serial=sn,
        sw_version=part.firmware_version if part else None,
        model_id=part.part_number if part else None,
    )


def _relay(coordinator: EnvoyCoordinator, data: EnvoyData, relay: str) -> DeviceInfo:
    settings = data.dry_contact_settings.get(relay)
    name = settings.load_name if settings and settings.load_name else f"Relay {relay}"
    return _child(coordinator, f"{gateway_serial(coordinator)}_relay_{relay}", name, "Dry contact")


def _generator(coordinator: EnvoyCoordinator, data: EnvoyData, _id: str) -> DeviceInfo:
    config = data.generator_config
    info = _child(coordinator, f"{gateway_serial(coordinator)}_generator", "Generator", "Generator")
    if config is not None:
        info["model"] = config.model or "Generator"
        info["manufacturer"] = config.manufacturer or "Generator"
    return info


GATEWAY = PartKind("gateway", lambda c, _: [gateway_serial(c)], _gateway_device, _gateway_serial)
INVERTER = PartKind(
    "inverter",
    lambda _, d: d.inverters,
    lambda c, _, sn: _child(c, sn, f"Inverter {sn}", "Micro-inverter", serial=sn),
)
ENCHARGE = PartKind(
    "encharge",
    lambda _, d: {**(d.encharge_inventory or {}), **(d.encharge_power or {})},
    _encharge,
)
ENPOWER = PartKind(
    "enpower", lambda _, d: _one(d.enpower.serial_number if d.enpower else None), _enpower
)
ACB = PartKind(
    "acb",
    lambda c, d: _one(gateway_serial(c) if d.acb_power or d.acb_inventory else None),
    lambda c, _, __: _child(c, f"{gateway_serial(c)}_acb", "AC Batteries", "AC Battery"),
    _gateway_serial,
)
ACB_BATTERY = PartKind(
    "acb_battery", lambda _, d: {**acb_reports(d), **(d.acb_inventory or {})}, _acb_battery
)
COLLAR = PartKind(
    "collar", lambda _, d: _one(d.collar.serial_number if d.collar else None), _collar
)
C6CC = PartKind("c6cc", lambda _, d: _one(d.c6cc.serial_number if d.c6cc else None), _c6cc)
RELAY = PartKind(
    "relay",
    lambda _, d: d.dry_contact_settings,
    _relay,
    lambda c, relay: f"{gateway_serial(c)}_relay_{relay}_",
)
GENERATOR = PartKind(
    "generator",
    lambda c, d: _one(gateway_serial(c) if d.generator_config else None),
    _generator,
    _gateway_serial,
)

PART_KINDS = (
    GATEWAY,
    INVERTER,
    ENCHARGE,
    ENPOWER,
    ACB,
    ACB_BATTERY,
    COLLAR,
    C6CC,
    RELAY,
    GENERATOR,
)


def reported_devices(coordinator: EnvoyCoordinator) -> set[tuple[str, str]]:
    """Identifiers of every device the gateway reports now (the rest may be deleted)."""
    data = coordinator.data
    return {
        identifier
        for kind in PART_KINDS
        for part in kind.ids(coordinator, data)
        for identifier in kind.device(coordinator, data, part).get("identifiers", set())
    }
