"""How each physical quantity looks, the same in local and cloud entities.

A description spreads one of these (``**POWER``) so a quantity never shows
with other units or decimals depending on where it came from.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE, UnitOfEnergy, UnitOfPower

#: Power, read in W and shown in kW with 3 decimals (watts stay visible).
POWER: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfPower.WATT,
    "suggested_unit_of_measurement": UnitOfPower.KILO_WATT,
    "suggested_display_precision": 3,
    "device_class": SensorDeviceClass.POWER,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: Power of one part (an inverter, a battery): whole watts, as the part reports them.
PART_POWER: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfPower.WATT,
    "suggested_display_precision": 0,
    "device_class": SensorDeviceClass.POWER,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: Energy of a day or a period, read in Wh and shown in kWh with 2 decimals.
ENERGY: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfEnergy.WATT_HOUR,
    "suggested_unit_of_measurement": UnitOfEnergy.KILO_WATT_HOUR,
    "suggested_display_precision": 2,
    "device_class": SensorDeviceClass.ENERGY,
    "state_class": SensorStateClass.TOTAL_INCREASING,
}
#: A meter's lifetime energy, read in Wh and shown in MWh with 3 decimals.
LIFETIME_ENERGY: Final[dict[str, Any]] = ENERGY | {
    "suggested_unit_of_measurement": UnitOfEnergy.MEGA_WATT_HOUR,
    "suggested_display_precision": 3,
}
#: A battery's state of charge, in whole per cent.
BATTERY_LEVEL: Final[dict[str, Any]] = {
    "native_unit_of_measurement": PERCENTAGE,
    "suggested_display_precision": 0,
    "device_class": SensorDeviceClass.BATTERY,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: Energy stored in a battery, read in Wh and shown in kWh with 2 decimals.
STORED_ENERGY: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfEnergy.WATT_HOUR,
    "suggested_unit_of_measurement": UnitOfEnergy.KILO_WATT_HOUR,
    "suggested_display_precision": 2,
    "device_class": SensorDeviceClass.ENERGY_STORAGE,
    "state_class": SensorStateClass.MEASUREMENT,
}
