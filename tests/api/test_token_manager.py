"""Token manager against the fake Enlighten: errors, single flight, lock-out guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.envoy_connect.api import (
    MAX_CONSECUTIVE_REJECTIONS,
    AuthState,
    CredentialsRequired,
    EnlightenClient,
    EnlightenEndpoints,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    InvalidToken,
    TokenManager,
)
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.harness import DEMO_MFA, DEMO_OWNER

SERIAL = "122300067890"


@pytest.fixture
async def world(socket_enabled: None) -> AsyncGenerator[tuple[SimulatorHarness, EnlightenClient]]:
    harness = SimulatorHarness(["metered"])
    await harness.start()
    async with aiohttp.ClientSession() as session:
        yield harness, EnlightenClient(session, EnlightenEndpoints.single(harness.cloud_url))
    await harness.stop()


def _manager(
    client: EnlightenClient,
    username: str | None = DEMO_OWNER[0],
    password: str | None = DEMO_OWNER[1],
    state: AuthState | None = None,
) -> TokenManager:
    return TokenManager(
        serial=SERIAL,
        client=client,
        username=username,
        password=password,
        state=state or AuthState(),
    )


async def test_concurrent_expiry_single_renewal(
    world: tuple[SimulatorHarness, EnlightenClient],
) -> None:
    """50 callers that all saw the same stale token cause exactly one login."""
    sim, client = world
    changes: list[AuthState] = []
    manager = _manager(client)
    manager.on_change = changes.append
    sim.cloud.login_delay = 0.05
    tokens = await asyncio.gather(*(manager.async_renew(seen=None) for _ in range(50)))
    assert sim.cloud.login_count == 1
    assert len({t.raw for t in tokens}) == 1
    assert changes
    assert changes[-1].token == tokens[0].raw
    # Late callers holding the old (None) view also get the new token, no second login.
    stale_view = await asyncio.gather(*(manager.async_get_token() for _ in range(10)))
    assert {t.raw for t in stale_view} == {tokens[0].raw}
    assert sim.cloud.login_count == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [(CloudMode.ERROR_5XX, EnlightenUnavailable), (CloudMode.UNREACHABLE, EnlightenUnavailable)],
)
async def test_outage_is_not_rejection(
    world: tuple[SimulatorHarness, EnlightenClient], mode: CloudMode, error: type[Exception]
) -> None:
    sim, client = world
    sim.cloud.mode = mode
    manager = _manager(client)
    with pytest.raises(error):
        await manager.async_get_token()
    assert manager.state.consecutive_rejections == 0
    assert manager.state.last_error == "EnlightenUnavailable"


async def test_rejections_stop_at_limit(world: tuple[SimulatorHarness, EnlightenClient]) -> None:
    sim, client = world
    manager = _manager(client, password="wrong")
    for _ in range(MAX_CONSECUTIVE_REJECTIONS + 3):
        with pytest.raises(EnlightenRejected):
            await manager.async_renew()
    assert sim.cloud.login_count == MAX_CONSECUTIVE_REJECTIONS
    assert manager.blocked
    assert not manager.can_renew


async def test_mfa_and_foreign_serial(world: tuple[SimulatorHarness, EnlightenClient]) -> None:
    _, client = world
    with pytest.raises(EnlightenMfaRequired):
        await _manager(client, *DEMO_MFA).async_get_token()
    foreign = TokenManager(
        serial="000000000000",
        client=client,
        username=DEMO_OWNER[0],
        password=DEMO_OWNER[1],
        state=AuthState(),
    )
    with pytest.raises(EnlightenRejected):  # 403: the account has no access to this gateway
        await foreign.async_get_token()


async def test_manual_token_mode(world: tuple[SimulatorHarness, EnlightenClient]) -> None:
    sim, client = world
    manager = _manager(client, username=None, password=None)
    with pytest.raises(CredentialsRequired):
        await manager.async_get_token()
    token = manager.set_token(sim.cloud.mint_token(SERIAL))
    assert await manager.async_get_token() == token
    with pytest.raises(InvalidToken):
        manager.set_token(sim.cloud.mint_token("999"))
    assert sim.cloud.login_count == 0


def test_state_roundtrip() -> None:
    state = AuthState(
        token="t",
        last_renewal="2026-01-01T00:00:00+00:00",
        consecutive_rejections=2,
        last_error="EnlightenUnavailable",
    )
    assert AuthState.from_dict(state.as_dict()) == state
    assert AuthState.from_dict(None) == AuthState()
    broken = TokenManager(
        serial=SERIAL, client=None, username=None, password=None, state=AuthState(token="garbage")
    )
    assert broken.token is None
