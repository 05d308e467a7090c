"""Multi-factor Enlighten accounts log in with the one-time code Enphase emails.

In the config flow, reauth and the token repair; "send a new code" and a pasted
token stay possible; the code, the login's cookies and its nonce are never
stored or logged; such an account never logs in unattended.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component

from custom_components.envoy_connect.api import (
    EnlightenCodeBlocked,
    EnlightenCodeRejected,
    EnlightenEndpoints,
    EnlightenLogin,
    EnlightenMfaRequired,
)
from custom_components.envoy_connect.const import CONF_AUTH_STATE, CONF_MFA, DOMAIN
from simulator import SimulatorHarness
from simulator.enlighten import MAX_CODE_ATTEMPTS
from simulator.harness import DEMO_MFA

from .conftest import poll, start_local_flow
from .test_auth_lifecycle import _jump, _token, _token_issue


def _code(sim: SimulatorHarness) -> str:
    return sim.cloud.sent_codes[DEMO_MFA[0]]


async def _to_code_step(hass: HomeAssistant, sim: SimulatorHarness) -> dict:
    result = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["metered"].address,
            CONF_USERNAME: DEMO_MFA[0],
            CONF_PASSWORD: DEMO_MFA[1],
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_code"
    assert result["description_placeholders"] == {"username": DEMO_MFA[0]}
    return result


async def _add_with_code(hass: HomeAssistant, sim: SimulatorHarness) -> object:
    result = await _to_code_step(hass, sim)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result["result"]


async def test_config_flow_with_code(
    hass: HomeAssistant, sim: SimulatorHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Wrong code, new code, right code: an entry that stores no password and no code."""
    caplog.set_level(logging.DEBUG)
    result = await _to_code_step(hass, sim)
    first = _code(sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "000000" if first != "000000" else "111111"}
    )
    assert result["errors"] == {"base": "invalid_code"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "code_missing"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"resend": True})
    assert result["step_id"] == "mfa_code"
    assert result["errors"] == {}
    second = _code(sim)
    cookies_seen = [c for c in sim.cloud._pending]  # the nonces Enlighten handed out
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": second})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_MFA] is True
    assert CONF_PASSWORD not in entry.data
    assert _token(entry).serial == sim.envoys["metered"].profile.serial
    stored = json.dumps(dict(entry.data))
    logged = caplog.text
    for secret in (first, second, DEMO_MFA[1], *cookies_seen):
        assert secret not in stored
        assert secret not in logged


async def test_token_can_still_be_pasted(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    result = await _to_code_step(hass, sim)
    pasted = sim.cloud.mint_token(sim.envoys["metered"].profile.serial)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: pasted})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_AUTH_STATE]["token"] == pasted
    assert result["result"].data[CONF_MFA] is True


async def test_blocked_code(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """Too many wrong codes: its own message, not "wrong code" again."""
    result = await _to_code_step(hass, sim)
    wrong = "999999" if _code(sim) != "999999" else "888888"
    for _ in range(MAX_CODE_ATTEMPTS - 1):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": wrong})
        assert result["errors"] == {"base": "invalid_code"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": wrong})
    assert result["errors"] == {"base": "code_blocked"}


async def test_reauth_with_code(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A revoked token: reauth asks for the password, then the emailed code."""
    entry = await _add_with_code(hass, sim)
    logins = sim.cloud.login_count
    sim.envoys["metered"].revoke_token(_token(entry).raw)
    await poll(hass, freezer)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    # Never an unattended login for a multi-factor account (each would email a code).
    assert sim.cloud.login_count == logins
    # Its form says why: a code is needed, not just "the token was rejected".
    assert flow["step_id"] == "reauth_mfa_token_required"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]}
    )
    assert result["step_id"] == "mfa_code"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success


async def test_repair_a_month_ahead_with_code(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """The token repair opens 30 days before expiry and renews with a code."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await _add_with_code(hass, sim)
    logins = sim.cloud.login_count
    expires = _token(entry).expires_at
    await _jump(hass, freezer, expires - timedelta(days=31))
    assert _token_issue(hass, entry) is None
    await _jump(hass, freezer, expires - timedelta(days=29, hours=23))
    issue = _token_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert sim.cloud.login_count == logins  # nothing logged in by itself
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["step_id"] == "credentials"
    result = await manager.async_configure(
        result["flow_id"], {CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]}
    )
    assert result["step_id"] == "mfa_code"
    result = await manager.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert _token(entry).expires_at > expires
    assert entry.data[CONF_MFA] is True


async def test_api_code_errors(sim: SimulatorHarness) -> None:
    """At the api: the challenge continues the login; wrong, blocked and resend limits."""
    serial = sim.envoys["metered"].profile.serial
    async with aiohttp.ClientSession() as session:
        login = EnlightenLogin(session, EnlightenEndpoints.single(sim.cloud_url))
        with pytest.raises(EnlightenMfaRequired) as raised:
            await login.async_obtain_token(*DEMO_MFA, serial)
        challenge = raised.value.challenge
        assert challenge is not None
        assert "cookies" not in repr(challenge)
        assert _code(sim) not in str(raised.value)
        with pytest.raises(EnlightenCodeRejected):
            await login.async_obtain_token_with_code(challenge, "not-the-code")
        for _ in range(2):
            challenge = await login.async_resend_code(challenge)
        with pytest.raises(EnlightenCodeBlocked):
            await login.async_resend_code(challenge)
        token = await login.async_obtain_token_with_code(challenge, _code(sim))
        assert token.count(".") == 2
