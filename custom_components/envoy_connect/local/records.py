"""Where in pyenphase's data the records shared by several platforms live."""

from __future__ import annotations

from typing import Any

from pyenphase import EnvoyData
from pyenphase.const import URL_PRODUCTION_INVERTERS
from pyenphase.models.inverter import EnvoyInverter

#: The inverters endpoint's device type of an AC Battery.
ACB_DEVICE_TYPE = 11


def storage_settings(data: EnvoyData, _part: str) -> Any:
    """The battery settings in the gateway's tariff."""
    return data.tariff.storage_settings if data.tariff else None


def relay_settings(data: EnvoyData, relay: str) -> Any:
    """One dry-contact relay's settings."""
    return data.dry_contact_settings.get(relay)


def generator_schedule(data: EnvoyData, _part: str) -> Any:
    """The generator's exercise and battery-level schedule."""
    return data.generator_schedule


def acb_reports(data: EnvoyData) -> dict[str, EnvoyInverter]:
    """AC Batteries as the inverters endpoint reports them (device type 11).

    pyenphase keeps them out of ``inverters`` (we ask it to: they are batteries),
    and firmware without ``/inventory.json`` reports them nowhere else.
    """
    raw = data.raw.get(URL_PRODUCTION_INVERTERS)
    if not isinstance(raw, list):
        return {}
    return {
        str(item["serialNumber"]): EnvoyInverter.from_v1_api(item)
        for item in raw
        if isinstance(item, dict)
        and item.get("devType") == ACB_DEVICE_TYPE
        and item.get("serialNumber")
    }


def acb_report(data: EnvoyData, serial: str) -> Any:
    """One AC Battery's power and report time: from its inventory, else the inverters endpoint."""
    return (data.acb_inventory or {}).get(serial) or acb_reports(data).get(serial)
