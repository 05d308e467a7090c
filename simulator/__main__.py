"""``python -m simulator``: run the simulated world until Ctrl-C (used by scripts/develop)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import time
from pathlib import Path

from .harness import SimulatorHarness
from .profiles import PROFILES
from .replay import CAPTURES_DIR, ReplayEnvoy


async def _sunshine(harness: SimulatorHarness) -> None:
    """Let values drift like a real afternoon, so sensors visibly update.

    Wall-clock time passes through ``Readings.advance``, so the counters balance and
    batteries charge and discharge just as in the physics tests.
    """
    synthetic = {
        name: envoy
        for name, envoy in harness.envoys.items()
        if not isinstance(envoy, ReplayEnvoy)  # a replay serves what was recorded
    }
    base = {name: dict(envoy.readings.inverter_watts) for name, envoy in synthetic.items()}
    last = time.time()
    for envoy in synthetic.values():
        envoy.readings.report_time = last  # the clock is set to now: no energy flows
    while True:
        await asyncio.sleep(10)
        now = time.time()
        factor = 0.85 + 0.15 * math.sin(now / 300)
        for name, envoy in synthetic.items():
            r = envoy.readings
            r.advance(now - last)  # at the powers that held since the last round
            for serial, watts in base[name].items():
                if serial in r.inverter_watts:
                    r.inverter_watts[serial] = round(watts * factor)
        last = now


def build(args: argparse.Namespace) -> tuple[SimulatorHarness, dict[str, int]]:
    """The harness and the gateway ports: synthetic ones first, then the captures."""
    captures = ["all"] if args.capture and "all" in args.capture else args.capture
    harness = SimulatorHarness(host=args.host, captures=captures, captures_dir=args.captures_dir)
    ports = {name: args.base_port + 1 + i for i, name in enumerate(harness.envoys)}
    return harness, ports


async def _main(args: argparse.Namespace) -> None:
    harness, ports = build(args)
    await harness.start(cloud_port=args.base_port, envoy_ports=ports)
    print(json.dumps(harness.describe() | {"control_api": f"{harness.cloud_url}/_sim"}, indent=2))
    for name, envoy in harness.envoys.items():
        if isinstance(envoy, ReplayEnvoy):
            print(
                f"capture {name}: {envoy.scheme}://{envoy.address} "
                f"serial {envoy.profile.serial} firmware {envoy.profile.firmware}"
            )
    print("Simulator running; Ctrl-C to stop.", flush=True)
    try:
        if args.steady:
            await asyncio.Event().wait()  # values stay put: end-to-end tests compare them
        else:
            await _sunshine(harness)
    finally:
        await harness.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="Envoy Connect simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--base-port",
        type=int,
        default=8300,
        help=f"cloud on this port, the {len(PROFILES)} synthetic gateways on the next ones, "
        "then the captures",
    )
    parser.add_argument(
        "--capture",
        action="append",
        metavar="NAME",
        help="also replay this capture folder (repeatable; 'all' for every one)",
    )
    parser.add_argument(
        "--captures-dir", type=Path, default=CAPTURES_DIR, help="where the capture folders are"
    )
    parser.add_argument(
        "--steady", action="store_true", help="keep values constant (for end-to-end tests)"
    )
    return parser.parse_args(argv)


def main() -> None:
    """Parse arguments and run."""
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
