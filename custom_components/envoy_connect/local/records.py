"""Where in pyenphase's data the records shared by several platforms live."""

from __future__ import annotations

from typing import Any

from pyenphase import EnvoyData


def storage_settings(data: EnvoyData, _part: str) -> Any:
    """The battery settings in the gateway's tariff."""
    return data.tariff.storage_settings if data.tariff else None


def relay_settings(data: EnvoyData, relay: str) -> Any:
    """One dry-contact relay's settings."""
    return data.dry_contact_settings.get(relay)


def generator_schedule(data: EnvoyData, _part: str) -> Any:
    """The generator's exercise and battery-level schedule."""
    return data.generator_schedule
