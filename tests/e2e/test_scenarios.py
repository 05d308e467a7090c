"""What a user does, in Chromium, against a real Home Assistant and the simulator.

Every scenario saves screenshots of its key screens under tests/e2e/artifacts/,
and every dialog and page it reads is checked for raw translation keys.
"""

from __future__ import annotations

from .conftest import UI, wait_until
from .servers import World

OWNER = ("owner@example.com", "demo-owner-password")
INSTALLER = ("installer@example.com", "demo-installer-password")


def _kw(watts: float) -> str:
    """How HA shows a power sensor suggested in kW."""
    return f"{watts / 1000:.3f} kW"


def test_add_local_token(ui: UI, world: World) -> None:
    """Firmware 8: Enlighten credentials; the device lists the simulator's values."""
    ui.add_integration()
    ui.wait_dialog_text("Envoy on my network")
    ui.shot("menu")
    ui.dialog.get_by_text("Envoy on my network").click()
    text = ui.wait_dialog_text("Host")
    assert "Firmware 7 and newer" in text
    ui.field("host").fill(world.gateway("battery"))
    ui.field("username").fill(OWNER[0])
    ui.field("password").fill(OWNER[1])
    ui.shot("form")
    ui.submit()
    ui.finish_flow()

    envoy = world.sim("/_sim")["envoys"]["battery"]
    readings = envoy["readings"]
    text = ui.open_device(envoy["serial"])
    text = ui.wait_page_text("Current power production", _kw(readings["production_w"]))
    ui.shot("device")
    assert "Battery" in text
    assert f"Battery level {readings['battery_soc']}%" in text
    assert "Token expiry" in text
    assert envoy["firmware"] in text


def test_add_local_legacy(ui: UI, world: World) -> None:
    """Firmware 5: the installer account with a blank password."""
    ui.add_integration()
    ui.wait_dialog_text("Envoy on my network")
    ui.dialog.get_by_text("Envoy on my network").click()
    ui.wait_dialog_text("Host")
    ui.field("host").fill(world.gateway("legacy"))
    ui.field("username").fill("installer")
    ui.shot("form")
    ui.submit()
    ui.finish_flow()

    envoy = world.sim("/_sim")["envoys"]["legacy"]
    ui.open_device(envoy["serial"])
    text = ui.wait_page_text(
        "Current power production", _kw(envoy["readings"]["production_w"])
    )
    ui.shot("device")
    assert "Token expiry" not in text  # no token on firmware 5
    assert envoy["firmware"] in text
