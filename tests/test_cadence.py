"""Each endpoint is read as often as its data changes: fewer requests, values never staler
than their source's own refresh period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect.api.cadence import (
    INVERTER_REPORT_PERIOD,
    UPDATE_INTERVAL,
    Cadence,
    Family,
)
from simulator import EnvoySimulator, SimulatorHarness

from .conftest import DEMO_INSTALLER, poll, sensor_state, setup_profile, start_local_flow
from .test_captures import add_through_flow, replay

__all__ = ["replay"]
START = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)


async def _hour(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    for _ in range(60):
        await poll(hass, freezer, UPDATE_INTERVAL)


async def _idle_battery_site(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> tuple[EnvoySimulator, MockConfigEntry]:
    """The battery profile at noon in June, its batteries idle, set up."""
    freezer.move_to(START)
    envoy = sim.envoys["battery"]
    for battery in envoy.readings.batteries:
        battery.real_power_w = 0
    return envoy, await setup_profile(hass, sim, "battery")


async def test_battery_site_hour(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Meters every minute, inverters every 5 minutes, settings every 15, idle battery every 5."""
    envoy, _entry = await _idle_battery_site(hass, sim, freezer)
    envoy.requests.clear()
    await _hour(hass, freezer)
    hour = Counter(envoy.requests)
    assert hour["/production.json"] == 60
    assert 11 <= hour["/api/v1/production/inverters"] <= 13
    assert 11 <= hour["/ivp/ensemble/power"] <= 13
    assert 3 <= hour["/ivp/ss/dry_contact_settings"] <= 5
    assert hour["/home"] == 0
    assert hour["/info"] == 0


async def test_active_battery_every_update(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A battery that starts to move is followed every update, its state read once at wake-up."""
    envoy, entry = await _idle_battery_site(hass, sim, freezer)
    battery = envoy.readings.batteries[0]
    battery.real_power_w = -640
    envoy.requests.clear()
    for _ in range(10):
        await poll(hass, freezer, UPDATE_INTERVAL)
    # Noticed at the next battery read (at most 5 minutes), then every update.
    assert envoy.requests["/ivp/ensemble/power"] >= 5
    assert envoy.requests["/ivp/ensemble/inventory"] <= 3
    power = entry.runtime_data.coordinator.data.encharge_power[battery.serial]
    assert power.real_power_mw == -640_000


async def test_inverters_read_after_their_report(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Aligned with lastReportDate: each report is shown within one update, read once."""
    freezer.move_to(START)
    envoy = sim.envoys["legacy"]
    readings = envoy.readings
    now = START.timestamp()
    readings.report_time = now - 100  # the last report, 100 s ago by the gateway's clock
    inverter = next(iter(readings.inverter_watts))
    report, watts, stale_for = now - 100, 100, []
    readings.inverter_watts[inverter] = watts
    await setup_profile(hass, sim, "legacy")
    envoy.requests.clear()
    for minute in range(1, 31):
        moment = now + minute * UPDATE_INTERVAL
        if moment >= report + INVERTER_REPORT_PERIOD:
            report += INVERTER_REPORT_PERIOD
            watts += 1
            readings.inverter_watts[inverter] = watts
            readings.report_time = report
        await poll(hass, freezer, UPDATE_INTERVAL)
        shown = sensor_state(hass, f"{inverter}_inverter_power")
        if shown != str(watts):
            stale_for.append(moment - report)
    # A new report waits at most one update; never a second one.
    assert all(age < UPDATE_INTERVAL for age in stale_for), stale_for
    assert envoy.requests["/api/v1/production/inverters"] <= 30 // 5 + 2


def test_untrusted_gateway_clock_reads_every_five_minutes() -> None:
    """A recording or a wrong gateway clock: blind five minutes, never every update."""
    clock = [1_800_000_000.0]
    cadence = Cadence(lambda: clock[0])
    reads = 0
    for _ in range(60):
        cadence.begin()
        if cadence.is_due(Family.INVERTERS):
            reads += 1
            data = _inverters_reported_at(1_600_000_000)
            cadence.observe(data, {Family.INVERTERS})
        clock[0] += UPDATE_INTERVAL
    assert reads == 12


def _inverters_reported_at(epoch: int) -> object:
    from pyenphase import EnvoyData
    from pyenphase.models.inverter import EnvoyInverter

    data = EnvoyData()
    data.inverters = {
        "1": EnvoyInverter(
            serial_number="1",
            last_report_date=epoch,
            last_report_watts=10,
            max_report_watts=20,
        )
    }
    return data


async def test_flow_setup_and_restart_cost(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The entry takes the gateway its flow validated; a restart reads /home no more."""
    freezer.move_to(START)
    envoy = sim.envoys["battery"]
    envoy.requests.clear()
    result = await add_through_flow(hass, sim, "battery")
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    setup = Counter(envoy.requests)
    # Each endpoint once (flow and setup together), the MAC once.
    assert setup["/info"] == 1
    assert setup["/auth/check_jwt"] == 1
    assert setup["/production.json"] == 1
    assert setup["/home"] == 1
    assert entry.data["mac"]
    envoy.requests.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    restart = Counter(envoy.requests)
    assert restart["/home"] == 0
    assert restart["/production.json"] == 1
    assert restart["/info"] == 1


async def test_an_aborted_flow_lends_no_gateway(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A flow for a configured gateway, with other credentials, ends "already configured":
    the entry's next setup connects with its own credentials, not the flow's."""
    freezer.move_to(START)
    entry = await setup_profile(hass, sim, "battery")
    token = entry.runtime_data.tokens.manager.token
    result = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["battery"].address,
            CONF_USERNAME: DEMO_INSTALLER[0],
            CONF_PASSWORD: DEMO_INSTALLER[1],
        },
    )
    assert result["reason"] == "already_configured"
    envoy = sim.envoys["battery"]
    envoy.requests.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert envoy.requests["/info"] == 1  # connected anew
    assert entry.runtime_data.tokens.manager.token == token
    assert entry.data[CONF_USERNAME] != DEMO_INSTALLER[0]
