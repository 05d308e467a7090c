"""The gateway session layer: cookies for the gateway only, bounded answers, closed clients."""

from __future__ import annotations

import socket
import zlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from unittest.mock import patch

import aiohttp
import pytest
from aiohttp import web
from pyenphase.exceptions import EnvoyClientClosedError
from yarl import URL

from custom_components.envoy_connect.api import EnvoyGateway, GatewayUnreachable, TokenManager
from custom_components.envoy_connect.api.http import (
    MAX_RESPONSE_BYTES,
    GatewayCookieJar,
    ResponseTooLarge,
    SessionGuard,
    read_bounded,
)
from custom_components.envoy_connect.api.token_manager import AuthState
from simulator import SimulatorHarness

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def test_cookie_jar_keeps_the_gateway_cookie_for_its_own_port() -> None:
    """A redirect to another port of the same address neither gets nor sets the session."""
    jar = GatewayCookieJar("192.168.1.20:8443")
    gateway = URL("https://192.168.1.20:8443/")
    jar.update_cookies({"sessionId": "s3cr3t"}, gateway)
    assert jar.filter_cookies(gateway)["sessionId"].value == "s3cr3t"
    elsewhere = URL("http://192.168.1.20:8080/info")
    assert not jar.filter_cookies(elsewhere)
    jar.update_cookies({"sessionId": "planted"}, elsewhere)
    assert jar.filter_cookies(gateway)["sessionId"].value == "s3cr3t"
    assert not jar.filter_cookies(URL("https://192.168.1.21:8443/"))


async def test_cookie_jar_without_port_takes_the_default_ports_only() -> None:
    jar = GatewayCookieJar("envoy.local")
    jar.update_cookies({"sessionId": "x"}, URL("https://envoy.local/"))
    assert jar.filter_cookies(URL("http://envoy.local/production.json"))
    assert not jar.filter_cookies(URL("http://envoy.local:81/production.json"))


@asynccontextmanager
async def _serve(path: str, handler: Handler) -> AsyncGenerator[str]:
    """A loopback server answering ``path`` with ``handler``; yields the URL."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}{path}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def announcer(socket_enabled: None) -> AsyncGenerator[str]:
    """A server that announces a body far over the cap."""

    async def huge(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x", headers={"Content-Length": str(MAX_RESPONSE_BYTES * 50)})

    async with _serve("/", huge) as url:
        yield url


async def test_announced_huge_answer_is_not_read(announcer: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(announcer) as response:
        with pytest.raises(ResponseTooLarge):
            await read_bounded(response)


@pytest.fixture
async def gzip_bomb(socket_enabled: None) -> AsyncGenerator[str]:
    """A server whose small gzip answer inflates to 16 times the cap (a "zip bomb")."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    inflated = 16 * MAX_RESPONSE_BYTES
    body = b"".join(packer.compress(zeros) for _ in range(inflated // len(zeros)))
    body += packer.flush()
    assert len(body) < MAX_RESPONSE_BYTES / 10

    async def bomb(_request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    async with _serve("/production.json", bomb) as url:
        yield url


async def test_compressed_answer_is_capped_once_inflated(gzip_bomb: str) -> None:
    """The cap counts inflated bytes: a compressed answer cannot smuggle a huge body in."""
    guard = SessionGuard()
    async with (
        aiohttp.ClientSession(
            trace_configs=[guard.trace_config], middlewares=[guard.middleware]
        ) as session,
        session.get(gzip_bomb) as response,
    ):
        with pytest.raises(ResponseTooLarge):
            await response.read()
    # The cloud session is HA's own (no trace hooks): read_bounded caps it the same way.
    async with aiohttp.ClientSession() as session, session.get(gzip_bomb) as response:
        with pytest.raises(ResponseTooLarge):
            await read_bounded(response)


@pytest.fixture
async def legacy(socket_enabled: None) -> AsyncGenerator[SimulatorHarness]:
    harness = SimulatorHarness(["legacy"])
    await harness.start()
    yield harness
    await harness.stop()


async def _gateway(
    harness: SimulatorHarness, session: aiohttp.ClientSession, guard: SessionGuard
) -> EnvoyGateway:
    tokens = TokenManager(login=None, username=None, password=None, state=AuthState())
    return EnvoyGateway(harness.envoys["legacy"].address, session, tokens, guard=guard)


async def test_closed_client_is_an_outage(legacy: SimulatorHarness) -> None:
    """pyenphase's EnvoyClientClosedError (a RuntimeError) is "unreachable", not a crash."""
    guard = SessionGuard()
    async with aiohttp.ClientSession(
        trace_configs=[guard.trace_config], middlewares=[guard.middleware]
    ) as session:
        gateway = await _gateway(legacy, session, guard)
        await gateway.async_connect()
        with (
            patch.object(gateway.envoy, "update", side_effect=EnvoyClientClosedError("closed")),
            pytest.raises(GatewayUnreachable),
        ):
            await gateway.async_update()
        assert (await gateway.async_update()) is not None


async def test_unreadable_interface_settings_give_no_mac(
    legacy: SimulatorHarness,
) -> None:
    """/home is optional: garbage there costs the MAC address, nothing else."""
    guard = SessionGuard()
    async with aiohttp.ClientSession(
        trace_configs=[guard.trace_config], middlewares=[guard.middleware]
    ) as session:
        gateway = await _gateway(legacy, session, guard)
        await gateway.async_connect()
        with patch.object(
            type(gateway.envoy), "interface_settings", side_effect=ValueError("not json")
        ):
            assert await gateway.async_read_mac() is None
        assert gateway.serial == legacy.envoys["legacy"].profile.serial


async def test_guard_names_paths_that_answered_busy_or_nothing(announcer: str) -> None:
    """A 5xx and a request without an answer are "busy"; a 404 is an answer."""
    guard = SessionGuard()
    base = URL(announcer)
    async with aiohttp.ClientSession(trace_configs=[guard.trace_config]) as session:
        async with session.get(base / "absent") as response:
            assert response.status == 404
        closed = base.with_port(_closed_port())
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(closed / "nothing")
    assert guard.take_busy() == {"/nothing"}
    assert guard.status("/absent") == 404
    assert guard.status("/nothing") is None
    assert guard.take_busy() == set()


def _closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
