"""pyenphase's models are checked against their declared types before HA shows them."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from pyenphase import EnvoyData
from pyenphase.models.dry_contacts import DryContactStatus, EnvoyDryContactStatus
from pyenphase.models.generator import EnvoyGenerator
from pyenphase.models.inverter import EnvoyInverter

from custom_components.envoy_connect.api.sanitize import ModelScrubber


def _inverter(**values: object) -> EnvoyInverter:
    good = EnvoyInverter(
        serial_number="482218039091",
        last_report_date=1_700_000_000,
        last_report_watts=231,
        max_report_watts=295,
    )
    return dataclasses.replace(good, **values)  # type: ignore[arg-type]


def test_real_values_pass_untouched() -> None:
    inverter = _inverter(dc_voltage=38.5, ac_frequency=60)  # an int where a float is declared
    data = EnvoyData(inverters={"482218039091": inverter}, raw={"anything": ["x"]})
    scrubber = ModelScrubber()
    assert scrubber.scrub(data) == 0
    assert inverter == _inverter(dc_voltage=38.5, ac_frequency=60)
    assert data.raw == {"anything": ["x"]}  # raw answers are not models


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("last_report_watts", "many"),
        ("last_report_watts", [231]),
        ("last_report_watts", True),
        ("last_report_date", 1e300),
        ("max_report_watts", float("nan")),
        ("dc_voltage", {"v": 38}),
        ("serial_number", 4.5),
    ],
)
def test_implausible_values_become_unknown(field: str, value: object) -> None:
    """Nested in the update's dicts; counted once per value, logged once per field."""
    data = EnvoyData(inverters={"a": _inverter(**{field: value}), "b": _inverter(**{field: value})})
    scrubber = ModelScrubber()
    assert scrubber.scrub(data) == 2
    assert data.inverters is not None
    assert getattr(data.inverters["a"], field) is None
    assert getattr(data.inverters["b"], field) is None
    assert scrubber.scrub(data) == 0  # already None: nothing left to replace
    assert scrubber.replaced == 2


def test_same_meaning_in_another_json_type_is_kept() -> None:
    """Anonymised recordings carry serials as numbers; some firmware sends flags as 0/1."""
    inverter = _inverter(serial_number=100000000001)
    generator = EnvoyGenerator(
        admin_state="on", oper_state="running", admin_mode=1, schedule=0,
        start_soc=30, stop_soc=80, exc_on=0, present=1, type=1,  # type: ignore[arg-type]
    )  # fmt: skip
    relay = EnvoyDryContactStatus(id="NC1", status=DryContactStatus.OPEN)  # a StrEnum as text
    scrubber = ModelScrubber()
    data = EnvoyData(
        inverters={"1": inverter}, generator=generator, dry_contact_status={"NC1": relay}
    )
    assert scrubber.scrub(data) == 0
    assert inverter.serial_number == "100000000001"
    assert generator.present is True
    assert relay.status is DryContactStatus.OPEN


def test_each_field_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    scrubber = ModelScrubber()
    for _ in range(3):
        scrubber.scrub(EnvoyData(inverters={"a": _inverter(last_report_watts="x")}))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "The gateway reported an implausible EnvoyInverter.last_report_watts (str); "
        "shown as unknown"
    ]
    assert scrubber.replaced == 3
