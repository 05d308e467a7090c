"""Token lifecycle in a running Home Assistant: renewal, outages, rejections, MFA, repairs.

Time moves with the freezer; the simulator runs on the same frozen clock, so a
token it issued expires exactly when Home Assistant thinks it does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.envoy_connect.api import EnvoyToken, TokenKind
from custom_components.envoy_connect.api.token_manager import BACKOFF_CAP
from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode

from .conftest import (
    DEMO_INSTALLER,
    DEMO_OWNER,
    poll,
    sensor_state,
    setup_profile,
)


def _token(entry: MockConfigEntry) -> EnvoyToken:
    return EnvoyToken.parse(entry.data[CONF_AUTH_STATE]["token"])


def _ok(entry: MockConfigEntry) -> bool:
    return bool(entry.runtime_data.coordinator.last_update_success)


def _flows(hass: HomeAssistant) -> list[str]:
    return [f["step_id"] for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)]


def _token_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"token_expiring_{entry.entry_id}")


async def _jump(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Move the clock to ``when`` and let every timer that came due run."""
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_owner_token_proactive_renewal(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Renewed when 30 days are left, persisted at once, used at once, reused after restart."""
    entry = await setup_profile(hass, sim, "metered")
    old = _token(entry)
    assert old.kind is TokenKind.OWNER
    assert sim.cloud.login_count == 1

    await _jump(hass, freezer, old.expires_at - timedelta(days=30, minutes=5))
    assert sim.cloud.login_count == 1
    assert _token(entry).raw == old.raw

    await poll(hass, freezer, 600)
    assert sim.cloud.login_count == 2
    new = _token(entry)
    assert new.raw != old.raw
    assert new.expires_at > old.expires_at
    last_renewal = datetime.fromisoformat(entry.data[CONF_AUTH_STATE]["last_renewal"])
    assert abs(last_renewal - new.issued_at) < timedelta(minutes=1)

    # The gateway already works with the new token: the old one may go.
    sim.envoys["metered"].revoke_token(old.raw)
    await poll(hass, freezer)
    assert _ok(entry)

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sim.cloud.login_count == 2
    assert _flows(hass) == []


async def test_installer_token_48h(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """12-hour tokens over two days: renewed an hour early each time, no gap, no reauth."""
    sim.cloud.token_kind = "installer"  # the entrez portal's tokens (/tokens gives owner ones)
    entry = await setup_profile(
        hass, sim, "battery", username=DEMO_INSTALLER[0], password=DEMO_INSTALLER[1]
    )
    first = _token(entry)
    assert first.kind is TokenKind.INSTALLER
    start = first.issued_at
    seen_tokens = {first.raw}
    for _ in range(48 * 4):
        await poll(hass, freezer, 15 * 60)
        assert _ok(entry)
        assert sensor_state(hass, "202400013579_production") not in (
            None,
            "unavailable",
        )
        token = _token(entry)
        assert token.expires_at - dt_util.utcnow() >= timedelta(minutes=45)
        seen_tokens.add(token.raw)
    elapsed = _token(entry).issued_at - start
    assert elapsed >= timedelta(hours=44)
    # One login at setup, then one renewal every 11 hours.
    assert sim.cloud.login_count == 1 + 48 // 11
    assert len(seen_tokens) == sim.cloud.login_count
    assert _flows(hass) == []


async def test_enlighten_down_during_renewal(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Data keeps flowing on the valid token; a repair issue only inside the last 7 days."""
    entry = await setup_profile(hass, sim, "metered")
    token = _token(entry)
    sim.cloud.mode = CloudMode.ERROR_5XX

    await _jump(hass, freezer, token.renew_at + timedelta(seconds=1))
    assert sim.cloud.login_count == 2  # the due attempt
    await poll(hass, freezer)
    assert _ok(entry)
    assert _token_issue(hass, entry) is None

    # Backoff: a day of outage costs at most one login an hour.
    before = sim.cloud.login_count
    for _ in range(24 * 6):
        await poll(hass, freezer, 600)
        assert _ok(entry)
    assert sim.cloud.login_count - before <= 24 + 6
    assert _token_issue(hass, entry) is None

    await _jump(hass, freezer, token.expires_at - timedelta(days=6, hours=12))
    await poll(hass, freezer)
    assert _ok(entry)
    issue = _token_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["days"] == "6"
    assert _flows(hass) == []
    assert _token(entry).raw == token.raw

    sim.cloud.mode = CloudMode.ONLINE
    await poll(hass, freezer, BACKOFF_CAP.total_seconds() + 1)
    assert _token(entry).raw != token.raw
    assert _token_issue(hass, entry) is None
    assert entry.data[CONF_AUTH_STATE]["last_error"] is None
    assert _ok(entry)


async def test_credentials_rejected(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Password changed elsewhere: one reauth flow, at most 3 logins, data keeps flowing."""
    entry = await setup_profile(hass, sim, "metered")
    token = _token(entry)
    sim.cloud.change_password(DEMO_OWNER[0], "changed-elsewhere")

    await _jump(hass, freezer, token.renew_at + timedelta(seconds=1))
    assert _flows(hass) == ["reauth_credentials_rejected"]
    for _ in range(48):
        await poll(hass, freezer, 1800)
        assert _ok(entry)
    assert sim.cloud.login_count == 1 + 3
    assert _flows(hass) == ["reauth_credentials_rejected"]
    assert entry.data[CONF_AUTH_STATE]["consecutive_rejections"] == 3
    # Nothing renews now: the user is told before the token runs out.
    await _jump(hass, freezer, token.expires_at - timedelta(days=3))
    assert _token_issue(hass, entry) is not None
    assert sim.cloud.login_count == 4

    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: "changed-elsewhere"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert _ok(entry)
    assert entry.data[CONF_AUTH_STATE]["consecutive_rejections"] == 0
    assert _token(entry).raw != token.raw
    assert _token_issue(hass, entry) is None


async def test_pasted_token_expiring_repair_leads_to_form(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A token we cannot renew raises a fixable issue 7 days ahead; the fix replaces it."""
    assert await async_setup_component(hass, "repairs", {})
    envoy = sim.envoys["metered"]
    token = sim.cloud.mint_token(envoy.profile.serial)
    entry = await setup_profile(
        hass, sim, "metered", username=None, password=None, auth={"token": token}
    )
    expires = _token(entry).expires_at
    await _jump(hass, freezer, expires - timedelta(days=7, minutes=1))
    assert _token_issue(hass, entry) is None
    await poll(hass, freezer, 120)
    issue = _token_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["days"] == "6"
    # The count goes down day by day.
    await poll(hass, freezer, 24 * 3600)
    issue = _token_issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["days"] == "5"

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    result = await manager.async_configure(
        result["flow_id"], {CONF_TOKEN: sim.cloud.mint_token("999999999999")}
    )
    assert result["errors"] == {"base": "token_invalid"}
    assert entry.data[CONF_AUTH_STATE]["token"] == token
    fresh = sim.cloud.mint_token(envoy.profile.serial)
    result = await manager.async_configure(result["flow_id"], {CONF_TOKEN: fresh})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data[CONF_AUTH_STATE]["token"] == fresh
    assert entry.state is ConfigEntryState.LOADED
    assert _token_issue(hass, entry) is None
    assert sim.cloud.login_count == 0


@pytest.mark.parametrize("removed", [True, False])
async def test_repair_flow_for_removed_entry(
    hass: HomeAssistant, sim: SimulatorHarness, removed: bool
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    entry = await setup_profile(
        hass,
        sim,
        "metered",
        username=None,
        password=None,
        auth={"token": sim.cloud.mint_token("122300067890", lifetime=3 * 86400)},
    )
    issue_id = f"token_expiring_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    if removed:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        # Removing the entry removed its issues too.
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="token_expiring",
            data={"entry_id": entry.entry_id},
        )
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    if removed:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "entry_removed"
    else:
        assert result["step_id"] == "credentials"
