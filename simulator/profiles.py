"""Gateway profiles: what each simulated Envoy has and which firmware it runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Profile:
    """Static description of a simulated gateway."""

    name: str
    serial: str
    firmware: str
    part_number: str
    inverter_count: int
    metered: bool = False
    battery_count: int = 0
    enpower: bool = False
    mac: str = "00:1d:c0:12:34:56"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def major(self) -> int:
        """Major firmware version."""
        return int(self.firmware.split(".", 1)[0])

    @property
    def uses_token_auth(self) -> bool:
        """Firmware 7 and newer want an Enlighten JWT instead of digest auth."""
        return self.major >= 7

    def with_firmware(self, firmware: str, **hardware: int | bool) -> Profile:
        """Return the gateway on another firmware, optionally with hardware added.

        An installer who adds batteries usually updates the firmware in the same visit.
        """
        return replace(self, firmware=firmware, **hardware)  # type: ignore[arg-type]


PROFILES: dict[str, Profile] = {
    "legacy": Profile(
        name="legacy",
        serial="121900012345",
        firmware="5.0.62",
        part_number="800-00555-r03",
        inverter_count=8,
        mac="00:1d:c0:00:12:45",
    ),
    "metered": Profile(
        name="metered",
        serial="122300067890",
        firmware="7.6.175",
        part_number="800-00654-r08",
        inverter_count=10,
        metered=True,
        mac="00:1d:c0:06:78:90",
    ),
    "battery": Profile(
        name="battery",
        serial="202400013579",
        firmware="8.2.4286",
        part_number="800-00654-r08",
        inverter_count=10,
        metered=True,
        battery_count=2,
        enpower=True,
        mac="00:1d:c0:13:57:90",
    ),
}
