"""The batteries' power as pyenphase reports it, for the sensors and the cadence alike."""

from __future__ import annotations

from pyenphase import EnvoyData


def battery_powers(data: EnvoyData) -> list[float | None]:
    """Each IQ Battery's power and the AC Batteries' total, in W, positive while discharging.

    None where the gateway's value was dropped as implausible (``sanitize``):
    pyenphase declares these as numbers, so say so to the type checker here.
    """
    powers: list[float | None] = [p.real_power_mw for p in (data.encharge_power or {}).values()]
    powers = [None if mw is None else mw / 1000 for mw in powers]
    if data.acb_power is not None:
        powers.append(data.acb_power.power)
    return powers
