"""Envoy Connect simulator: a fake Envoy gateway and a fake Enlighten cloud.

Plain aiohttp with no Home Assistant imports, so it serves the pytest fixtures,
the benchmarks and ``scripts/develop`` alike.
"""

from .enlighten import EnlightenAccount, EnlightenSimulator
from .envoy import EnvoySimulator, NetworkMode
from .harness import SimulatorHarness
from .profiles import PROFILES, Profile

__all__ = [
    "PROFILES",
    "EnlightenAccount",
    "EnlightenSimulator",
    "EnvoySimulator",
    "NetworkMode",
    "Profile",
    "SimulatorHarness",
]
