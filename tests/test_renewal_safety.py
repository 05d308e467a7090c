"""Renewal never storms, a busy gateway is never a rejection, data returns with Enlighten.

Time is frozen and moved; the simulator mints tokens on the same frozen clock.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.envoy_connect.api import EnvoyToken
from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import NetworkMode, SimulatorHarness
from simulator.enlighten import CloudMode

from .conftest import poll, setup_profile


def _token(entry: MockConfigEntry) -> EnvoyToken:
    return EnvoyToken.parse(entry.data[CONF_AUTH_STATE]["token"])


def _ok(entry: MockConfigEntry) -> bool:
    return bool(entry.runtime_data.coordinator.last_update_success)


def _flows(hass: HomeAssistant) -> list[str]:
    return [f["step_id"] for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)]


async def _jump(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_80_second_tokens_do_not_storm(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Tokens of 80 s for 5 minutes: a handful of logins, data all along, a repair, no prompt."""
    sim.cloud.token_lifetime = 80
    entry = await setup_profile(hass, sim, "metered")
    for _ in range(5 * 4):
        await poll(hass, freezer, 15)
    assert sim.cloud.login_count <= 12
    assert _ok(entry)
    assert _flows(hass) == []
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"token_short_lived_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["lifetime"] == "1 min"
    # Back to ordinary tokens: the next renewal clears the notice.
    sim.cloud.token_lifetime = None
    await poll(hass, freezer, 60)
    assert _token(entry).lifetime == timedelta(days=365)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


@pytest.mark.parametrize("lifetime", [600, 59 * 60])
async def test_short_tokens_for_a_day(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory, lifetime: int
) -> None:
    """10- and 59-minute tokens for a day: renewed after 3/4 of their life, within the ceilings."""
    sim.cloud.token_lifetime = lifetime
    entry = await setup_profile(hass, sim, "metered")
    failed = 0
    for _ in range(24 * 12):
        await poll(hass, freezer, 300)
        failed += not _ok(entry)
    state = entry.data[CONF_AUTH_STATE]
    assert len(state["login_attempts"]) <= 48
    assert sim.cloud.login_count <= 1 + 48
    assert _flows(hass) == []
    # Renewed every 7.5 minutes, 10-minute tokens outrun the daily ceiling: the
    # user is told. 59-minute tokens (every 44 minutes) do not: no notice.
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"token_short_lived_{entry.entry_id}")
    assert (issue is not None) is (lifetime == 600)
    if lifetime > 30 * 60:
        # 59-minute tokens fit the ceilings: the data never stops.
        assert failed == 0
        assert sim.cloud.login_count >= 24 * 60 / 45 - 1


async def test_29_day_tokens_for_a_quarter(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Owner tokens shorter than the 30-day margin: renewed after 3/4 of their life, silently."""
    sim.cloud.token_lifetime = 29 * 24 * 3600
    entry = await setup_profile(hass, sim, "metered")
    first = _token(entry)
    for _ in range(90 * 4):
        await poll(hass, freezer, 6 * 3600)
        assert _ok(entry)
    # 90 days of 29-day tokens renewed every 21.75 days: four renewals.
    assert sim.cloud.login_count == 1 + 4
    assert _token(entry).issued_at - first.issued_at >= timedelta(days=4 * 21.75)
    assert _flows(hass) == []
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, f"token_short_lived_{entry.entry_id}") is None
    assert registry.async_get_issue(DOMAIN, f"token_expiring_{entry.entry_id}") is None


async def _poll_through_timeouts(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """A poll against a gateway that may hang: move the clock until its timeouts fire.

    HA's test loop runs timers only when the test fires time changes, so a
    request waiting for a timeout needs the clock to move while it waits; real
    time passes in an executor meanwhile, so the loop serves the sockets.
    """
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    for _ in range(20):
        await hass.async_add_executor_job(time.sleep, 0.02)
        freezer.tick(timedelta(seconds=2))
        async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("fault", ["check_jwt_503", "gateway_503", "gateway_timeout"])
async def test_busy_gateway_after_renewal_is_no_rejection(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory, fault: str
) -> None:
    """The renewed token meets a busy gateway: try again next poll, no login, no prompt."""
    envoy = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    old = _token(entry)
    await _jump(hass, freezer, old.renew_at + timedelta(seconds=1))
    assert sim.cloud.login_count == 2
    renewed = _token(entry)
    assert renewed.raw != old.raw
    match fault:
        case "check_jwt_503":
            envoy.fail("/auth/check_jwt", 503, times=3)
        case "gateway_503":
            await envoy.set_mode(NetworkMode.UNAVAILABLE)
        case "gateway_timeout":
            await envoy.set_mode(NetworkMode.TIMEOUT)
    with patch("custom_components.envoy_connect.api.gateway.STEP_TIMEOUT", 1):
        for _ in range(3):
            await _poll_through_timeouts(hass, freezer)
            assert not _ok(entry)
    assert _flows(hass) == []
    assert sim.cloud.login_count == 2
    envoy.faults.clear()
    await envoy.set_mode(NetworkMode.ONLINE)
    await poll(hass, freezer)
    assert _ok(entry)
    assert _token(entry).raw == renewed.raw
    assert sim.cloud.login_count == 2
    assert _flows(hass) == []


@pytest.mark.parametrize(
    ("outage", "data_back_within"),
    [
        (timedelta(seconds=90), timedelta(seconds=75)),
        (timedelta(minutes=20), timedelta(minutes=5)),
        (timedelta(hours=3), timedelta(minutes=5)),
    ],
)
async def test_data_returns_with_enlighten(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    outage: timedelta,
    data_back_within: timedelta,
) -> None:
    """Token revoked during an outage: no login while down, data back soon after it ends."""
    envoy = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    sim.cloud.mode = CloudMode.ERROR_5XX
    envoy.revoke_token(_token(entry).raw)
    start = dt_util.utcnow()
    await poll(hass, freezer)  # the first poll after the revocation
    while dt_util.utcnow() - start < outage:
        assert not _ok(entry)
        await poll(hass, freezer, 15)
    # One login found Enlighten down; after that only credential-free checks.
    assert sim.cloud.login_count == 2
    assert _flows(hass) == []
    sim.cloud.mode = CloudMode.ONLINE
    back = dt_util.utcnow()
    while not _ok(entry):
        assert dt_util.utcnow() - back <= data_back_within
        await poll(hass, freezer, 5)
    assert dt_util.utcnow() - back <= data_back_within
    assert sim.cloud.login_count == 3
    assert _flows(hass) == []
