"""Config, options and repair flows at their edges: what the user sees, what is saved, what not.

The paths the main flow tests do not walk: a multi-factor login without a
challenge, a pasted token that does not fit, a gateway key that changed during
reauth, an entry removed while its fix is open, a cloud system that left the
account, and the credentials dialog without a browser request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, cast
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_ZEROCONF,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect import application_credentials
from custom_components.envoy_connect.api import EnlightenLogin, EnlightenMfaRequired
from custom_components.envoy_connect.api.http import read_bounded
from custom_components.envoy_connect.application_credentials import (
    async_get_description_placeholders,
)
from custom_components.envoy_connect.const import (
    CONF_AUTH_STATE,
    CONF_GATEWAY_KEY,
    CONF_MFA,
    CONF_PLAN,
    DOMAIN,
)
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.harness import DEMO_MFA

from .conftest import (
    DEMO_APP,
    DEMO_OWNER,
    authorize,
    poll,
    setup_profile,
    start_cloud_flow,
    start_local_flow,
    user_tracebacks,
)
from .test_cloud import CABIN, _add_cloud_entry
from .test_hardening import _announce
from .test_mfa import _add_with_code, _code, _to_code_step

#: Enlighten says "one-time code" but sets no nonce cookie: no code step can continue.
_MFA_WITHOUT_CHALLENGE = EnlightenMfaRequired("the account needs a one-time code")


def _foreign_token(sim: SimulatorHarness) -> str:
    """A valid token, but for another gateway."""
    return sim.cloud.mint_token("999999999999")


async def _token_only_entry(
    hass: HomeAssistant, sim: SimulatorHarness, **token: Any
) -> MockConfigEntry:
    """A gateway added with a pasted token only: no username, no password."""
    serial = sim.envoys["metered"].profile.serial
    return await setup_profile(
        hass,
        sim,
        "metered",
        username=None,
        password=None,
        auth={"token": sim.cloud.mint_token(serial, **token)},
    )


# -- local config flow ------------------------------------------------------------------


async def test_mfa_without_challenge_asks_for_a_token(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """No challenge to continue: the token form; a foreign token is refused, a right one saved."""
    envoy = sim.envoys["metered"]
    result = await start_local_flow(hass)
    with patch.object(EnlightenLogin, "async_obtain_token", side_effect=_MFA_WITHOUT_CHALLENGE):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: envoy.address, CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]},
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_token"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"username": DEMO_MFA[0]}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: _foreign_token(sim)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_token"
    assert result["errors"] == {"base": "token_invalid"}
    assert not hass.config_entries.async_entries(DOMAIN)

    token = sim.cloud.mint_token(envoy.profile.serial)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: token})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_HOST] == envoy.address
    assert data[CONF_USERNAME] == DEMO_MFA[0]
    assert data[CONF_AUTH_STATE]["token"] == token
    assert CONF_PASSWORD not in data  # typed once, never stored for such an account
    assert data[CONF_MFA] is True  # so a rejected token reopens the code form, not a password


async def test_foreign_token_at_the_code_step_then_the_code(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Adding: a pasted token of another gateway is refused at the code step; the code works."""
    result = await _to_code_step(hass, sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: _foreign_token(sim)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_code"
    assert result["errors"] == {"base": "token_invalid"}
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MFA] is True


async def test_reauth_code_step_refuses_a_foreign_token(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Reauth: a token of another gateway at the code step changes nothing; the code does."""
    entry = cast(ConfigEntry, await _add_with_code(hass, sim))
    before = dict(entry.data)
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_mfa_token_required"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]}
    )
    assert result["step_id"] == "mfa_code"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: _foreign_token(sim)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_code"
    assert result["errors"] == {"base": "token_invalid"}
    assert dict(entry.data) == before
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_AUTH_STATE]["token"] != before[CONF_AUTH_STATE]["token"]


async def test_reauth_mfa_without_challenge_turns_to_the_token_form(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Typed credentials of a multi-factor account, no challenge: the token-only form, no error."""
    entry = await setup_profile(hass, sim, "metered")
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_token_rejected"
    with patch.object(EnlightenLogin, "async_obtain_token", side_effect=_MFA_WITHOUT_CHALLENGE):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_mfa_token_required"
    assert result["errors"] == {}
    assert entry.data[CONF_USERNAME] == DEMO_OWNER[0]  # nothing saved yet

    token = sim.cloud.mint_token(sim.envoys["metered"].profile.serial)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: token})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_AUTH_STATE]["token"] == token


async def test_reauth_at_a_renewed_key_asks_first(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """Reauth where the gateway now presents another key: confirm, then the same input goes on."""
    entry = await setup_profile(hass, sim, "metered")
    real = sim.envoys["metered"]
    trusted = entry.data[CONF_GATEWAY_KEY]
    await real.renew_certificate()
    real.reset_counts()
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm_identity"
    placeholders = result["description_placeholders"]
    assert placeholders["host"] == real.address
    assert placeholders["trusted"] == trusted
    assert placeholders["presented"] != trusted
    assert real.requests["/auth/check_jwt"] == 0  # no token went there before the confirmation
    assert entry.data[CONF_GATEWAY_KEY] == trusted

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_GATEWAY_KEY] == placeholders["presented"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_token_only_entry_with_a_new_token(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """No stored username or password: the pasted token is what is validated and saved."""
    entry = await _token_only_entry(hass, sim)
    fresh = sim.cloud.mint_token(sim.envoys["metered"].profile.serial)
    assert fresh != entry.data[CONF_AUTH_STATE]["token"]
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.envoys["metered"].address, CONF_TOKEN: fresh}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_AUTH_STATE]["token"] == fresh
    assert CONF_PASSWORD not in entry.data
    assert sim.cloud.login_count == 0


async def test_gateway_without_serial_is_not_added(
    hass: HomeAssistant, sim: SimulatorHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """/info without a serial number: "cannot connect", never an entry without a unique id.

    Firmware < 7 with the ``envoy`` account and its password typed in: a login
    that needs no serial (tokens are requested for the serial, and the
    installer password is derived from it).
    """
    envoy = sim.envoys["legacy"]
    profile = envoy.profile
    envoy.override(
        "/info",
        '<?xml version="1.0" encoding="UTF-8"?><envoy_info><time>0</time><device>'
        f"<pn>{profile.part_number}</pn><software>R{profile.firmware}</software>"
        "<imeter>false</imeter></device><web-tokens>false</web-tokens></envoy_info>",
    )
    flow = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {CONF_HOST: envoy.address, CONF_USERNAME: "envoy", CONF_PASSWORD: profile.serial[-6:]},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert not hass.config_entries.async_entries(DOMAIN)
    assert not user_tracebacks(caplog)


async def test_announcement_at_a_plain_http_address_is_ignored(
    hass: HomeAssistant, sim: SimulatorHarness
) -> None:
    """A token gateway's serial announced where nothing speaks HTTPS: no move, no repair."""
    entry = await setup_profile(hass, sim, "metered")
    assert entry.data[CONF_GATEWAY_KEY]
    http_only = sim.envoys["legacy"]
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_announce(http_only.address, sim.envoys["metered"].profile.serial),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == sim.envoys["metered"].address
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"gateway_moved_{entry.entry_id}")


# -- repairs ----------------------------------------------------------------------------


async def test_token_repair_code_step_errors_and_removed_entry(
    hass: HomeAssistant, sim: SimulatorHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The code form stays open on a missing code or a foreign token; a removed entry aborts."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await _token_only_entry(hass, sim, lifetime=3 * 86400)
    before = dict(entry.data)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"token_expiring_{entry.entry_id}")
    assert issue is not None
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    result = await manager.async_configure(
        result["flow_id"], {CONF_USERNAME: DEMO_MFA[0], CONF_PASSWORD: DEMO_MFA[1]}
    )
    assert result["step_id"] == "mfa_code"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "code_missing"}
    result = await manager.async_configure(result["flow_id"], {CONF_TOKEN: _foreign_token(sim)})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mfa_code"
    assert result["errors"] == {"base": "token_invalid"}
    assert dict(entry.data) == before

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    result = await manager.async_configure(result["flow_id"], {"code": _code(sim)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"
    assert not user_tracebacks(caplog)


async def _identity_issue(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> tuple[MockConfigEntry, ir.IssueEntry]:
    """A metered entry whose gateway presented a new key at its address between two polls."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await setup_profile(hass, sim, "metered")
    await sim.envoys["metered"].renew_certificate()
    await poll(hass, freezer)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"gateway_identity_changed_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable
    return entry, issue


async def test_identity_repair_keeps_the_address(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Confirming a new key at the same address trusts the key and leaves the host alone."""
    entry, issue = await _identity_issue(hass, sim, freezer)
    host = entry.data[CONF_HOST]
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert issue.translation_placeholders is not None
    assert entry.data[CONF_GATEWAY_KEY] == issue.translation_placeholders["presented"]
    assert entry.data[CONF_HOST] == host
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success


async def test_identity_repair_for_an_entry_removed_meanwhile(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry was removed while its key repair was open: the repair aborts, nothing raised."""
    entry, issue = await _identity_issue(hass, sim, freezer)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert not user_tracebacks(caplog)


# -- cloud config and options flows ---------------------------------------------------

_cloud = pytest.mark.usefixtures("app_credentials", "current_request_with_host")


def _drop_system(sim: SimulatorHarness, system_id: int) -> None:
    """The system left the owner's account (sold, or handed to an installer)."""
    user = sim.api.users[DEMO_OWNER[0]]
    user.systems[:] = [s for s in user.systems if s.system_id != system_id]


async def _reauth(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    client: ClientSessionGenerator,
    entry: ConfigEntry,
) -> dict[str, Any]:
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_cloud"
    result = dict(await hass.config_entries.flow.async_configure(flow["flow_id"], {}))
    return await authorize(hass, sim, client, result)


def _regenerate_key(hass: HomeAssistant, sim: SimulatorHarness, entry: ConfigEntry) -> None:
    sim.api.apps[DEMO_APP.client_id].api_key = "regenerated-key"


def _lose_cabin(hass: HomeAssistant, sim: SimulatorHarness, entry: ConfigEntry) -> None:
    _drop_system(sim, CABIN)


def _withdraw_authorization(hass: HomeAssistant, sim: SimulatorHarness, entry: ConfigEntry) -> None:
    """Consent revoked, and the stored token due: the key cannot be checked with it."""
    sim.api.revoke_tokens()
    expired = {**entry.data["token"], "expires_at": 0}
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": expired})


def _api_down_when_due(hass: HomeAssistant, sim: SimulatorHarness, entry: ConfigEntry) -> None:
    """The stored token due while the token endpoint is down: an outage, not a verdict."""
    sim.api.mode = CloudMode.ERROR_5XX
    expired = {**entry.data["token"], "expires_at": 0}
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": expired})


type _Change = Callable[[HomeAssistant, SimulatorHarness, ConfigEntry], None]


@_cloud
@pytest.mark.parametrize(
    ("change", "reason"),
    [(_regenerate_key, "invalid_api_key"), (_lose_cabin, "wrong_account")],
    ids=["regenerated_key", "system_left_the_account"],
)
async def test_cloud_reauth_that_cannot_work_aborts(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    change: _Change,
    reason: str,
) -> None:
    """The stored key no longer works, or the same Enlighten user no longer sees the system:
    the reauth says which and saves no half-new entry."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    before = dict(entry.data)
    change(hass, sim, entry)
    result = await _reauth(hass, sim, hass_client_no_auth, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert dict(entry.data) == before


async def _reconfigure_key(hass: HomeAssistant, entry: ConfigEntry, api_key: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_cloud"
    return dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: api_key, CONF_PLAN: "partner"}
        )
    )


@_cloud
@pytest.mark.parametrize(
    ("change", "error"),
    [
        (_withdraw_authorization, "cloud_auth_rejected"),
        (_api_down_when_due, "cloud_unavailable"),
        (_lose_cabin, "invalid_api_key"),
    ],
    ids=["authorization_withdrawn", "token_endpoint_down", "key_no_longer_sees_the_system"],
)
async def test_cloud_reconfigure_key_that_cannot_be_checked(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    change: _Change,
    error: str,
) -> None:
    """A new key is refused when the entry's token cannot be refreshed to check it, or when
    it lists other systems only; the old key is kept."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="partner")
    _regenerate_key(hass, sim, entry)
    change(hass, sim, entry)
    result = await _reconfigure_key(hass, entry, "regenerated-key")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert entry.data[CONF_API_KEY] == DEMO_APP.api_key


@_cloud
async def test_options_named_plan(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A named plan is saved at once (no limits form) and the entry reloads with its budget."""
    entry = await _add_cloud_entry(hass, sim, hass_client_no_auth, plan="watt")
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PLAN: "megawatt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_PLAN: "megawatt"}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.plan.per_month == 300_000


@_cloud
async def test_token_answer_without_lifetime_aborts_without_logging_it(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token answer without ``expires_in``: "sign-in failed", and the token is in no log line."""
    caplog.set_level(logging.DEBUG)
    answered: list[str] = []

    async def without_lifetime(resp: Any) -> bytes:
        token = json.loads(await read_bounded(resp))
        answered.append(token["access_token"])
        del token["expires_in"]
        return json.dumps(token).encode()

    with patch(f"{application_credentials.__name__}.read_bounded", without_lifetime):
        result = await authorize(hass, sim, hass_client_no_auth, await start_cloud_flow(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    assert answered
    assert not hass.config_entries.async_entries(DOMAIN)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert answered[0] not in logged
    assert not user_tracebacks(caplog)


async def test_credentials_dialog_without_a_browser_request(hass: HomeAssistant) -> None:
    """A flow started by code pauses without an address: the dialog names HA's own URL."""
    assert await async_setup_component(hass, "application_credentials", {})
    result = await start_cloud_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"
    # The dialog asks over the websocket (no request either): the URL HA knows itself by ...
    await hass.config.async_update(internal_url="http://ha.local:8123")
    placeholders = await async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == "http://ha.local:8123/auth/external/callback"

    # ... or, when it knows none, what to put in front of the path.
    await hass.config.async_update(internal_url=None)
    hass.config.api = None
    placeholders = await async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == "<your Home Assistant URL>/auth/external/callback"
