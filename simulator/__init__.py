"""Envoy Connect simulator: a fake Envoy gateway and a fake Enlighten cloud.

Plain aiohttp with no Home Assistant imports, so it serves the pytest fixtures,
the benchmarks and ``scripts/develop`` alike.
"""

from .enlighten import EnlightenAccount, EnlightenSimulator
from .envoy import EnvoySimulator, NetworkMode
from .harness import SimulatorHarness
from .profiles import PROFILES, Profile
from .replay import CAPTURES_DIR, Capture, ReplayEnvoy, capture_names

__all__ = [
    "CAPTURES_DIR",
    "PROFILES",
    "Capture",
    "EnlightenAccount",
    "EnlightenSimulator",
    "EnvoySimulator",
    "NetworkMode",
    "Profile",
    "ReplayEnvoy",
    "SimulatorHarness",
    "capture_names",
]
