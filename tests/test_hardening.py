"""Hostile peers, runaway answers, races and bad input: never a token, memory, data or traceback.

Memory and time figures live in bench/bench_hostile.py; here, what happens.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.envoy_connect.api.http import MAX_RESPONSE_BYTES
from custom_components.envoy_connect.api.pinning import async_presented_key
from custom_components.envoy_connect.const import CONF_AUTH_STATE, CONF_GATEWAY_KEY, DOMAIN
from custom_components.envoy_connect.diagnostics import async_get_config_entry_diagnostics
from simulator import EnvoySimulator, NetworkMode, SimulatorHarness
from simulator.profiles import PROFILES

from .conftest import DEMO_OWNER, poll, setup_profile, start_local_flow, user_tracebacks


def _ok(entry: MockConfigEntry) -> bool:
    return bool(entry.runtime_data.coordinator.last_update_success)


def _issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


class _Announcement(ZeroconfServiceInfo):
    """An mDNS announcement whose address carries a port (all test gateways share 127.0.0.1)."""

    announced: str = ""

    @property
    def host(self) -> str:
        return self.announced


def _announce(address: str, serial: str) -> ZeroconfServiceInfo:
    from ipaddress import ip_address

    info = _Announcement(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="envoy.local.",
        name="envoy._enphase-envoy._tcp.local.",
        port=80,
        type="_enphase-envoy._tcp.local.",
        properties={"serialnum": serial},
    )
    info.announced = address
    return info


@pytest.fixture
async def impostor(sim: SimulatorHarness) -> Any:
    """A LAN host that claims to be the metered gateway, with a key of its own."""
    fake = EnvoySimulator(PROFILES["metered"], sim.cloud.public_key)
    await fake.start()
    yield fake
    await fake.stop()


async def _discover(hass: HomeAssistant, address: str, serial: str) -> Any:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_announce(address, serial)
    )


async def test_spoofed_announcement_gets_nothing(
    hass: HomeAssistant, sim: SimulatorHarness, impostor: EnvoySimulator
) -> None:
    """The serial is public: an impostor announcing it gets no token and no address."""
    entry = await setup_profile(hass, sim, "metered")
    real = sim.envoys["metered"]
    assert entry.data[CONF_GATEWAY_KEY]  # recorded on first contact
    result = await _discover(hass, impostor.address, real.profile.serial)
    assert result["type"] is FlowResultType.ABORT
    assert entry.data[CONF_HOST] == real.address
    await hass.async_block_till_done()
    # Not even a request: the key was read from a bare TLS handshake.
    assert sum(impostor.requests.values()) == 0
    issue = _issue(hass, "gateway_moved", entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["trusted"] == entry.data[CONF_GATEWAY_KEY]
    assert issue.translation_placeholders["presented"] != entry.data[CONF_GATEWAY_KEY]


async def test_confirmed_move_is_taken(
    hass: HomeAssistant, sim: SimulatorHarness, impostor: EnvoySimulator
) -> None:
    """Confirming the repair (the user did replace the gateway) moves the entry and its trust."""
    entry = await setup_profile(hass, sim, "metered")
    await _discover(hass, impostor.address, sim.envoys["metered"].profile.serial)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, "repairs", {})
    issue = _issue(hass, "gateway_moved", entry)
    assert issue is not None
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert flow["step_id"] == "confirm"
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data[CONF_HOST] == impostor.address
    assert entry.data[CONF_GATEWAY_KEY] == issue.translation_placeholders["presented"]
    assert entry.state is ConfigEntryState.LOADED
    assert impostor.requests["/auth/check_jwt"] == 1


async def test_same_key_at_a_new_address_moves(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    """DHCP gave the gateway another address: its key proves it, the entry follows."""
    real = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    moved = f"localhost:{real.port}"
    result = await _discover(hass, moved, real.profile.serial)
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert entry.data[CONF_HOST] == moved


async def test_new_key_without_restart_asks_first(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A new key between two polls, at the same address: nothing sent, the user decides."""
    real = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    trusted = entry.data[CONF_GATEWAY_KEY]
    await real.renew_certificate()
    real.reset_counts()
    await poll(hass, freezer)
    assert not _ok(entry)
    assert real.requests["/auth/check_jwt"] == 0
    assert real.requests["/production.json"] == 0
    issue = _issue(hass, "gateway_identity_changed", entry)
    assert issue is not None
    assert entry.data[CONF_GATEWAY_KEY] == trusted
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_new_key_after_watched_restart_is_trusted(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Gone for a poll, back with a renewed certificate: trusted without a prompt."""
    real = sim.envoys["metered"]
    entry = await setup_profile(hass, sim, "metered")
    trusted = entry.data[CONF_GATEWAY_KEY]
    await real.set_mode(NetworkMode.OFFLINE)
    await poll(hass, freezer)
    await real.renew_certificate()
    await real.set_mode(NetworkMode.ONLINE)
    for _ in range(2):
        await poll(hass, freezer)
    assert _ok(entry)
    assert entry.data[CONF_GATEWAY_KEY] != trusted
    assert _issue(hass, "gateway_identity_changed", entry) is None
    gateway = (await async_get_config_entry_diagnostics(hass, entry))["gateway"]
    assert gateway["tls_key_pinned"] is True
    assert gateway["tls_key_changes_after_restart"] == 1


async def test_reconfigure_to_another_key_asks_first(
    hass: HomeAssistant, sim: SimulatorHarness, impostor: EnvoySimulator
) -> None:
    """Typing another address in reconfigure: a confirmation step before the token goes there."""
    entry = await setup_profile(hass, sim, "metered")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: impostor.address, CONF_USERNAME: DEMO_OWNER[0]}
    )
    assert result["step_id"] == "confirm_identity"
    assert result["description_placeholders"]["trusted"] == entry.data[CONF_GATEWAY_KEY]
    assert impostor.requests["/auth/check_jwt"] == 0
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == impostor.address
    assert entry.data[CONF_GATEWAY_KEY] == await async_presented_key(impostor.address)


@pytest.mark.parametrize(
    "flood",
    [(200 * 1024 * 1024, False), (None, False), (200 * 1024 * 1024, True)],
    ids=["huge", "endless", "gzip_bomb"],
)
async def test_runaway_answer_is_an_outage(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    flood: tuple[int | None, bool],
) -> None:
    """A huge, endless or gzip-bomb answer: an outage, no traceback, far from all of it read.

    That the cap counts inflated bytes is shown in tests/api/test_gateway_io.py.
    """
    size, gzip = flood
    entry = await setup_profile(hass, sim, "metered")
    real = sim.envoys["metered"]
    real.flood("/production.json", size, gzip=gzip)
    await poll(hass, freezer)
    assert not _ok(entry)
    # The sender also fills the loopback socket buffers (a few MiB) that were never read;
    # compressed, those buffers hold a thousand times more, so only "far from all of it".
    assert real.flooded < (size / 4 if gzip and size else 3 * MAX_RESPONSE_BYTES)
    assert "treated as an outage" in caplog.text
    assert not user_tracebacks(caplog)
    real.floods.clear()
    await poll(hass, freezer)
    assert _ok(entry)


async def test_late_login_never_overwrites_new_credentials(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A renewal still running when the user replaces the token writes nothing afterwards."""
    entry = await setup_profile(hass, sim, "metered")
    token = entry.data[CONF_AUTH_STATE]["token"]
    sim.cloud.login_delay = 30  # the login hangs on the loop's (frozen) clock
    from custom_components.envoy_connect.api import EnvoyToken

    freezer.move_to(EnvoyToken.parse(token).renew_at + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    pasted = sim.cloud.mint_token(sim.envoys["metered"].profile.serial)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_AUTH_STATE: {"token": pasted}}
    )
    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_AUTH_STATE] == {"token": pasted}


async def test_unload_cancels_a_login_in_flight(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_profile(hass, sim, "metered")
    token = entry.data[CONF_AUTH_STATE]["token"]
    from custom_components.envoy_connect.api import EnvoyToken

    sim.cloud.login_delay = 30
    freezer.move_to(EnvoyToken.parse(token).renew_at + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    before = dict(entry.data[CONF_AUTH_STATE])
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_AUTH_STATE] == before


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("evil@127.0.0.1:8443", "invalid_host"),
        ("https://127.0.0.1/", "invalid_host"),
        ("127.0.0.1/path", "invalid_host"),
        ("", "invalid_host"),
    ],
)
async def test_odd_hosts(hass: HomeAssistant, host: str, error: str) -> None:
    result = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_USERNAME: "installer"}
    )
    assert result["errors"] == {"base": error}


async def test_odd_tokens(
    hass: HomeAssistant, sim: SimulatorHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Expired, absurd and foreign tokens: each its own message, no traceback."""
    import jwt

    envoy = sim.envoys["metered"]
    expired = sim.cloud.mint_token(envoy.profile.serial, lifetime=-60)
    absurd = jwt.encode({"exp": 10**30, "aud": envoy.profile.serial}, "k" * 32, algorithm="HS256")
    for token, error in ((expired, "token_expired"), (absurd, "token_invalid")):
        result = await start_local_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: envoy.address, CONF_TOKEN: token}
        )
        assert result["errors"] == {"base": error}
    assert not user_tracebacks(caplog)


async def test_refusing_gateway_costs_no_login_per_refresh(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A gateway that refuses even fresh tokens: one new token, then the user's turn."""
    entry = await setup_profile(hass, sim, "metered")
    envoy = sim.envoys["metered"]
    envoy.fail("/auth/check_jwt", 401, times=1000)
    envoy.drop_sessions()
    await poll(hass, freezer, 120)
    logins = sim.cloud.login_count
    for _ in range(6):
        freezer.tick(timedelta(minutes=2))
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
    assert sim.cloud.login_count == logins
    assert [f["step_id"] for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)] == [
        "reauth_token_rejected"
    ]


async def test_firmware_update_with_refused_token_probes_again(
    hass: HomeAssistant, sim: SimulatorHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Batteries added with a firmware update whose reboot also refused the token: they appear."""
    entry = await setup_profile(hass, sim, "metered")
    envoy = sim.envoys["metered"]
    await envoy.set_firmware("8.2.4286", battery_count=2, enpower=True)
    envoy.expire_tokens()
    freezer.tick(timedelta(minutes=2))
    await poll(hass, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    data = entry.runtime_data.coordinator.data
    assert data.encharge_power is not None
    assert len(data.encharge_power) == 2


async def test_bad_answers_are_no_traceback(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Broken XML, broken JSON, wrong types: unavailable with a clear line, counted."""
    caplog.set_level(logging.DEBUG)
    entry = await setup_profile(hass, sim, "legacy")
    envoy = sim.envoys["legacy"]
    for path, body in (
        ("/api/v1/production", "{not json"),
        ("/api/v1/production", '{"wattsNow": "many"}'),
        ("/info", "<envoy_info><device><sn>"),
    ):
        envoy.override(path, body)
        if path == "/info":  # read again after the gateway was away
            await envoy.set_mode(NetworkMode.OFFLINE)
            await poll(hass, freezer)
            await envoy.set_mode(NetworkMode.ONLINE)
        await poll(hass, freezer)
        assert not _ok(entry), (path, dict(envoy.requests))
        envoy.overrides.clear()
        await poll(hass, freezer)
        assert _ok(entry), path
    assert not user_tracebacks(caplog)
    assert entry.runtime_data.coordinator.gateway.bad_answers >= 2


async def test_wrong_types_are_unknown_not_a_traceback(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Text where a number belongs: that value is unknown, the rest flows, counted, no traceback."""
    entry = await setup_profile(hass, sim, "metered")
    coordinator = entry.runtime_data.coordinator
    serials = sorted(coordinator.data.inverters)
    odd = [
        {"serialNumber": sn, "lastReportDate": "yesterday", "devType": 1,
         "lastReportWatts": "many", "maxReportWatts": 300}
        for sn in serials
    ]  # fmt: skip
    sim.envoys["metered"].override("/api/v1/production/inverters", json.dumps(odd))
    await poll(hass, freezer, 301)
    await poll(hass, freezer, 301)
    assert coordinator.last_update_success
    first = hass.states.get(f"sensor.inverter_{serials[0]}_power")
    assert first is not None
    assert first.state == "unknown"
    assert coordinator.data.inverters[serials[0]].max_report_watts == 300
    assert coordinator.data.system_production is not None  # the rest of the update flows
    assert coordinator.gateway.scrubber.replaced >= 2 * len(serials)
    assert not user_tracebacks(caplog)

    sim.envoys["metered"].overrides.clear()
    await poll(hass, freezer, 301)
    await poll(hass, freezer, 301)
    state = hass.states.get(f"sensor.inverter_{serials[0]}_power")
    assert state is not None
    assert state.state not in ("unknown", "unavailable")
