"""Diagnostics and logs never carry a secret or a serial."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

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
from .test_captures import CAPTURES, CAPTURES_DIR, HTML_ONLY, add_through_flow, replay

__all__ = ["replay"]
#: Identifiers a recording carries: serial numbers (also as dict keys), generator ids, MACs.
_IDENTIFIERS = (
    r'"(?:serial_num|serialNumber|serial_number|sn|serial|generator_id|mac)"\s*:\s*"([^"]+)"',
    r"<sn>([^<]+)</sn>",
    r'"(\d{12})"\s*:\s*\{',
)


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


def _identifiers(folder: Path) -> set[str]:
    found: set[str] = set()
    for recording in folder.iterdir():
        if not recording.name.endswith("_log.json"):
            text = recording.read_text(errors="ignore")
            found.update(m for pattern in _IDENTIFIERS for m in re.findall(pattern, text))
    return {f for f in found if len(f) >= 8}


@pytest.mark.parametrize("capture", [c for c in CAPTURES if c != HTML_ONLY])
async def test_no_recorded_identifier_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    replay: SimulatorHarness,
    capture: str,
) -> None:
    """No serial of any part (inverter, battery, AC Battery, collar, C6, generator) is shared."""
    result = await add_through_flow(hass, replay, capture)
    await hass.async_block_till_done()
    dump = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, result["result"]))
    identifiers = _identifiers(CAPTURES_DIR / capture)
    assert identifiers
    assert sorted(i for i in identifiers if i.lower() in dump.lower()) == []
