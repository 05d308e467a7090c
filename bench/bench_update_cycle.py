"""Benchmark: one update cycle against the simulator, and a 50-caller token renewal.

Run: .venv/bin/python bench/bench_update_cycle.py
Targets: a metered update cycle under 50 ms on loopback; renewal stays one login.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.envoy_connect.api import (
    AuthState,
    EnlightenEndpoints,
    EnlightenLogin,
    EnvoyGateway,
    SessionGuard,
    TokenManager,
)
from custom_components.envoy_connect.api.cadence import Cadence
from simulator import SimulatorHarness
from simulator.harness import DEMO_OWNER


async def main(cycles: int = 200) -> None:
    sim = SimulatorHarness(["metered"])
    await sim.start()
    responses = SessionGuard()
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=False), trace_configs=[responses.trace_config]
        ) as local,
        aiohttp.ClientSession() as cloud,
    ):
        login = EnlightenLogin(cloud, EnlightenEndpoints.single(sim.cloud_url))
        tokens = TokenManager(
            login=login, username=DEMO_OWNER[0], password=DEMO_OWNER[1], state=AuthState()
        )
        gateway = EnvoyGateway(sim.envoys["metered"].address, local, tokens, guard=responses)
        await gateway.async_connect()
        # Steady state: a minute between updates, as the coordinator polls (each cycle reads
        # the live endpoints, and the others when their data is due).
        minutes = [time.time()]
        gateway.envoy.cadence = Cadence(lambda: minutes[0])
        times = []
        for _ in range(cycles):
            minutes[0] += 60
            start = time.perf_counter()
            await gateway.async_update()
            times.append(time.perf_counter() - start)
        sim.cloud.reset_counts()
        serial = sim.envoys["metered"].profile.serial
        # A manager of its own: the entry's just logged in, and holds the next login back a minute.
        renewer = TokenManager(
            login=login, username=DEMO_OWNER[0], password=DEMO_OWNER[1], state=AuthState()
        )
        await asyncio.gather(*(renewer.async_renew(serial, seen=None) for _ in range(50)))
    await sim.stop()
    print(
        f"update cycle: median {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {sorted(times)[int(cycles * 0.95)] * 1000:.1f} ms over {cycles} cycles"
    )
    print(f"50 concurrent renewals -> {sim.cloud.login_count} Enlighten login(s)")


if __name__ == "__main__":
    asyncio.run(main())
