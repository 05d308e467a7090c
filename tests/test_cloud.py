"""Enlighten cloud mode against the simulator's OAuth server and v4 API.

The browser part of OAuth (approve on the authorize page, follow the redirect
to HA's callback) is done with a plain HTTP client; everything else runs
through HA's real OAuth2 flow handler, token requests and OAuth2Session.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import DATA_COMPONENT as CREDENTIALS
from homeassistant.components.application_credentials import AuthorizationServer, ClientCredential
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import OAuth2TokenRequestReauthError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect.application_credentials import (
    EnphaseOAuth2Implementation,
    async_get_description_placeholders,
)
from custom_components.envoy_connect.cloud.budget import STORAGE_KEY, key_id
from custom_components.envoy_connect.const import CONF_PLAN, CONF_SYSTEM_ID, DOMAIN
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.enphase_api import WATT_ACCESS, ApiUser, PlanLimits, consumption_wh, current_power_w

from .conftest import DEMO_APP, DEMO_OWNER, authorize, poll, sensor_state, setup_profile
from .conftest import start_cloud_flow as start_flow

NEIGHBOUR = "neighbour@example.com"
HOME, CABIN, NEIGHBOUR_SYSTEM = 4_100_001, 4_100_002, 4_200_001

pytestmark = pytest.mark.usefixtures("app_credentials", "current_request_with_host")


async def _add_cloud_entry(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    client: ClientSessionGenerator,
    *,
    user: str = DEMO_OWNER[0],
    system: int | None = CABIN,
    plan: str = "watt",
) -> ConfigEntry:
    result = await authorize(hass, sim, client, await start_flow(hass), user=user)
    assert result["step_id"] == "api_key"
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_APP.api_key, CONF_PLAN: plan}
        )
    )
    if system is not None and result.get("step_id") == "system":
        result = dict(
            await hass.config_entries.flow.async_configure(
                result["flow_id"], {"system_id": str(system)}
            )
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    return entry


async def test_full_oauth_flow(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Authorize, a wrong key then the right one, pick a system, values appear."""
    result = await start_flow(hass)
    result = await authorize(hass, sim, hass_client_no_auth, result)
    assert result["step_id"] == "api_key"
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "someone-elses-key", CONF_PLAN: "watt"}
        )
    )
    assert result["errors"] == {"base": "invalid_api_key"}
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_APP.api_key, CONF_PLAN: "kilowatt"}
        )
    )
    assert result["step_id"] == "system"
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"system_id": str(HOME)})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == f"cloud_{HOME}"
    assert entry.title == "Home (simulated)"
    assert entry.data[CONF_SYSTEM_ID] == HOME
    assert entry.data["enl_uid"] == "1001"
    assert entry.data["token"]["refresh_token"]
    assert entry.options == {CONF_PLAN: "kilowatt"}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    uid = f"cloud_{HOME}"
    assert sensor_state(hass, f"{uid}_status") == "normal"
    assert float(sensor_state(hass, f"{uid}_current_power") or 0) > 0
    assert sensor_state(hass, f"{uid}_battery_level") not in (None, "unknown")
    assert sensor_state(hass, f"{uid}_consumption_energy") not in (None, "unknown")
    left = int(sensor_state(hass, f"{uid}_requests_left") or -1)
    assert left == 50_000 - sim.api.month_count(DEMO_APP.client_id)
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, uid), entry.entry_id)
    assert device is not None
    assert device.name == "Home (simulated)"


async def test_single_system_skips_picker(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, user=NEIGHBOUR, system=None)
    assert entry.unique_id == f"cloud_{NEIGHBOUR_SYSTEM}"
    # Watt plan: summary only, no optional telemetry entities.
    assert sensor_state(hass, f"cloud_{NEIGHBOUR_SYSTEM}_current_power") is not None
    assert sensor_state(hass, f"cloud_{NEIGHBOUR_SYSTEM}_consumption_power") is None


async def test_local_and_cloud_coexist(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Same site twice: different unique ids, different devices, both loaded."""
    local = await setup_profile(hass, sim, "battery")
    cloud = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    assert local.state is ConfigEntryState.LOADED
    assert cloud.state is ConfigEntryState.LOADED
    registry = dr.async_get(hass)
    local_devices = dr.async_entries_for_config_entry(registry, local.entry_id)
    cloud_devices = dr.async_entries_for_config_entry(registry, cloud.entry_id)
    assert not {d.id for d in local_devices} & {d.id for d in cloud_devices}
    assert sensor_state(hass, "202400013579_battery_level") is not None
    assert sensor_state(hass, f"cloud_{HOME}_battery_level") is not None


async def test_aborts(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Every system added already (said right after the sign-in), denied, no systems."""
    await _add_cloud_entry(hass, sim, hass_client_no_auth, user=NEIGHBOUR, system=None)
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass), user=NEIGHBOUR)
    assert result == result | {"type": FlowResultType.ABORT, "reason": "all_systems_added"}

    result = await authorize(
        hass, sim, hass_client_no_auth, await start_flow(hass), decision="deny"
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_rejected_authorize"

    sim.api.add_user(ApiUser(3003, "empty@example.com"))
    result = await authorize(
        hass, sim, hass_client_no_auth, await start_flow(hass), user="empty@example.com"
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_systems"


async def test_missing_credentials_abort(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """Without application credentials the flow says where to add them."""
    collection = hass.data[CREDENTIALS]
    for item in list(collection.async_items()):
        await collection.async_delete_item(item["id"])
    result = await start_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] in ("missing_credentials", "missing_configuration")


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("down", "cloud_unavailable"),
        ("exhausted", "rate_limited"),
        # The application lacks System Details: said as such, not blamed on the key.
        ("no_access", "app_not_authorized"),
    ],
)
async def test_api_key_step_errors_then_recover(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    breakage: str,
    error: str,
) -> None:
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    app = sim.api.apps[DEMO_APP.client_id]
    if breakage == "down":
        sim.api.mode = CloudMode.ERROR_5XX
    elif breakage == "no_access":
        app.access = frozenset()
    else:
        sim.api.set_plan(DEMO_APP.client_id, "watt")
        sim.api.exhaust_month()
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_APP.api_key, CONF_PLAN: "watt"}
        )
    )
    assert result["errors"] == {"base": error}
    sim.api.mode = CloudMode.ONLINE
    app.access = WATT_ACCESS
    sim.api.set_plan(DEMO_APP.client_id, "partner")
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_APP.api_key, CONF_PLAN: "partner"}
        )
    )
    assert result["step_id"] == "system"


async def test_token_refresh_persisted(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A day later the access token is refreshed once and stored in the entry."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    first = dict(entry.data["token"])
    refreshes = sim.api.requests["/oauth/token"]
    await poll(hass, freezer, 86_400)
    assert sim.api.requests["/oauth/token"] == refreshes + 1
    token = entry.data["token"]
    assert token["access_token"] != first["access_token"]
    assert token["refresh_token"] != first["refresh_token"]
    assert token["expires_at"] > first["expires_at"]
    assert entry.runtime_data.coordinator.last_update_success

    # The service drops the access token early: refreshed once, no reauth.
    sim.api.expire_access_tokens()
    await poll(hass, freezer, 600)
    assert sim.api.requests["/oauth/token"] == refreshes + 2
    assert entry.runtime_data.coordinator.last_update_success
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_invalid_grant_reauth(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Revoked: one reauth flow; completing it with the same account restores data."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    sim.api.revoke_tokens()
    await poll(hass, freezer, 600)
    await poll(hass, freezer, 600)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["step_id"] == "reauth_cloud"
    result = dict(await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {}))
    result = await authorize(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success
    uid = f"cloud_{CABIN}"
    assert sensor_state(hass, f"{uid}_current_power") not in (None, "unavailable")


async def test_reauth_wrong_account(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    before = dict(entry.data)
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_cloud"
    result = dict(await hass.config_entries.flow.async_configure(flow["flow_id"], {}))
    result = await authorize(hass, sim, hass_client_no_auth, result, user=NEIGHBOUR)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(entry.data) == before


async def test_api_key_rejected_repair_then_reconfigure(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The key is regenerated on the portal: a repair issue; reconfigure fixes it."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    sim.api.apps[DEMO_APP.client_id].api_key = "regenerated-key"
    await poll(hass, freezer, 600)
    assert not entry.runtime_data.coordinator.last_update_success
    issue_id = f"api_key_rejected_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    result = dict(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    assert result["step_id"] == "reconfigure_cloud"
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "still-wrong", CONF_PLAN: "partner"}
        )
    )
    assert result["errors"] == {"base": "invalid_api_key"}
    assert entry.data[CONF_API_KEY] == DEMO_APP.api_key
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "regenerated-key", CONF_PLAN: "megawatt"}
        )
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_API_KEY] == "regenerated-key"
    assert entry.options == {CONF_PLAN: "megawatt"}
    assert entry.runtime_data.coordinator.last_update_success
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_options_custom_plan(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PLAN: "custom"}
    )
    assert result["step_id"] == "custom_plan"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"per_minute": 20, "per_month": 5000}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_PLAN: "custom", "per_minute": 20, "per_month": 5000}
    coordinator = entry.runtime_data.coordinator
    assert coordinator.plan.per_month == 5000
    assert coordinator.update_interval is not None
    assert coordinator.update_interval < timedelta(hours=1)


async def test_telemetry_never_counted_twice(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Consumption energy equals the sum of every interval served, across a restart."""
    freezer.move_to("2026-11-20T10:02:00+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="megawatt")
    coordinator = entry.runtime_data.coordinator
    assert coordinator.has_consumption
    assert coordinator.has_battery
    for _ in range(5):
        await poll(hass, freezer, coordinator.update_interval.total_seconds())
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(5):
        await poll(hass, freezer, entry.runtime_data.coordinator.update_interval.total_seconds())
    # Every 15-minute interval from midnight (the first fetch) to the newest one, once.
    midnight = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    now = int(dt_util.utcnow().timestamp())
    expected = sum(consumption_wh(t) for t in range(midnight + 900, now - now % 900 + 1, 900))
    # Power is the newest interval's energy over its real length (15 minutes).
    newest = now - now % 900
    consumption = sensor_state(hass, f"cloud_{HOME}_consumption_power")
    assert consumption is not None
    assert float(consumption) == pytest.approx(consumption_wh(newest) * 4 / 1000, abs=0.001)
    value = sensor_state(hass, f"cloud_{HOME}_consumption_energy")
    assert value is not None
    assert float(value) == pytest.approx(expected / 1000, abs=0.01)
    # The clock has not moved since the last poll: the summary is the simulator's "now".
    power = sensor_state(hass, f"cloud_{HOME}_current_power")
    assert power is not None
    assert float(power) == current_power_w(dt_util.utcnow().timestamp()) / 1000


async def test_simulated_month_within_free_plan(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A whole December on the Watt plan: under 90 % of 1,000 requests, data all along."""
    freezer.move_to("2026-12-01T00:00:30+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.endpoints == []  # Watt cannot afford telemetry every hour
    cycles = 0
    while True:
        interval = coordinator.update_interval
        assert interval is not None
        await poll(hass, freezer, interval.total_seconds())
        if freezer.time_to_freeze.month != 12:  # type: ignore[attr-defined]
            break
        cycles += 1
        assert coordinator.last_update_success
        assert interval <= timedelta(hours=1)
    december = sim.api.month_count(DEMO_APP.client_id, "2026-12")
    assert 850 <= december <= 900  # the budget is used, never more than 90 %
    assert cycles >= 850
    assert sim.api.limited == 0  # not one 429 all month
    # The count is keyed by month: January starts from zero.
    assert entry.runtime_data.coordinator.budget.used(dt_util.utcnow()) <= 2


async def test_rate_limits(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Per-minute 429: keep values, retry next minute. Monthly: issue, wait for the month."""
    freezer.move_to("2026-11-20T10:00:05+00:00")
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    coordinator = entry.runtime_data.coordinator
    uid = f"cloud_{CABIN}"
    before = sensor_state(hass, f"{uid}_current_power")
    sim.api.apps[DEMO_APP.client_id].plan = PlanLimits("Tiny", 0, None)
    await poll(hass, freezer, 300)
    assert coordinator.last_update_success
    assert sensor_state(hass, f"{uid}_current_power") == before
    assert coordinator.update_interval is not None
    assert coordinator.update_interval <= timedelta(seconds=61)
    # Held until the period_end the service named, and no "month used up" notice.
    blocked = coordinator.budget.blocked_until
    assert blocked is not None
    assert (blocked.second, blocked.microsecond) == (1, 0)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"budget_exhausted_{entry.entry_id}") is None
    sim.api.apps[DEMO_APP.client_id].plan = PlanLimits("Partner", 300, None)
    summary_calls = sim.api.requests[f"/api/v4/systems/{CABIN}/summary"]
    await poll(hass, freezer, coordinator.update_interval.total_seconds())
    assert sim.api.requests[f"/api/v4/systems/{CABIN}/summary"] == summary_calls + 1

    sim.api.apps[DEMO_APP.client_id].plan = PlanLimits("Watt", 10, 1_000)
    sim.api.exhaust_month()
    await poll(hass, freezer, coordinator.update_interval.total_seconds())
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"budget_exhausted_{entry.entry_id}")
    assert issue is not None
    assert coordinator.last_update_success  # last values kept
    calls = sim.api.api_request_count
    for _ in range(6):
        await poll(hass, freezer, 3600)
    assert sim.api.api_request_count == calls  # nothing sent while the month is used up
    freezer.move_to("2026-12-01T00:00:05+00:00")
    await poll(hass, freezer, 1)
    assert sim.api.api_request_count > calls
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"budget_exhausted_{entry.entry_id}") is None


async def test_probe_finds_no_telemetry(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A system without meter or battery: probed once, remembered, no such entities."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="kilowatt")
    assert entry.runtime_data.coordinator.endpoints == []
    probes = sim.api.requests[f"/api/v4/systems/{CABIN}/telemetry/consumption_meter"]
    assert probes == 1
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert sim.api.requests[f"/api/v4/systems/{CABIN}/telemetry/consumption_meter"] == probes
    assert sensor_state(hass, f"cloud_{CABIN}_consumption_power") is None


async def test_custom_plan_in_flow_and_reconfigure(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass), user=NEIGHBOUR)
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_APP.api_key, CONF_PLAN: "custom"}
        )
    )
    assert result["step_id"] == "custom_plan"
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"per_minute": 30})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.options == {CONF_PLAN: "custom", "per_minute": 30}
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.plan.per_month is None
    # No monthly cap: no "requests left" sensor.
    assert sensor_state(hass, f"cloud_{NEIGHBOUR_SYSTEM}_requests_left") is None

    result = dict(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_PLAN: "custom"})
    )
    assert result["step_id"] == "custom_plan"
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {"per_minute": 12, "per_month": 2000}
        )
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.options == {CONF_PLAN: "custom", "per_minute": 12, "per_month": 2000}
    assert entry.data[CONF_API_KEY] == DEMO_APP.api_key


async def test_cloud_diagnostics_redacted(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    # Its HTTP view must exist before the first client freezes the router.
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    dump = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    token = entry.data["token"]
    for secret in (
        DEMO_APP.api_key,
        DEMO_APP.client_secret,
        token["access_token"],
        token["refresh_token"],
        str(HOME),
    ):
        assert secret not in dump
    parsed = json.loads(dump)
    assert parsed["budget"]["plan"]["per_month"] == 50_000
    assert parsed["coordinator"]["endpoints"] == ["summary", "consumption_meter", "battery"]
    assert parsed["data"]["summary"]["status"] == "normal"


async def test_credentials_dialog_placeholders(hass: HomeAssistant) -> None:
    """The dialog says where to create the application and which redirect URL to register."""
    placeholders = await async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == "https://example.com/auth/external/callback"
    assert placeholders["developer_portal"].startswith("https://developer-v4.enphase.com")


async def test_month_count_survives_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The count is read from storage, keyed by month: a stale month counts as zero."""
    freezer.move_to("2026-11-15T00:00:00+00:00")
    hass_storage[STORAGE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORAGE_KEY,
        "data": {"apps": {key_id(DEMO_APP.api_key): {"month": "2026-11", "count": 880}}},
    }
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, user=NEIGHBOUR, system=None)
    budget = entry.runtime_data.coordinator.budget
    # 880 stored + the flow's systems call + the first summary.
    assert budget.used(dt_util.utcnow()) == 882
    assert sensor_state(hass, f"cloud_{NEIGHBOUR_SYSTEM}_requests_left") == "118"
    # 900 - 882 = 18 requests left until December: spread evenly.
    interval = entry.runtime_data.coordinator.update_interval
    assert interval == (datetime(2026, 12, 1, tzinfo=UTC) - dt_util.utcnow()) / 18
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    saved = hass_storage[STORAGE_KEY]["data"]["apps"][key_id(DEMO_APP.api_key)]
    assert saved == {"month": "2026-11", "count": 882}


async def test_no_cloud_secret_in_logs(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Flow, refresh, key rejection and revocation at debug level: no secret in any line."""
    caplog.set_level(logging.DEBUG)
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    secrets = {DEMO_APP.api_key, DEMO_APP.client_secret}
    secrets |= {entry.data["token"]["access_token"], entry.data["token"]["refresh_token"]}
    await poll(hass, freezer, 86_400)  # refresh
    secrets |= {entry.data["token"]["access_token"], entry.data["token"]["refresh_token"]}
    sim.api.apps[DEMO_APP.client_id].api_key = "regenerated-key"
    await poll(hass, freezer, 600)
    sim.api.revoke_tokens()
    await poll(hass, freezer, 600)
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    for secret in secrets:
        assert secret not in caplog.text


async def test_failed_token_requests_carry_no_secret(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused code exchange and a refused refresh: neither the code, the refresh
    token nor the client secret appears in the log or in the error HA keeps."""
    caplog.set_level(logging.DEBUG)
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    refresh_token = entry.data["token"]["refresh_token"]
    sim.api.revoke_tokens()
    implementation = await async_get_config_entry_implementation(hass, entry)
    with pytest.raises(OAuth2TokenRequestReauthError) as refused:
        await implementation.async_refresh_token(entry.data["token"])
    assert refresh_token not in str(refused.value)
    assert refresh_token not in repr(refused.value.request_info)

    sim.api.apps[DEMO_APP.client_id].client_secret = "rotated-on-the-portal"
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"  # "check the client ID and secret"
    # aiohttp.access is the test client's request log, not Home Assistant's.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert "Error resolving OAuth token" in logged  # HA did log the failure ...
    for secret in (refresh_token, DEMO_APP.client_secret, "code="):
        assert secret not in logged  # ... without the grant or the secret


@pytest.mark.usefixtures("socket_enabled")
async def test_redirecting_token_endpoint_gets_no_grant(
    hass: HomeAssistant, aiohttp_server: Any
) -> None:
    """A token endpoint that redirects is not followed: the refresh token goes nowhere
    else, and no error (nor its cause) names it."""
    asked: list[str] = []

    async def again(request: web.Request) -> web.Response:
        asked.append(str(request.url))
        raise web.HTTPTemporaryRedirect(str(request.url))  # 307: POST again, grant and all

    app = web.Application()
    app.router.add_post("/oauth/token", again)
    server = await aiohttp_server(app)
    implementation = EnphaseOAuth2Implementation(
        hass,
        DOMAIN,
        ClientCredential("client-id", "client-secret"),
        AuthorizationServer(
            authorize_url=str(server.make_url("/oauth/authorize")),
            token_url=str(server.make_url("/oauth/token")),
        ),
    )
    # Named here: a traceback shows the source line of each frame, the test's too.
    token = {"refresh_token": "secret-refresh", "access_token": "a", "expires_at": 0}
    with pytest.raises(Exception) as failed:  # noqa: PT011 -- HA decides the type
        await implementation.async_refresh_token(token)
    assert len(asked) == 1
    told = "".join(traceback.format_exception(failed.value))
    assert "secret-refresh" not in told
    assert "client-secret" not in told
