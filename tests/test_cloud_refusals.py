"""Cloud refusals a reauth cannot fix lead to a repair; an expired refresh token to one reauth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect.const import DOMAIN
from simulator import SimulatorHarness
from simulator.enphase_api import (
    CONSUMPTION_MONITORING,
    PRODUCTION_MONITORING,
    SYSTEM_DETAILS,
    WATT_ACCESS,
)

from .conftest import DEMO_APP, authorize, poll, sensor_state
from .test_cloud import CABIN, HOME, _add_cloud_entry

pytestmark = pytest.mark.usefixtures("app_credentials", "current_request_with_host")


def _app_access(sim: SimulatorHarness, *access: str, refusal: int = 401) -> None:
    """What the developer ticked when creating the application, and how the rest is refused."""
    app = sim.api.apps[DEMO_APP.client_id]
    app.access = frozenset(access)
    app.refusal = refusal


def _issue(hass: HomeAssistant, kind: str, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry_id}")


@pytest.mark.parametrize("refusal", [401, 403])
async def test_missing_consumption_access_is_a_repair_not_a_reauth(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    refusal: int,
) -> None:
    """Production keeps flowing; the repair names the access control; a reload after ticking it
    brings the consumption and battery data and clears the repair.

    Refused with the live_data 401 text or with the monitoring swagger's plain 403:
    the same token reads the system's summary, so neither is the user's consent."""
    _app_access(sim, SYSTEM_DETAILS, PRODUCTION_MONITORING, refusal=refusal)
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    coordinator = entry.runtime_data.coordinator
    assert entry.state is ConfigEntryState.LOADED
    assert coordinator.endpoints == []
    assert sensor_state(hass, f"cloud_{HOME}_current_power") not in (None, "unavailable")
    issue = _issue(hass, "app_not_authorized", entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": entry.title,
        "access": CONSUMPTION_MONITORING,
    }
    await poll(hass, freezer, 600)
    assert coordinator.last_update_success
    assert _issue(hass, "app_not_authorized", entry.entry_id) is not None  # still lacking
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    _app_access(sim, *WATT_ACCESS)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.endpoints == ["consumption_meter", "battery"]
    assert _issue(hass, "app_not_authorized", entry.entry_id) is None
    assert sensor_state(hass, f"cloud_{HOME}_battery_level") not in (None, "unavailable")


async def test_access_withdrawn_from_a_running_entry(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No System Details any more: entities unavailable and a repair; never a reauth."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    _app_access(sim, CONSUMPTION_MONITORING)
    await poll(hass, freezer, 600)
    await poll(hass, freezer, 600)
    assert not entry.runtime_data.coordinator.last_update_success
    issue = _issue(hass, "app_not_authorized", entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["access"] == SYSTEM_DETAILS
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert sensor_state(hass, f"cloud_{CABIN}_current_power") == "unavailable"

    _app_access(sim, *WATT_ACCESS)
    await poll(hass, freezer, 600)
    assert entry.runtime_data.coordinator.last_update_success
    assert _issue(hass, "app_not_authorized", entry.entry_id) is None


async def test_refresh_token_expired_after_30_days_offline(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """HA off for 31 days: one token request, one reauth flow, no loop; reauth restores data."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(days=31))
    token_requests = sim.api.requests["/oauth/token"]
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    for _ in range(3):
        await poll(hass, freezer, 3600)
    assert sim.api.requests["/oauth/token"] == token_requests + 1
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["step_id"] for f in flows] == ["reauth_cloud"]

    result = dict(await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {}))
    result = await authorize(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, f"cloud_{CABIN}_current_power") not in (None, "unavailable")
