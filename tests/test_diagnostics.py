"""Diagnostics and logs never carry a secret or a serial."""

from __future__ import annotations

import json
import logging

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (  # type: ignore[import-untyped]
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect.api import EnvoyToken
from custom_components.envoy_connect.const import CONF_AUTH_STATE
from simulator import SimulatorHarness

from .conftest import DEMO_OWNER, setup_profile


@pytest.mark.parametrize("profile", ["legacy", "battery"])
async def test_diagnostics_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: SimulatorHarness, profile: str
) -> None:
    entry = await setup_profile(hass, sim, profile)
    dump = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    envoy = sim.envoys[profile]
    secrets = [
        envoy.profile.serial,
        envoy.profile.mac,
        *envoy.readings.inverter_watts,
        *(b.serial for b in envoy.readings.batteries),
    ]
    if token := entry.data[CONF_AUTH_STATE].get("token"):
        secrets += [token, DEMO_OWNER[0], DEMO_OWNER[1]]
    for secret in secrets:
        assert secret.lower() not in dump.lower()
    parsed = json.loads(dump)
    # Every part keeps an entry of its own under its stand-in (none merged by redaction).
    assert len(parsed["data"]["inverters"]) == len(envoy.readings.inverter_watts)
    assert len(parsed["data"]["encharge_power"] or {}) == len(envoy.readings.batteries)
    assert parsed["gateway"]["firmware"] == envoy.profile.firmware
    assert parsed["data"]["system_production"]["watts_now"] == envoy.readings.production_w
    if token:
        parsed_token = EnvoyToken.parse(token)
        assert parsed["auth"]["token_type"] == "owner"
        assert parsed["auth"]["token_expires_at"] == parsed_token.expires_at.isoformat()
        assert parsed["auth"]["next_renewal"] == parsed_token.renew_at.isoformat()
        assert parsed["auth"]["last_error"] is None
        # Setup logged in once; diagnostics count it without revealing anything.
        assert parsed["auth"]["logins_total"] == 1
        assert parsed["auth"]["logins_last_hour"] == 1
        assert parsed["auth"]["last_renewal"] is not None
    else:
        assert parsed["auth"]["token_type"] is None


async def test_no_secret_in_debug_logs(
    hass: HomeAssistant, sim: SimulatorHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Login, token use, rejection and recovery at debug level: no secret in any line."""
    caplog.set_level(logging.DEBUG)
    entry = await setup_profile(hass, sim, "metered")
    token = entry.data[CONF_AUTH_STATE]["token"]
    sim.cloud.change_password(DEMO_OWNER[0], "another-secret-password")
    sim.envoys["metered"].expire_tokens()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    text = caplog.text
    assert "Authentication" in text or "authentication" in text  # the log really covered auth
    for secret in (token, DEMO_OWNER[1], "another-secret-password"):
        assert secret not in text
