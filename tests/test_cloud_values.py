"""Hostile or broken cloud values: refused where they enter, totals never fall, no traceback."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect.api import Interval
from custom_components.envoy_connect.cloud.totals import interval_length
from custom_components.envoy_connect.const import DOMAIN
from simulator import SimulatorHarness

from .conftest import authorize, poll, sensor_state, user_tracebacks
from .conftest import start_cloud_flow as start_flow
from .test_cloud import CABIN, HOME, _add_cloud_entry

pytestmark = pytest.mark.usefixtures("app_credentials", "current_request_with_host")


def _every_interval(**values: Any) -> Any:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        for interval in body["intervals"]:
            interval.update(values)
        return body

    return rewrite


def _total(hass: HomeAssistant, key: str) -> float:
    value = sensor_state(hass, f"cloud_{HOME}_{key}")
    assert value is not None
    assert value != STATE_UNKNOWN
    return float(value)


async def _poll_cycle(hass: HomeAssistant, entry: Any, freezer: FrozenDateTimeFactory) -> None:
    await poll(hass, freezer, entry.runtime_data.coordinator.update_interval.total_seconds())


@pytest.mark.parametrize("enwh", [1e308, float("inf"), -50_000, "lots", True])
async def test_bad_interval_never_reaches_the_total(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    *,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    enwh: Any,
) -> None:
    """Huge, infinite, negative or non-numeric energy: refused once, the total goes on."""
    freezer.move_to("2026-11-20T10:02:00+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="megawatt")
    before = _total(hass, "consumption_energy")
    sim.api.tamper["consumption_meter"] = _every_interval(enwh=enwh)
    for _ in range(3):
        await _poll_cycle(hass, entry, freezer)
    assert entry.runtime_data.coordinator.last_update_success
    assert _total(hass, "consumption_energy") == before
    assert entry.runtime_data.coordinator.client.values.rejected["enwh"] >= 1
    assert caplog.text.count("unusable enwh") == 1  # logged once, counted after
    sim.api.tamper.clear()
    await poll(hass, freezer, 900)  # a new 15-minute interval
    assert _total(hass, "consumption_energy") > before
    # The stored total survives a reload as a number.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await _poll_cycle(hass, entry, freezer)
    assert entry.runtime_data.coordinator.last_update_success
    assert not user_tracebacks(caplog)


async def test_lifetime_never_falls_and_includes_today(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A lifetime that dips to 0 and back is no meter reset; today's energy is part of it."""
    freezer.move_to("2026-11-20T10:02:00+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=CABIN, plan="megawatt")
    coordinator = entry.runtime_data.coordinator
    summary = coordinator.data.summary
    assert summary.energy_lifetime is not None
    assert summary.energy_today
    assert coordinator.data.lifetime_production == summary.energy_lifetime + summary.energy_today
    level = coordinator.data.lifetime_production
    seen = []
    for dip in (lambda _: 0, lambda _: None, lambda _: -5, lambda v: v - 10_000_000):
        sim.api.tamper["summary"] = lambda body, d=dip: {
            **body,
            "energy_lifetime": d(body["energy_lifetime"]),
        }
        await _poll_cycle(hass, entry, freezer)
        seen.append(coordinator.data.lifetime_production)
    assert seen == [level] * 4
    sim.api.tamper.clear()
    await _poll_cycle(hass, entry, freezer)
    assert coordinator.data.lifetime_production > level


@pytest.mark.parametrize("value", ["yesterday", 1e20, -1, None, [1]])
async def test_bad_last_report_is_unknown_alone(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    value: Any,
) -> None:
    """One unreadable timestamp: that sensor is unknown, every other one keeps working."""
    freezer.move_to("2026-11-20T10:02:00+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=CABIN, plan="megawatt")
    sim.api.tamper["summary"] = lambda body: {**body, "last_report_at": value}
    await _poll_cycle(hass, entry, freezer)
    assert entry.runtime_data.coordinator.last_update_success
    assert entry.runtime_data.coordinator.data.summary.last_report_at is None
    assert sensor_state(hass, f"cloud_{CABIN}_current_power") not in (None, "unavailable")


async def test_stored_total_broken_by_an_old_version_is_dropped(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A null total in the store (an overflow, stored as JSON null) no longer fails every poll."""
    freezer.move_to("2026-11-20T10:02:00+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="megawatt")
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"envoy_connect.cloud_{entry.entry_id}"]["data"]
    stored["consumption_meter"]["energy"] = None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass, freezer, 900)  # the next 15-minute interval starts the total again
    assert entry.runtime_data.coordinator.last_update_success
    assert _total(hass, "consumption_energy") >= 0


def test_interval_length_read_from_the_series() -> None:
    """15-minute meter intervals are 15 minutes, whether one or many arrive."""
    quarter = [Interval(end_at=900 * n) for n in range(1, 4)]
    assert interval_length(quarter, None, None) == 900
    assert interval_length(quarter[-1:], 1800, None) == 900  # the usual single new one
    assert interval_length(quarter[-1:], None, None) == 900  # nothing known: the documented 15
    five = [Interval(end_at=300 * n) for n in range(1, 4)]
    assert interval_length(five, None, None) == 300
    assert interval_length(quarter[-1:], 0, 900) == 900  # a gap is not the length


async def test_html_from_the_token_endpoint(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A captive portal answers the code exchange or a refresh: a reason, never a traceback."""
    sim.api.captive_paths.add("/oauth/token")
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    sim.api.captive_paths.clear()

    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    token = dict(entry.data["token"])
    sim.api.captive_paths.add("/oauth/token")
    await poll(hass, freezer, 86_400)  # the access token expired: a refresh is due
    coordinator = entry.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert entry.data["token"] == token  # nothing half-stored
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)  # no reauth
    sim.api.captive_paths.clear()
    await poll(hass, freezer, 600)
    assert coordinator.last_update_success
    assert not user_tracebacks(caplog)
