"""Token manager against the fake Enlighten: errors, single flight, lock-out guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta

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
from custom_components.envoy_connect.api.auth import BACKOFF_CAP, backoff_delay
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.harness import DEMO_INSTALLER, DEMO_MFA, DEMO_OWNER

SERIAL = "122300067890"


@pytest.fixture
async def world(socket_enabled: None) -> AsyncGenerator[tuple[SimulatorHarness, EnlightenClient]]:
    harness = SimulatorHarness(["metered"])
    await harness.start()
    async with aiohttp.ClientSession() as session:
        yield harness, EnlightenClient(session, EnlightenEndpoints.single(harness.cloud_url))
    await harness.stop()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _manager(
    client: EnlightenClient,
    username: str | None = DEMO_OWNER[0],
    password: str | None = DEMO_OWNER[1],
    state: AuthState | None = None,
    clock: Clock | None = None,
) -> TokenManager:
    return TokenManager(
        serial=SERIAL,
        client=client,
        username=username,
        password=password,
        state=state or AuthState(),
        clock=clock or Clock(),
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
    """Even with every backoff waited out, a wrong password is tried 3 times, no more."""
    sim, client = world
    clock = Clock()
    manager = _manager(client, password="wrong", clock=clock)
    for _ in range(MAX_CONSECUTIVE_REJECTIONS + 3):
        with pytest.raises(EnlightenRejected):
            await manager.async_renew()
        clock.advance(BACKOFF_CAP)
    assert sim.cloud.login_count == MAX_CONSECUTIVE_REJECTIONS
    assert manager.blocked
    assert not manager.can_renew
    assert manager.next_renewal() is None


async def test_backoff_while_enlighten_is_down(
    world: tuple[SimulatorHarness, EnlightenClient],
) -> None:
    """Failed logins wait 1, 2, 4 ... minutes, capped at an hour; success clears it all."""
    sim, client = world
    clock = Clock()
    manager = _manager(client, clock=clock)
    sim.cloud.mode = CloudMode.ERROR_5XX
    waits = []
    for _ in range(9):
        with pytest.raises(EnlightenUnavailable):
            await manager.async_renew()
        until = manager.backing_off_until()
        assert until is not None
        waits.append(until - clock.now)
        # Inside the backoff, no request reaches Enlighten.
        logins = sim.cloud.login_count
        with pytest.raises(EnlightenUnavailable):
            await manager.async_renew()
        assert sim.cloud.login_count == logins
        clock.advance(until - clock.now)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert waits == [backoff_delay(n) for n in range(1, 10)]
    assert manager.state.consecutive_rejections == 0
    sim.cloud.mode = CloudMode.ONLINE
    await manager.async_renew()
    assert manager.state.consecutive_failures == 0
    assert manager.state.next_attempt is None
    assert manager.backing_off_until() is None


async def test_next_renewal_follows_the_token(
    world: tuple[SimulatorHarness, EnlightenClient],
) -> None:
    """Owner: 30 days before expiry; installer: 1 hour before; a pasted token: never."""
    sim, client = world
    clock = Clock()
    owner = _manager(client, clock=clock)
    token = await owner.async_get_token()
    assert owner.next_renewal() == token.expires_at - timedelta(days=30)
    assert not await owner.async_renew_if_due()
    clock.now = token.expires_at - timedelta(days=30)
    assert await owner.async_renew_if_due()
    assert sim.cloud.login_count == 2

    installer = _manager(client, *DEMO_INSTALLER, clock=clock)
    short = await installer.async_get_token()
    assert short.expires_at - short.issued_at == timedelta(hours=12)
    assert installer.next_renewal() == short.expires_at - timedelta(hours=1)

    pasted = _manager(client, username=None, password=None, clock=clock)
    pasted.set_token(sim.cloud.mint_token(SERIAL))
    assert pasted.next_renewal() is None
    assert not await pasted.async_renew_if_due()

    # While backing off, the schedule moves to the end of the backoff.
    sim.cloud.mode = CloudMode.UNREACHABLE
    clock.now = short.expires_at - timedelta(minutes=30)
    with pytest.raises(EnlightenUnavailable):
        await installer.async_renew_if_due()
    assert installer.next_renewal() == clock.now + timedelta(minutes=1)


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
        consecutive_failures=3,
        consecutive_rejections=2,
        last_error="EnlightenUnavailable",
        next_attempt="2026-01-01T00:04:00+00:00",
    )
    assert AuthState.from_dict(state.as_dict()) == state
    assert AuthState.from_dict(None) == AuthState()
    broken = TokenManager(
        serial=SERIAL, client=None, username=None, password=None, state=AuthState(token="garbage")
    )
    assert broken.token is None
