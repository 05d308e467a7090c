"""Benchmark: a "gateway" that answers 200 MiB (plain or gzip), or without end. Ours and core's.

Run: .venv/bin/python bench/bench_hostile.py
Target: ours stays within a few MiB of ``MAX_RESPONSE_BYTES`` (4 MiB) and gives
up within seconds; HA core's path (pyenphase on a session without bounds) reads
the whole body, or until pyenphase's own 45 s timeout.

Memory is tracemalloc's peak of Python allocations during the update (the
bytes buffers of the body are Python objects), measured per scenario.
"""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc
from pathlib import Path

import aiohttp
from pyenphase import Envoy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.envoy_connect.api import (
    AuthState,
    EnlightenEndpoints,
    EnlightenLogin,
    EnvoyConnectError,
    EnvoyGateway,
    SessionGuard,
    TokenManager,
)
from custom_components.envoy_connect.api.cadence import LIVE_MIN_AGE
from simulator import SimulatorHarness
from simulator.harness import DEMO_OWNER

MIB = 1024 * 1024
HUGE = 200 * MIB
#: Read on every update by both integrations (the meter readings).
FLOODED = "/ivp/meters/readings"


async def _ours(sim: SimulatorHarness, size: int | None, gzip: bool) -> tuple[float, float, str]:
    guard = SessionGuard()
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=False),
            trace_configs=[guard.trace_config],
            middlewares=[guard.middleware],
        ) as local,
        aiohttp.ClientSession() as cloud,
    ):
        tokens = TokenManager(
            login=EnlightenLogin(cloud, EnlightenEndpoints.single(sim.cloud_url)),
            username=DEMO_OWNER[0],
            password=DEMO_OWNER[1],
            state=AuthState(),
        )
        gateway = EnvoyGateway(sim.envoys["metered"].address, local, tokens, guard=guard)
        await gateway.async_connect()
        await gateway.async_update()  # the first update probes, as core's probe() does
        await asyncio.sleep(LIVE_MIN_AGE + 0.5)  # then live readings are due again
        sim.envoys["metered"].flood(FLOODED, size, gzip=gzip)
        return await _measure(gateway.async_update())


async def _core(sim: SimulatorHarness, size: int | None, gzip: bool) -> tuple[float, float, str]:
    """What HA core does: pyenphase on a plain session, the same token."""
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as local,
        aiohttp.ClientSession() as cloud,
    ):
        envoy = sim.envoys["metered"]
        login = EnlightenLogin(cloud, EnlightenEndpoints.single(sim.cloud_url))
        token = await login.async_obtain_token(*DEMO_OWNER, envoy.profile.serial)
        client = Envoy(envoy.address, client=local)
        await client.setup()
        await client.authenticate(token=token)
        await client.probe()
        envoy.flood(FLOODED, size, gzip=gzip)
        return await _measure(client.update())


async def _measure(update: object) -> tuple[float, float, str]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        await update  # type: ignore[misc]
        outcome = "read it all"
    except (EnvoyConnectError, Exception) as err:  # noqa: BLE001 -- report, whatever it is
        outcome = type(err).__name__
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / MIB, elapsed, outcome


async def main() -> None:
    scenarios = [
        ("ours", "200 MiB", _ours, HUGE, False),
        ("ours", "gzip 200", _ours, HUGE, True),
        ("ours", "endless", _ours, None, False),
        ("core", "200 MiB", _core, HUGE, False),
        ("core", "gzip 200", _core, HUGE, True),
    ]
    if "--core-endless" in sys.argv:  # about 45 s and hundreds of MiB
        scenarios.append(("core", "endless", _core, None, False))
    for who, what, run, size, gzip in scenarios:
        sim = SimulatorHarness(["metered"])
        await sim.start()
        try:
            peak, elapsed, outcome = await run(sim, size, gzip)
            sent = sim.envoys["metered"].flooded / MIB
        finally:
            await sim.stop()
        print(
            f"{who:4} {what:8}: peak {peak:7.1f} MiB, {elapsed:5.1f} s, "
            f"{sent:6.1f} MiB sent by the peer{' (inflated)' if gzip else ''} -> {outcome}"
        )


if __name__ == "__main__":
    asyncio.run(main())
