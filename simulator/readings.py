"""The numbers a simulated gateway reports, and the JSON shapes it reports them in.

Values are plain attributes so tests can set them and compare what Home Assistant
shows with what the gateway served. Shapes follow what pyenphase parses. How the
energy counters and batteries move over simulated time is ``physics``.
"""

from __future__ import annotations

from .physics import TIMEZONE, BatteryReading, EnergyModel
from .profiles import Profile

# Served values need the battery type; tests reach the zone through here too.
__all__ = ["CONSUMPTION_EID", "PRODUCTION_EID", "TIMEZONE", "BatteryReading", "Readings"]

PRODUCTION_EID = 704643328
CONSUMPTION_EID = 704643584
#: What a production CT reports beyond power and energy (nothing reactive here).
_PRODUCTION_EXTRAS: dict[str, object] = {
    **dict.fromkeys(("varhLeadLifetime", "varhLagLifetime", "vahLifetime", "vahToday"), 0.0),
    **dict.fromkeys(("varhLeadToday", "varhLagToday", "rmsCurrent", "reactPwr", "apprntPwr"), 0.0),
    "pwrFactor": 1.0,
}


class Readings(EnergyModel):
    """Live values of one gateway; its counters and clock move by ``EnergyModel``."""

    def __init__(
        self,
        inverter_watts: dict[str, int],
        batteries: list[BatteryReading] | None = None,
        *,
        consumption_w: int = 1_850,
        report_time: int = 1_700_000_000,
    ) -> None:
        """A system at midday; the counters start plausible and balanced (``EnergyModel``)."""
        super().__init__(report_time)
        self.inverter_watts = inverter_watts
        self.batteries = batteries if batteries is not None else []
        self.consumption_w = consumption_w

    @classmethod
    def for_profile(cls, profile: Profile) -> Readings:
        """Plausible midday values for the profile's hardware."""
        serial_base = int(profile.serial[-6:]) * 100
        inverters = {
            f"4821{serial_base + i:08d}": 180 + 9 * i for i in range(profile.inverter_count)
        }
        batteries = [
            BatteryReading(
                serial=f"4822{serial_base + i:08d}", soc=60 + 7 * i, real_power_w=-640 + 90 * i
            )
            for i in range(profile.battery_count)
        ]
        return cls(inverter_watts=inverters, batteries=batteries)

    @property
    def production_w(self) -> int:
        """Current production: the sum over all micro-inverters."""
        return sum(self.inverter_watts.values())

    @property
    def battery_power_w(self) -> int:
        """All batteries together: positive discharges into the house, negative charges."""
        return sum(b.real_power_w for b in self.batteries)

    @property
    def net_consumption_w(self) -> int:
        """Grid import (positive) or export (negative): the house less sun and batteries."""
        return self.consumption_w - self.production_w - self.battery_power_w

    @property
    def battery_soc(self) -> int:
        """Aggregate state of charge, weighted by capacity."""
        total = sum(b.capacity_wh for b in self.batteries)
        return round(100 * sum(b.energy_wh for b in self.batteries) / total) if total else 0

    def api_v1_production(self) -> dict[str, int]:
        """``/api/v1/production``."""
        return {
            "wattHoursToday": self.production_wh_today,
            "wattHoursSevenDays": self.production_wh_7_days,
            "wattHoursLifetime": self.production_wh_lifetime,
            "wattsNow": self.production_w,
        }

    def api_v1_inverters(self) -> list[dict[str, int | str]]:
        """``/api/v1/production/inverters``."""
        return [
            {
                "serialNumber": serial,
                "lastReportDate": self.report_time - 17 * i,
                "devType": 1,
                "lastReportWatts": watts,
                "maxReportWatts": 295,
            }
            for i, (serial, watts) in enumerate(self.inverter_watts.items())
        ]

    def production_json(self, metered: bool) -> dict[str, object]:
        """``/production.json`` and ``/production``."""
        inverters = {
            "type": "inverters",
            "activeCount": len(self.inverter_watts),
            "readingTime": self.report_time,
            "wNow": self.production_w,
            "whLifetime": self.production_wh_lifetime,
        }
        shown = 1 if metered else 0  # without CTs the gateway reports zeros
        eim = self._eim(
            "production",
            self.production_w * shown,
            self.production_wh_lifetime * shown,
            self.production_wh_today * shown,
            self.production_wh_7_days * shown,
        )
        eim |= _PRODUCTION_EXTRAS | {"activeCount": shown}
        consumption: list[dict[str, object]] = []
        if metered:
            consumption = [
                self._eim(
                    "total-consumption",
                    self.consumption_w,
                    self.consumption_wh_lifetime,
                    self.consumption_wh_today,
                    self.consumption_wh_7_days,
                ),
                self._eim(
                    "net-consumption", self.net_consumption_w, self.net_consumption_wh_lifetime
                ),
            ]
        return {
            "production": [inverters, eim],
            "consumption": consumption,
            "storage": [
                {
                    "type": "acb",
                    "activeCount": 0,
                    "readingTime": 0,
                    "wNow": 0,
                    "whNow": 0,
                    "state": "idle",
                }
            ],
        }

    def _eim(
        self, kind: str, watts: float, lifetime: float, today: float = 0, week: float = 0
    ) -> dict[str, object]:
        return {
            "type": "eim",
            "activeCount": 1,
            "measurementType": kind,
            "readingTime": self.report_time,
            "wNow": float(watts),
            "whLifetime": float(lifetime),
            "whToday": float(today),
            "whLastSevenDays": float(week),
            "rmsVoltage": 240.1,
        }

    def ivp_meters(self) -> list[dict[str, object]]:
        """``/ivp/meters``: the CT configuration."""
        return [
            {
                "eid": eid,
                "state": "enabled",
                "measurementType": kind,
                "phaseMode": "single",
                "phaseCount": 1,
                "meteringStatus": "normal",
                "statusFlags": [],
            }
            for eid, kind in ((PRODUCTION_EID, "production"), (CONSUMPTION_EID, "net-consumption"))
        ]

    def ivp_meters_readings(self) -> list[dict[str, object]]:
        """``/ivp/meters/readings``: the CT values."""

        def reading(eid: int, power: int, delivered: int, received: int) -> dict[str, object]:
            return {
                "eid": eid,
                "timestamp": self.report_time,
                "actEnergyDlvd": float(delivered),
                "actEnergyRcvd": float(received),
                "apparentEnergy": float(delivered),
                "reactEnergyLagg": 0.0,
                "reactEnergyLead": 0.0,
                "instantaneousDemand": float(power),
                "activePower": float(power),
                "apparentPower": float(abs(power)),
                "reactivePower": 0.0,
                "pwrFactor": 0.99,
                "voltage": 240.1,
                "current": round(abs(power) / 240.1, 3),
                "freq": 60.0,
                "channels": [],
            }

        return [
            reading(PRODUCTION_EID, self.production_w, self.production_wh_lifetime, 0),
            reading(
                CONSUMPTION_EID,
                self.net_consumption_w,
                self.grid_import_wh_lifetime,
                self.grid_export_wh_lifetime,
            ),
        ]

    def ensemble_inventory(self, enpower: bool) -> list[dict[str, object]]:
        """``/ivp/ensemble/inventory``: IQ Batteries and the Enpower."""
        if not self.batteries:
            return []
        common = {
            "admin_state": 6,
            "admin_state_str": "ENCHG_STATE_READY",
            "comm_level_2_4_ghz": 4,
            "comm_level_sub_ghz": 4,
            "communicating": True,
            "img_load_date": 1_695_000_000,
            "img_pnum_running": "2.6.5973_rel/22.11",
            "installed": 1_690_000_000,
            "last_rpt_date": self.report_time,
            "temperature": 29,
        }
        inventory: list[dict[str, object]] = [
            {
                "type": "ENCHARGE",
                "devices": [
                    {
                        **common,
                        "part_num": "830-01760-r37",
                        "serial_num": b.serial,
                        "bmu_fw_version": "2.1.34",
                        "dc_switch_off": False,
                        "encharge_capacity": b.capacity_wh,
                        "encharge_rev": 2,
                        "led_status": 17,
                        "maxCellTemp": 31,
                        "percentFull": b.soc,
                    }
                    for b in self.batteries
                ],
            }
        ]
        if enpower:
            inventory.append(
                {
                    "type": "ENPOWER",
                    "devices": [
                        {
                            **common,
                            "part_num": "860-00276-r28",
                            "serial_num": "482300054321",
                            "Enpwr_grid_mode": "multimode-ongrid",
                            "mains_admin_state": "closed",
                            "mains_oper_state": "closed",
                            "temperature": 79,
                        }
                    ],
                }
            )
        return inventory

    def ensemble_secctrl(self) -> dict[str, object]:
        """``/ivp/ensemble/secctrl``: aggregate battery state."""
        capacity = sum(b.capacity_wh for b in self.batteries)
        return {
            "agg_soc": self.battery_soc,
            "Max_energy": capacity,
            "ENC_agg_soc": self.battery_soc,
            "ENC_agg_soh": 100,
            "ENC_agg_backup_energy": capacity * self.reserve_soc // 100,
            "ENC_agg_avail_energy": int(sum(b.energy_wh for b in self.batteries)),
            "Enc_commissioned_capacity": capacity,
            "Enc_max_available_capacity": capacity,
            "adjusted_backup_soc": self.reserve_soc,
            "configured_backup_soc": self.reserve_soc,
        }

    def ensemble_power(self) -> dict[str, object]:
        """``/ivp/ensemble/power`` (the key really is ``devices:``)."""
        return {
            "devices:": [
                {
                    "serial_num": b.serial,
                    "real_power_mw": b.real_power_w * 1000,
                    "apparent_power_mva": abs(b.real_power_w) * 1000,
                    "soc": b.soc,
                }
                for b in self.batteries
            ]
        }
