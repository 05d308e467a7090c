"""How each physical quantity looks, the same in local and cloud entities.

A description spreads one of these (``**POWER``) so a quantity never shows
with other units or decimals depending on where it came from.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)

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
#: An AC or DC voltage in V, one decimal.
VOLTAGE: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfElectricPotential.VOLT,
    "suggested_display_precision": 1,
    "device_class": SensorDeviceClass.VOLTAGE,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: A current in A, three decimals.
CURRENT: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfElectricCurrent.AMPERE,
    "suggested_display_precision": 3,
    "device_class": SensorDeviceClass.CURRENT,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: Grid frequency in Hz, one decimal (two for an inverter's own reading).
FREQUENCY: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfFrequency.HERTZ,
    "suggested_display_precision": 1,
    "device_class": SensorDeviceClass.FREQUENCY,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: A power factor between -1 and 1, two decimals.
POWER_FACTOR: Final[dict[str, Any]] = {
    "suggested_display_precision": 2,
    "device_class": SensorDeviceClass.POWER_FACTOR,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: Apparent power of one part in VA.
APPARENT_POWER: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfApparentPower.VOLT_AMPERE,
    "suggested_display_precision": 0,
    "device_class": SensorDeviceClass.APPARENT_POWER,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: A part's temperature, whole degrees in the unit the part reports.
TEMPERATURE: Final[dict[str, Any]] = {
    "native_unit_of_measurement": UnitOfTemperature.CELSIUS,
    "suggested_display_precision": 0,
    "device_class": SensorDeviceClass.TEMPERATURE,
    "state_class": SensorStateClass.MEASUREMENT,
}
#: A battery setting or reading in per cent that is not a state of charge gauge.
PERCENT: Final[dict[str, Any]] = {
    "native_unit_of_measurement": PERCENTAGE,
    "suggested_display_precision": 0,
    "state_class": SensorStateClass.MEASUREMENT,
}
