"""Fixtures: the in-process simulator on loopback, and entries configured against it."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
import pytest
import tenacity
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pyenphase.auth import EnvoyTokenAuth
from pyenphase.envoy import Envoy
from pyenphase.firmware import EnvoyFirmware
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from custom_components.envoy_connect.const import CONF_AUTH_STATE, DOMAIN
from simulator import SimulatorHarness
from simulator.harness import DEMO_APP, DEMO_INSTALLER, DEMO_OWNER


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture(autouse=True)
def no_retry_waits() -> Generator[None]:
    """pyenphase waits seconds between retries; the behaviour stays, the waiting goes."""
    retried = (EnvoyFirmware._get_info, EnvoyTokenAuth._check_jwt, Envoy.probe_request)
    saved = [fn.retry.wait for fn in retried]  # type: ignore[attr-defined]
    for fn in retried:
        fn.retry.wait = tenacity.wait_none()  # type: ignore[attr-defined]
    with patch("custom_components.envoy_connect.api.gateway.REQUEST_WAIT_MULTIPLIER", 0):
        yield
    for fn, wait in zip(retried, saved, strict=True):
        fn.retry.wait = wait  # type: ignore[attr-defined]


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in HA's format: registry entries without their random ids."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, also those a user must switch on (HA core's fixture)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def sim(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[SimulatorHarness]:
    """All three gateways and the fake Enlighten, on free loopback ports.

    Listening needs sockets; connecting stays restricted to 127.0.0.1 by phcc.
    """
    _ignore_hangups_seen_by_simulated_servers(hass)
    harness = SimulatorHarness()
    await harness.start()
    with patch("custom_components.envoy_connect.endpoints.CLOUD_URL_OVERRIDE", harness.cloud_url):
        yield harness
    await harness.stop()


def _ignore_hangups_seen_by_simulated_servers(hass: HomeAssistant) -> None:
    """The simulators serve from the test's own loop, which runs in debug mode.

    There, asyncio reports a client that hangs up during the TLS handshake
    (a session closed on reload, a pin check refusing the peer) as an error of
    the *server*. A real gateway is not in our loop; everything else still fails.
    """
    loop = hass.loop
    report = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == "Error on transport creation for incoming connection" and (
            isinstance(context.get("exception"), ConnectionError | ssl.SSLError)
        ):
            return
        if report is None:
            loop.default_exception_handler(context)
        else:
            report(loop, context)

    loop.set_exception_handler(handler)


def user_tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Our and HA's records a user would see with a traceback (HA logs the full error at debug)."""
    ours = ("custom_components", "homeassistant", "pyenphase")
    return [
        r
        for r in caplog.records
        if r.name.startswith(ours) and r.levelno >= logging.INFO and r.exc_info
    ]


def entry_data(sim: SimulatorHarness, profile: str, **overrides: Any) -> dict[str, Any]:
    """Entry data as the config flow would store it, before any token is obtained."""
    envoy = sim.envoys[profile]
    if envoy.profile.uses_token_auth:
        data: dict[str, Any] = {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}
    else:
        data = {CONF_USERNAME: "installer"}
    return {CONF_HOST: envoy.address, **data, CONF_AUTH_STATE: {}, **overrides}


async def setup_profile(
    hass: HomeAssistant, sim: SimulatorHarness, profile: str, **overrides: Any
) -> MockConfigEntry:
    """Add and set up an entry for one simulated gateway."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=sim.envoys[profile].profile.serial,
        title=f"Envoy {sim.envoys[profile].profile.serial}",
        data=entry_data(sim, profile, **overrides),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def sensor_state(hass: HomeAssistant, unique_id: str) -> str | None:
    """State of our sensor with this unique id; None when there is no such entity."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    if entity_id is None:
        return None
    state = hass.states.get(entity_id)
    return state.state if state else None


async def start_local_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the config flow and choose "Envoy on my network" in its menu."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["local", "cloud"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    return dict(result)


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 61) -> None:
    """Let time pass until the next scheduled refresh ran to its end.

    Interval refreshes are background tasks, so wait for those too.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def app_credentials(hass: HomeAssistant) -> None:
    """The simulator's demo application, added as the user would in the UI."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential(DEMO_APP.client_id, DEMO_APP.client_secret, "Demo application"),
    )


async def authorize(
    hass: HomeAssistant,
    sim: SimulatorHarness,
    hass_client_no_auth: ClientSessionGenerator,
    result: dict[str, Any],
    *,
    user: str = DEMO_OWNER[0],
    decision: str = "approve",
) -> dict[str, Any]:
    """Do what the browser does: approve on the simulator's page, follow the redirect."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = URL(result["url"])
    assert str(url).startswith(f"{sim.cloud_url}/oauth/authorize")
    assert url.query["redirect_uri"] == "https://example.com/auth/external/callback"
    async with aiohttp.ClientSession() as browser:
        resp = await browser.post(
            f"{sim.cloud_url}/oauth/authorize",
            data={**url.query, "user": user, "decision": decision},
            allow_redirects=False,
        )
        assert resp.status == 302
        redirect = URL(resp.headers["Location"])
    assert redirect.path == "/auth/external/callback"
    client = await hass_client_no_auth()
    resp = await client.get(f"{redirect.path}?{redirect.query_string}")
    assert resp.status == 200
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"]))


async def start_cloud_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the config flow and choose "Enlighten cloud"."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "cloud"})
    )


__all__ = [
    "DEMO_APP",
    "DEMO_INSTALLER",
    "DEMO_OWNER",
    "authorize",
    "entry_data",
    "poll",
    "sensor_state",
    "setup_profile",
    "start_cloud_flow",
    "start_local_flow",
]
