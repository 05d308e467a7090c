"""Config flow: every step, every error, abort and discovery path, against the simulator."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import NetworkMode, SimulatorHarness
from simulator.enlighten import CloudMode

from .conftest import DEMO_INSTALLER, DEMO_OWNER, setup_profile, start_local_flow


async def _user_flow(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await start_local_flow(hass)
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("profile", "credentials"),
    [
        ("legacy", {CONF_USERNAME: "installer"}),
        ("legacy", {CONF_USERNAME: "envoy"}),
        ("metered", {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}),
        ("battery", {CONF_USERNAME: DEMO_INSTALLER[0], CONF_PASSWORD: DEMO_INSTALLER[1]}),
    ],
)
async def test_user_creates_entry(
    hass: HomeAssistant, sim: SimulatorHarness, profile: str, credentials: dict[str, str]
) -> None:
    envoy = sim.envoys[profile]
    result = await _user_flow(hass, {CONF_HOST: envoy.address, **credentials})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == envoy.profile.serial
    assert result["title"] == f"Envoy {envoy.profile.serial}"
    assert result["data"][CONF_HOST] == envoy.address
    token = result["data"][CONF_AUTH_STATE].get("token")
    if envoy.profile.uses_token_auth:
        assert token == sim.cloud.issued_tokens[-1]
    else:
        assert token is None


async def test_user_with_pasted_token_needs_no_cloud(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    envoy = sim.envoys["metered"]
    token = sim.cloud.mint_token(envoy.profile.serial)
    result = await _user_flow(hass, {CONF_HOST: envoy.address, CONF_TOKEN: token})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_AUTH_STATE]["token"] == token
    assert sim.cloud.login_count == 0


@pytest.mark.parametrize(
    ("setup", "user_input", "error"),
    [
        ("offline", {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}, "cannot_connect"),
        ("none", {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: "wrong"}, "invalid_auth"),
        (
            "cloud_down",
            {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]},
            "enlighten_unavailable",
        ),
        (
            "cloud_unreachable",
            {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]},
            "enlighten_unavailable",
        ),
        ("none", {CONF_USERNAME: "installer"}, "credentials_required"),
        ("none", {CONF_TOKEN: "not-a-token"}, "token_invalid"),
        ("revoked", {CONF_TOKEN: "revoked"}, "invalid_auth"),
        ("other_serial", {CONF_TOKEN: "other"}, "token_invalid"),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant, sim: SimulatorHarness, setup: str, user_input: dict[str, str], error: str
) -> None:
    """Each failure is a translated form error; fixing the cause then succeeds."""
    envoy = sim.envoys["metered"]
    if setup == "offline":
        await envoy.set_mode(NetworkMode.OFFLINE)
    elif setup == "cloud_down":
        sim.cloud.mode = CloudMode.ERROR_5XX
    elif setup == "cloud_unreachable":
        sim.cloud.mode = CloudMode.UNREACHABLE
    if user_input.get(CONF_TOKEN) == "revoked":
        token = sim.cloud.mint_token(envoy.profile.serial)
        envoy.revoke_token(token)
        user_input = {CONF_TOKEN: token}
    elif user_input.get(CONF_TOKEN) == "other":
        user_input = {CONF_TOKEN: sim.cloud.mint_token("999999999999")}
    result = await _user_flow(hass, {CONF_HOST: envoy.address, **user_input})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    await envoy.set_mode(NetworkMode.ONLINE)
    sim.cloud.mode = CloudMode.ONLINE
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: envoy.address, CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_unknown_error(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    from unittest.mock import patch

    with patch(
        "custom_components.envoy_connect.local.form.async_validate",
        side_effect=RuntimeError("boom"),
    ):
        result = await _user_flow(hass, {CONF_HOST: sim.envoys["legacy"].address})
    assert result["errors"] == {"base": "unknown"}


async def test_user_already_configured(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    await setup_profile(hass, sim, "legacy")
    result = await _user_flow(
        hass, {CONF_HOST: sim.envoys["legacy"].address, CONF_USERNAME: "installer"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def _zeroconf(host: str, serial: str | None, ip: str = "127.0.0.1") -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(ip),
        ip_addresses=[ip_address(ip)],
        hostname="envoy.local.",
        name="envoy._enphase-envoy._tcp.local.",
        port=80,
        type="_enphase-envoy._tcp.local.",
        properties={"serialnum": serial} if serial else {},
    )


async def test_zeroconf_new_gateway(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    envoy = sim.envoys["legacy"]
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_zeroconf("127.0.0.1", envoy.profile.serial),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: envoy.address, CONF_USERNAME: "installer"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == envoy.profile.serial


async def test_zeroconf_known_gateway_moves(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "legacy")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_zeroconf("127.0.0.1", sim.envoys["legacy"].profile.serial),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"


@pytest.mark.parametrize(
    ("ip", "serial", "reason"),
    [("fe80::1", "1", "not_ipv4_address"), ("127.0.0.1", None, "no_serial")],
)
async def test_zeroconf_aborts(
    hass: HomeAssistant, ip: str, serial: str | None, reason: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf("x", serial, ip=ip)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_reconfigure(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "metered")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    # Pointing at another gateway is refused and leaves the entry untouched.
    before = dict(entry.data)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["battery"].address,
            CONF_USERNAME: DEMO_OWNER[0],
            CONF_PASSWORD: DEMO_OWNER[1],
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "wrong_gateway"}
    assert dict(entry.data) == before

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["metered"].address,
            CONF_USERNAME: DEMO_INSTALLER[0],
            CONF_PASSWORD: DEMO_INSTALLER[1],
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_USERNAME] == DEMO_INSTALLER[0]
    await hass.async_block_till_done()
    # Since 2026 Enlighten's /tokens gives installer accounts owner tokens too.
    assert entry.runtime_data.tokens.manager.token.kind.value == "owner"


async def test_reconfigure_host_only_keeps_secrets(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Secrets are never shown, so blank fields keep them: no new login, token reused."""
    entry = await setup_profile(hass, sim, "metered")
    token = entry.data[CONF_AUTH_STATE]["token"]
    logins = sim.cloud.login_count
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: sim.envoys["metered"].address, CONF_USERNAME: DEMO_OWNER[0]},
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == DEMO_OWNER[1]
    assert entry.data[CONF_AUTH_STATE]["token"] == token
    await hass.async_block_till_done()
    assert sim.cloud.login_count == logins


async def test_reconfigure_error_keeps_entry(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "metered")
    before = dict(entry.data)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["metered"].address,
            CONF_USERNAME: DEMO_OWNER[0],
            CONF_PASSWORD: "nope",
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert dict(entry.data) == before


async def test_reauth_with_new_password(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    sim.cloud.change_password(DEMO_OWNER[0], "new-password")
    entry = await setup_profile(hass, sim, "metered")
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_credentials_rejected"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state.recoverable is True
    assert entry.runtime_data.coordinator.last_update_success
    assert entry.data[CONF_PASSWORD] == "new-password"


async def test_reauth_unknown_reason_falls_back(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    entry = await setup_profile(hass, sim, "metered")
    result = await entry.start_reauth_flow(hass, data={"reauth_reason": "bogus"})
    assert result["step_id"] == "reauth_token_rejected"
    for step in ("reauth_firmware_needs_enlighten", "reauth_mfa_token_required"):
        flow = hass.config_entries.flow._progress[result["flow_id"]]
        assert hasattr(flow, f"async_step_{step}")


async def test_gateway_has_no_polling_option(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """HA's rules: no user-set scan interval; an automation polls faster (see README)."""
    entry = await setup_profile(hass, sim, "legacy")
    assert entry.supports_options is False
    assert entry.runtime_data.coordinator.update_interval.total_seconds() == 60
