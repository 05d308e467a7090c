"""Every real gateway recording, set up through the config flow: snapshot of what it becomes.

The snapshot holds every entity registry entry and state, and every device: a
change to what users see shows up as a snapshot diff to review.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from simulator import SimulatorHarness
from simulator.harness import DEMO_OWNER

from .conftest import start_local_flow

CAPTURES_DIR = Path(__file__).parent / "fixtures" / "captures"
#: Serves only HTML: pyenphase finds no data endpoint (see test_unsupported_firmware).
HTML_ONLY = "3.7.0"
CAPTURES = sorted(p.name for p in CAPTURES_DIR.iterdir() if p.is_dir() and (p / "info").exists())


async def start_capture(name: str) -> SimulatorHarness:
    """One replayed gateway and the fake Enlighten, on loopback."""
    harness = SimulatorHarness(profiles=[], captures=[name])
    await harness.start()
    return harness


@pytest.fixture
async def replay(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncGenerator[SimulatorHarness]:
    """The capture named by the test's ``capture`` parameter."""
    harness = await start_capture(request.node.callspec.params["capture"])
    with patch("custom_components.envoy_connect.endpoints.CLOUD_URL_OVERRIDE", harness.cloud_url):
        yield harness
    await harness.stop()


async def add_through_flow(hass: HomeAssistant, harness: SimulatorHarness, name: str) -> Any:
    """What a user does: host plus Enlighten credentials (firmware 7+) or `installer`."""
    gateway = harness.envoys[name]
    credentials = (
        {CONF_USERNAME: DEMO_OWNER[0], CONF_PASSWORD: DEMO_OWNER[1]}
        if gateway.profile.uses_token_auth
        else {CONF_USERNAME: "installer"}
    )
    result = await start_local_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: gateway.address, **credentials}
    )
    return result


def _devices(hass: HomeAssistant, entry_id: str) -> list[dict[str, Any]]:
    registry = dr.async_get(hass)
    gateway = next(
        d for d in dr.async_entries_for_config_entry(registry, entry_id) if d.via_device_id is None
    )
    return sorted(
        (
            {
                "identifiers": sorted(v for _, v in d.identifiers),
                "name": d.name,
                "manufacturer": d.manufacturer,
                "model": d.model,
                "model_id": d.model_id,
                "sw_version": d.sw_version,
                "serial_number": d.serial_number,
                "linked_to_gateway": d.via_device_id == gateway.id,
            }
            for d in dr.async_entries_for_config_entry(registry, entry_id)
        ),
        key=lambda d: d["identifiers"],
    )


@pytest.mark.parametrize("capture", [c for c in CAPTURES if c != HTML_ONLY])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_capture(
    hass: HomeAssistant,
    replay: SimulatorHarness,
    capture: str,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Set up through the UI flow; every entity and device matches the reviewed snapshot."""
    freezer.move_to("2026-06-21 12:00:00+00:00")
    result = await add_through_flow(hass, replay, capture)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.last_update_success
    # Every value a real gateway reports fits pyenphase's declared types.
    assert entry.runtime_data.coordinator.gateway.scrubber.replaced == 0

    entities = sorted(
        er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id),
        key=lambda e: e.entity_id,
    )
    assert entities
    assert _devices(hass, entry.entry_id) == snapshot(name="devices")
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
        state = hass.states.get(entity.entity_id)
        assert state is not None, entity.entity_id
        assert state == snapshot(name=f"{entity.entity_id}-state")


@pytest.mark.parametrize("capture", [HTML_ONLY])
async def test_unsupported_firmware(
    hass: HomeAssistant, replay: SimulatorHarness, capture: str
) -> None:
    """A gateway that serves only web pages gets its own error, not "cannot connect"."""
    result = await add_through_flow(hass, replay, capture)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unsupported_firmware"}
    assert not hass.config_entries.async_entries("envoy_connect")
