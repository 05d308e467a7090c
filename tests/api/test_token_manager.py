"""Token manager against the fake Enlighten: errors, single flight, lock-out guard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.util import dt as dt_util

from custom_components.envoy_connect.api import (
    MAX_CONSECUTIVE_REJECTIONS,
    AuthState,
    CredentialsRequired,
    EnlightenEndpoints,
    EnlightenLogin,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    InvalidToken,
    LoginFailure,
    LoginThrottled,
    TokenManager,
)
from custom_components.envoy_connect.api.token_manager import (
    BACKOFF_CAP,
    CHECK_SLACK,
    MAX_LOGINS_PER_DAY,
    MAX_LOGINS_PER_HOUR,
    MIN_LOGIN_SPACING,
    backoff_delay,
)
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.harness import DEMO_INSTALLER, DEMO_MFA, DEMO_OWNER

SERIAL = "122300067890"


@pytest.fixture
async def world(socket_enabled: None) -> AsyncGenerator[tuple[SimulatorHarness, EnlightenLogin]]:
    harness = SimulatorHarness(["metered"])
    await harness.start()
    async with aiohttp.ClientSession() as session:
        yield harness, EnlightenLogin(session, EnlightenEndpoints.single(harness.cloud_url))
    await harness.stop()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _frozen_clock() -> datetime:
    """The wall clock, which the freezer moves (the simulator reads it too)."""
    return dt_util.utcnow()


def _manager(
    client: EnlightenLogin,
    username: str | None = DEMO_OWNER[0],
    password: str | None = DEMO_OWNER[1],
    state: AuthState | None = None,
    clock: Callable[[], datetime] | None = None,
) -> TokenManager:
    return TokenManager(
        login=client,
        username=username,
        password=password,
        state=state or AuthState(),
        clock=clock or Clock(),
    )


async def test_concurrent_expiry_single_renewal(
    world: tuple[SimulatorHarness, EnlightenLogin],
) -> None:
    """50 callers that all saw the same stale token cause exactly one login."""
    sim, client = world
    changes: list[AuthState] = []
    manager = _manager(client)
    manager.on_change = changes.append
    sim.cloud.login_delay = 0.05
    tokens = await asyncio.gather(*(manager.async_renew(SERIAL, seen=None) for _ in range(50)))
    assert sim.cloud.login_count == 1
    assert len({t.raw for t in tokens}) == 1
    assert changes
    assert changes[-1].token == tokens[0].raw
    # Late callers holding the old (None) view also get the new token, no second login.
    stale_view = await asyncio.gather(*(manager.async_get_token(SERIAL) for _ in range(10)))
    assert {t.raw for t in stale_view} == {tokens[0].raw}
    assert sim.cloud.login_count == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [(CloudMode.ERROR_5XX, EnlightenUnavailable), (CloudMode.UNREACHABLE, EnlightenUnavailable)],
)
async def test_outage_is_not_rejection(
    world: tuple[SimulatorHarness, EnlightenLogin], mode: CloudMode, error: type[Exception]
) -> None:
    sim, client = world
    sim.cloud.mode = mode
    manager = _manager(client)
    with pytest.raises(error):
        await manager.async_get_token(SERIAL)
    assert manager.state.consecutive_rejections == 0
    assert manager.state.last_error is LoginFailure.UNAVAILABLE


async def test_rejections_stop_at_limit(world: tuple[SimulatorHarness, EnlightenLogin]) -> None:
    """Even with every backoff waited out, a wrong password is tried 3 times, no more."""
    sim, client = world
    clock = Clock()
    manager = _manager(client, password="wrong", clock=clock)
    for _ in range(MAX_CONSECUTIVE_REJECTIONS + 3):
        with pytest.raises(EnlightenRejected):
            await manager.async_renew(SERIAL)
        clock.advance(BACKOFF_CAP)
    assert sim.cloud.login_count == MAX_CONSECUTIVE_REJECTIONS
    assert manager.blocked
    assert not manager.can_renew
    assert manager.next_renewal() is None


async def test_rejections_back_off(world: tuple[SimulatorHarness, EnlightenLogin]) -> None:
    """A rejected login waits 1, then 2 minutes; inside the wait the verdict is repeated."""
    sim, client = world
    clock = Clock()
    manager = _manager(client, password="wrong", clock=clock)
    waits = []
    for _ in range(MAX_CONSECUTIVE_REJECTIONS - 1):
        with pytest.raises(EnlightenRejected):
            await manager.async_renew(SERIAL)
        until = manager.next_attempt()
        assert until is not None
        waits.append(until - clock.now)
        logins = sim.cloud.login_count
        with pytest.raises(EnlightenRejected):
            await manager.async_renew(SERIAL)
        assert sim.cloud.login_count == logins
        clock.advance(until - clock.now)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]
    assert waits == [backoff_delay(n) for n in (1, 2)]


async def test_outage_is_checked_without_credentials(
    world: tuple[SimulatorHarness, EnlightenLogin],
) -> None:
    """Down: a credential-free check every minute for 15 minutes, then every 5; login once up."""
    sim, client = world
    clock = Clock()
    manager = _manager(client, clock=clock)
    sim.cloud.mode = CloudMode.ERROR_5XX
    with pytest.raises(EnlightenUnavailable):
        await manager.async_renew(SERIAL)
    assert sim.cloud.login_count == 1
    checks: list[timedelta] = []
    start = clock.now
    while clock.now - start < timedelta(minutes=40):
        clock.advance(timedelta(seconds=30))
        probes = sim.cloud.requests["/"]
        with pytest.raises(EnlightenUnavailable):
            await manager.async_renew(SERIAL)
        if sim.cloud.requests["/"] > probes:
            checks.append(clock.now - start)
    # No login while down: only the checks, which carry no credentials.
    assert sim.cloud.login_count == 1
    assert manager.state.consecutive_rejections == 0
    assert checks[:15] == [timedelta(minutes=m) for m in range(1, 16)]
    assert checks[15:] == [timedelta(minutes=m) for m in (20, 25, 30, 35, 40)]
    # Back: the next due check notices, and the login follows at once.
    sim.cloud.mode = CloudMode.ONLINE
    clock.advance(timedelta(minutes=5))
    token = await manager.async_renew(SERIAL)
    assert sim.cloud.login_count == 2
    assert manager.token == token
    assert manager.state.last_error is None
    assert manager.state.unavailable_since is None
    # The only wait left is the spacing every successful login earns.
    assert manager.next_attempt() == clock.now + MIN_LOGIN_SPACING - CHECK_SLACK


async def test_spacing_lets_the_next_poll_log_in(
    world: tuple[SimulatorHarness, EnlightenLogin],
) -> None:
    """A token refused a poll after a renewal is replaced then, not a whole poll later.

    The renewal runs a moment after a poll; the next poll comes a fraction of a
    second less than a minute after that login. Sooner than that, the spacing holds.
    """
    sim, client = world
    clock = Clock()
    manager = _manager(client, clock=clock)
    first = await manager.async_renew(SERIAL)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(LoginThrottled):
        await manager.async_renew(SERIAL, seen=first)
    clock.advance(MIN_LOGIN_SPACING - timedelta(seconds=30.4))
    assert await manager.async_renew(SERIAL, seen=first) != first
    assert sim.cloud.login_count == 2


async def test_next_renewal_follows_the_token(
    world: tuple[SimulatorHarness, EnlightenLogin],
) -> None:
    """Owner: 30 days before expiry; installer: 1 hour before; a pasted token: never."""
    sim, client = world
    clock = Clock()
    owner = _manager(client, clock=clock)
    token = await owner.async_get_token(SERIAL)
    assert owner.next_renewal() == token.expires_at - timedelta(days=30)
    assert not await owner.async_renew_if_due(SERIAL)
    clock.now = token.expires_at - timedelta(days=30)
    assert await owner.async_renew_if_due(SERIAL)
    assert sim.cloud.login_count == 2

    sim.cloud.token_kind = "installer"  # the entrez portal's 12-hour tokens
    clock = Clock()  # the installer logs in today, with the simulator's clock
    installer = _manager(client, *DEMO_INSTALLER, clock=clock)
    short = await installer.async_get_token(SERIAL)
    assert short.expires_at - short.issued_at == timedelta(hours=12)
    assert installer.next_renewal() == short.expires_at - timedelta(hours=1)

    pasted = _manager(client, username=None, password=None, clock=clock)
    pasted.set_token(sim.cloud.mint_token(SERIAL), SERIAL)
    assert pasted.next_renewal() is None
    assert not await pasted.async_renew_if_due(SERIAL)

    # While Enlighten is down, the schedule moves to the next availability check.
    sim.cloud.mode = CloudMode.UNREACHABLE
    clock.now = short.expires_at - timedelta(minutes=30)
    with pytest.raises(EnlightenUnavailable):
        await installer.async_renew_if_due(SERIAL)
    assert installer.next_renewal() == clock.now + timedelta(minutes=1)


async def test_mfa_and_foreign_serial(world: tuple[SimulatorHarness, EnlightenLogin]) -> None:
    _, client = world
    with pytest.raises(EnlightenMfaRequired):
        await _manager(client, *DEMO_MFA).async_get_token(SERIAL)
    foreign = TokenManager(
        login=client,
        username=DEMO_OWNER[0],
        password=DEMO_OWNER[1],
        state=AuthState(),
    )
    with pytest.raises(EnlightenRejected):  # 403: the account has no access to this gateway
        await foreign.async_get_token("000000000000")


async def test_manual_token_mode(world: tuple[SimulatorHarness, EnlightenLogin]) -> None:
    sim, client = world
    manager = _manager(client, username=None, password=None)
    with pytest.raises(CredentialsRequired):
        await manager.async_get_token(SERIAL)
    token = manager.set_token(sim.cloud.mint_token(SERIAL), SERIAL)
    assert await manager.async_get_token(SERIAL) == token
    with pytest.raises(InvalidToken):
        manager.set_token(sim.cloud.mint_token("999"), SERIAL)
    assert sim.cloud.login_count == 0


def test_state_roundtrip() -> None:
    state = AuthState(
        token="t",
        last_renewal="2026-01-01T00:00:00+00:00",
        consecutive_rejections=2,
        last_error=LoginFailure.UNAVAILABLE,
        next_attempt="2026-01-01T00:04:00+00:00",
        unavailable_since="2026-01-01T00:03:00+00:00",
        login_attempts=["2026-01-01T00:00:00+00:00"],
        total_logins=7,
    )
    assert AuthState.from_dict(state.as_dict()) == state
    assert AuthState.from_dict(None) == AuthState()
    # States stored by 0.2 named the error class.
    assert AuthState.from_dict({"last_error": "EnlightenRejected"}).last_error is (
        LoginFailure.REJECTED
    )
    broken = TokenManager(
        login=None, username=None, password=None, state=AuthState(token="garbage")
    )
    assert broken.token is None


# -- renewal that cannot storm (tokens shorter than their renewal margin) -------------


@pytest.mark.parametrize(
    ("account", "lifetime", "renew_after"),
    [
        (DEMO_OWNER, timedelta(seconds=80), timedelta(seconds=60)),
        (DEMO_OWNER, timedelta(minutes=10), timedelta(minutes=7, seconds=30)),
        (DEMO_INSTALLER, timedelta(minutes=59), timedelta(minutes=44, seconds=15)),
        (DEMO_OWNER, timedelta(days=29), timedelta(days=21, hours=18)),
        # Either side of the notice: renewed every 30 minutes is what 48 logins a day allow.
        (DEMO_OWNER, timedelta(minutes=40), timedelta(minutes=30)),
        (DEMO_OWNER, timedelta(minutes=39), timedelta(minutes=29, seconds=15)),
    ],
)
async def test_short_tokens_serve_most_of_their_life(
    world: tuple[SimulatorHarness, EnlightenLogin],
    freezer: FrozenDateTimeFactory,
    account: tuple[str, str],
    lifetime: timedelta,
    renew_after: timedelta,
) -> None:
    """A token shorter than the margin is renewed after 3/4 of its life, never at once."""
    sim, client = world
    freezer.move_to("2026-11-24 12:00:00+00:00")  # tokens carry whole seconds
    sim.cloud.token_lifetime = int(lifetime.total_seconds())
    manager = _manager(client, *account, clock=_frozen_clock)
    token = await manager.async_get_token(SERIAL)
    assert token.lifetime == lifetime
    # Only tokens renewed more often than the ceilings sustain are worth a notice.
    assert manager.tokens_outrun_ceilings is (renew_after < timedelta(minutes=30))
    assert manager.next_renewal() == token.issued_at + renew_after
    assert not await manager.async_renew_if_due(SERIAL)
    freezer.tick(renew_after)
    assert await manager.async_renew_if_due(SERIAL)
    assert sim.cloud.login_count == 2


async def test_80_second_tokens_cost_a_login_a_minute_at_most(
    world: tuple[SimulatorHarness, EnlightenLogin], freezer: FrozenDateTimeFactory
) -> None:
    """A scheduler that asks every second still gets one login per minute, and a token."""
    sim, client = world
    sim.cloud.token_lifetime = 80
    manager = _manager(client, clock=_frozen_clock)
    await manager.async_get_token(SERIAL)
    for _ in range(5 * 60):
        freezer.tick(timedelta(seconds=1))
        with contextlib.suppress(LoginThrottled):
            await manager.async_renew_if_due(SERIAL)
        assert manager.usable()
    assert sim.cloud.login_count <= 6
    assert manager.state.total_logins == sim.cloud.login_count


async def test_login_ceilings_hold_across_restarts(
    world: tuple[SimulatorHarness, EnlightenLogin], freezer: FrozenDateTimeFactory
) -> None:
    """Whatever asks for tokens: 12 logins an hour and 48 a day at most, also across restarts."""
    sim, client = world
    sim.cloud.token_lifetime = 30
    state = AuthState()
    day_start = sim.cloud.login_count
    for minute in range(24 * 60):
        if minute % 90 == 0:  # a restart: a new manager from the persisted state
            state = AuthState.from_dict(state.as_dict())
            manager = _manager(client, state=state, clock=_frozen_clock)
        before = sim.cloud.login_count
        throttled: LoginThrottled | None = None
        try:
            await manager.async_renew(SERIAL, seen=manager.token)
        except LoginThrottled as err:
            throttled = err
        if throttled is not None:
            assert throttled.retry_at > dt_util.utcnow()
            assert sim.cloud.login_count == before
        hour = manager.logins_within(timedelta(hours=1))
        assert hour <= MAX_LOGINS_PER_HOUR
        freezer.tick(timedelta(minutes=1))
    assert sim.cloud.login_count - day_start == MAX_LOGINS_PER_DAY
    assert state.total_logins == MAX_LOGINS_PER_DAY
