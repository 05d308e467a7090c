"""``python -m simulator``: run the simulated world until Ctrl-C (used by scripts/develop)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import time

from .harness import SimulatorHarness


async def _sunshine(harness: SimulatorHarness) -> None:
    """Let values drift like a real afternoon, so sensors visibly update."""
    base = {name: dict(envoy.readings.inverter_watts) for name, envoy in harness.envoys.items()}
    while True:
        await asyncio.sleep(10)
        factor = 0.85 + 0.15 * math.sin(time.time() / 300)
        for name, envoy in harness.envoys.items():
            r = envoy.readings
            for serial, watts in base[name].items():
                if serial in r.inverter_watts:
                    r.inverter_watts[serial] = round(watts * factor)
            r.production_wh_today += r.production_w // 360
            r.production_wh_lifetime += r.production_w // 360
            r.consumption_wh_today += r.consumption_w // 360
            r.consumption_wh_lifetime += r.consumption_w // 360
            r.report_time = int(time.time())


async def _main(args: argparse.Namespace) -> None:
    harness = SimulatorHarness(host=args.host)
    ports = {
        "legacy": args.base_port + 1,
        "metered": args.base_port + 2,
        "battery": args.base_port + 3,
    }
    await harness.start(cloud_port=args.base_port, envoy_ports=ports)
    print(json.dumps(harness.describe() | {"control_api": f"{harness.cloud_url}/_sim"}, indent=2))
    print("Simulator running; Ctrl-C to stop.", flush=True)
    try:
        if args.steady:
            await asyncio.Event().wait()  # values stay put: end-to-end tests compare them
        else:
            await _sunshine(harness)
    finally:
        await harness.stop()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description="Envoy Connect simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--base-port", type=int, default=8300, help="cloud on this port, gateways on the next three"
    )
    parser.add_argument(
        "--steady", action="store_true", help="keep values constant (for end-to-end tests)"
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
