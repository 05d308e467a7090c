"""Every value of a real recording replaced by nonsense: never a traceback, always recovery.

The gateway (or a host on the LAN pretending to be it) decides what we parse;
pyenphase copies JSON into its models as it comes. One rich recording (batteries,
Enpower, generator, CTs) is replayed with each recorded leaf turned into text,
and each answer turned into something that is not its shape.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from simulator import SimulatorHarness

from .conftest import poll, user_tracebacks
from .test_captures import CAPTURES_DIR, add_through_flow, replay

__all__ = ["replay"]
RICH = "8.2.127_with_generator_running"
NOT_ITS_SHAPE = ("", "null", "[]", "{}", '"x"', '{"truncated": [1, ')


def _leaves(body: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to the scalars of ``body`` (the first two items of each list)."""
    if isinstance(body, dict):
        return [leaf for k, v in body.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(body, list):
        return [leaf for i, v in enumerate(body[:2]) for leaf in _leaves(v, (*path, i))]
    return [path] if path else []


def _as_text(body: Any, leaf: tuple[Any, ...]) -> str:
    changed = copy.deepcopy(body)
    holder = changed
    for step in leaf[:-1]:
        holder = holder[step]
    holder[leaf[-1]] = "nonsense"
    return json.dumps(changed)


def _recorded_json(path: str) -> Any:
    recording = CAPTURES_DIR / RICH / path.lstrip("/").replace("/", "_")
    try:
        return json.loads(recording.read_text())
    except OSError, ValueError:
        return None


@pytest.mark.parametrize("capture", [RICH])
async def test_nonsense_in_every_recorded_value(
    hass: HomeAssistant,
    replay: SimulatorHarness,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    capture: str,
) -> None:
    caplog.set_level(logging.INFO)
    result = await add_through_flow(hass, replay, capture)
    entry = result["result"]
    gateway = replay.envoys[capture]
    await poll(hass, freezer, 901)  # every endpoint family has been read once
    answers = {p: b for p in map(str, gateway.requests) if (b := _recorded_json(p)) is not None}
    assert len(answers) >= 8
    variants = 0
    for path, body in answers.items():
        for junk in [*(_as_text(body, leaf) for leaf in _leaves(body)), *NOT_ITS_SHAPE]:
            gateway.override(path, junk)
            await poll(hass, freezer, 901)  # due whatever its family's pace
            variants += 1
            assert not user_tracebacks(caplog), (path, junk[:200])
        gateway.overrides.clear()
        await poll(hass, freezer, 901)
        assert entry.runtime_data.coordinator.last_update_success, path
    assert variants > 300
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
