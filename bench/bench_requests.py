"""Benchmark: requests to the gateway per hour, at setup and at restart; ours beside HA core's.

Run: .venv/bin/python bench/bench_requests.py [capture ...]   (default: every capture)

Each integration runs alone in the HA test harness (frozen time, advanced one
minute at a time) against a replayed real gateway (tests/fixtures/captures):
setup through the config flow, one simulated hour of polling, then a reload
(a restart with the stored token). Requests are counted by the replayed
gateway, per endpoint. Core's Enlighten login is pointed at the simulator.
Targets (issue 11): per hour <= 0.6 x core with batteries or a generator and
<= core everywhere; setup <= core + 2; restart <= core.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _run() -> int:
    chosen = sys.argv[1:]
    selection = ["-k", " or ".join(f"{c} or zz" for c in chosen)] if chosen else []
    return pytest.main(
        [
            __file__,
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-o",
            "python_files=bench_*.py",
            "--rootdir",
            str(ROOT),
            "-W",
            "ignore",
            *selection,
        ]
    )


if __name__ == "__main__":
    # Before anything imports Home Assistant: its test plugin must load first.
    sys.exit(_run())

from freezegun.api import FrozenDateTimeFactory  # noqa: E402
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from pyenphase.auth import EnvoyTokenAuth  # noqa: E402
from pytest_homeassistant_custom_component.common import async_fire_time_changed  # noqa: E402

from simulator import SimulatorHarness  # noqa: E402
from simulator.harness import DEMO_OWNER  # noqa: E402
from tests.conftest import no_retry_waits  # noqa: E402
from tests.test_captures import CAPTURES, HTML_ONLY, add_through_flow, start_capture  # noqa: E402

__all__ = ["no_retry_waits"]
HOUR_MINUTES = 60
RESULTS: dict[str, dict[str, Any]] = {}
SELECTED = [c for c in CAPTURES if c != HTML_ONLY]


@pytest.fixture(autouse=True)
def _custom(enable_custom_integrations: None) -> None:
    """Load custom_components/."""


@pytest.fixture
async def replay(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncGenerator[SimulatorHarness]:
    harness = await start_capture(request.node.callspec.params["capture"])
    cloud = harness.cloud_url
    with (
        patch("custom_components.envoy_connect.endpoints.CLOUD_URL_OVERRIDE", cloud),
        patch.object(EnvoyTokenAuth, "JSON_LOGIN_URL", f"{cloud}/login/login.json?"),
        patch.object(EnvoyTokenAuth, "TOKEN_URL", f"{cloud}/tokens"),
    ):
        yield harness
    await harness.stop()


async def _add_core(hass: HomeAssistant, harness: SimulatorHarness, capture: str) -> Any:
    """Core's own flow, as a user fills it in."""
    gateway = harness.envoys[capture]
    credentials = (
        {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}
        if gateway.profile.uses_token_auth
        else {CONF_USERNAME: "installer", CONF_PASSWORD: ""}
    )
    result = await hass.config_entries.flow.async_init("enphase_envoy", context={"source": "user"})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: gateway.address, **credentials}
    )


def _taken(counter: Counter[str]) -> Counter[str]:
    taken = Counter(counter)
    counter.clear()
    return taken


@pytest.mark.parametrize("integration", ["ours", "core"])
@pytest.mark.parametrize("capture", SELECTED)
async def test_requests(
    hass: HomeAssistant,
    replay: SimulatorHarness,
    capture: str,
    integration: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to("2026-06-21 12:00:00+00:00")
    counts = replay.envoys[capture].requests
    counts.clear()
    add = add_through_flow if integration == "ours" else _add_core
    result = await add(hass, replay, capture)
    await hass.async_block_till_done()
    entry = result["result"]
    setup = _taken(counts)
    for _ in range(HOUR_MINUTES):
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    hour = _taken(counts)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    restart = _taken(counts)
    RESULTS.setdefault(capture, {})[integration] = {
        "setup": setup.total(),
        "setup_paths": setup,
        "hour": hour,
        "restart": restart.total(),
    }
    await hass.config_entries.async_unload(entry.entry_id)


def test_zz_report() -> None:
    """Print the table (markdown) once every capture ran."""
    lines = [
        "| capture | per hour ours / core (ratio) | setup ours / core | restart ours / core |",
        "|---|---|---|---|",
    ]
    worst = 0.0
    for capture, both in RESULTS.items():
        if {"ours", "core"} - both.keys():
            continue
        ours, core = both["ours"], both["core"]
        hour_ours, hour_core = ours["hour"].total(), core["hour"].total()
        ratio = hour_ours / hour_core if hour_core else 0.0
        worst = max(worst, ratio)
        lines.append(
            f"| {capture} | {hour_ours} / {hour_core} ({ratio:.2f}) "
            f"| {ours['setup']} / {core['setup']} | {ours['restart']} / {core['restart']} |"
        )
    print("\n" + "\n".join(lines))
    print(f"\nworst per-hour ratio: {worst:.2f}")
    print("\nper endpoint, requests per hour (ours / core):")
    for capture, both in RESULTS.items():
        if {"ours", "core"} - both.keys():
            continue
        paths = sorted({*both["ours"]["hour"], *both["core"]["hour"]})
        cells = ", ".join(f"{p} {both['ours']['hour'][p]}/{both['core']['hour'][p]}" for p in paths)
        print(f"- {capture}: {cells}")
        setups = {i: dict(both[i]["setup_paths"]) for i in ("ours", "core")}
        print(f"  setup: {setups}")
