"""Each way Enlighten refuses a login has its own verdict and its own message (issue 12, point 7).

Shapes: MFA ``{"success":true,"isBlocked":false}`` with a ``login_otp_nonce`` cookie;
a blocked account ``"isBlocked": true``; "too many active sessions"; 403 from the
token service for a gateway that is not on the account; 406 Not Acceptable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from custom_components.envoy_connect.api import (
    EnlightenAccountBlocked,
    EnlightenClientRefused,
    EnlightenEndpoints,
    EnlightenGatewayNotLinked,
    EnlightenLogin,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenTooManySessions,
)
from custom_components.envoy_connect.api.errors import EnlightenUnavailable
from simulator import SimulatorHarness
from simulator.enlighten import EnlightenAccount
from simulator.harness import DEMO_MFA, DEMO_OWNER

from .conftest import start_local_flow

STRANGER = ("stranger@example.com", "stranger-password")
STRINGS = json.loads(
    (Path(__file__).parent.parent / "custom_components/envoy_connect/strings.json").read_text()
)


def _blocked(sim: SimulatorHarness) -> tuple[str, str]:
    sim.cloud.accounts[DEMO_OWNER[0]].blocked = True
    return DEMO_OWNER


def _sessions(sim: SimulatorHarness) -> tuple[str, str]:
    sim.cloud.too_many_sessions = True
    return DEMO_OWNER


def _refused(sim: SimulatorHarness) -> tuple[str, str]:
    sim.cloud.refuse_client = True
    return DEMO_OWNER


def _stranger(sim: SimulatorHarness) -> tuple[str, str]:
    sim.cloud.add_account(EnlightenAccount(*STRANGER))  # no site with this gateway
    return STRANGER


def _mfa(_sim: SimulatorHarness) -> tuple[str, str]:
    return DEMO_MFA


def _wrong_password(_sim: SimulatorHarness) -> tuple[str, str]:
    return DEMO_OWNER[0], "not-the-password"


CASES: list[tuple[Callable[[SimulatorHarness], tuple[str, str]], type[Exception], str]] = [
    (_blocked, EnlightenAccountBlocked, "account_blocked"),
    (_sessions, EnlightenTooManySessions, "too_many_sessions"),
    (_refused, EnlightenClientRefused, "enlighten_refused_client"),
    (_stranger, EnlightenGatewayNotLinked, "gateway_not_linked"),
    (_mfa, EnlightenMfaRequired, "mfa_required"),
    (_wrong_password, EnlightenRejected, "invalid_auth"),
]


@pytest.mark.parametrize(("arrange", "error", "form_error"), CASES)
async def test_each_refusal_has_its_own_error(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    arrange: Callable[[SimulatorHarness], tuple[str, str]],
    error: type[Exception],
    form_error: str,
) -> None:
    """Through the config flow: its own translated message; the verdict class decides the rest."""
    username, password = arrange(sim)
    result = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.envoys["metered"].address,
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
        },
    )
    if error is EnlightenMfaRequired:
        assert result["step_id"] == "mfa_code"  # a step of its own, not a refusal
    else:
        assert result["errors"] == {"base": form_error}
    assert form_error in STRINGS["config"]["error"]
    # The api says the same, as its own type.
    async with aiohttp.ClientSession() as session:
        login = EnlightenLogin(session, EnlightenEndpoints.single(sim.cloud_url))
        with pytest.raises(error) as raised:
            await login.async_obtain_token(username, password, sim.envoys["metered"].profile.serial)
    assert type(raised.value) is error
    # Outages stay outages: neither too many sessions nor a refused client asks for credentials.
    assert issubclass(error, EnlightenUnavailable) == (
        form_error in ("too_many_sessions", "enlighten_refused_client")
    )
