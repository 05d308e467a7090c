"""What a user does, in Chromium, against a real Home Assistant and the simulator.

Every scenario saves screenshots of its key screens under tests/e2e/artifacts/,
and every dialog and page it reads is checked for raw translation keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .conftest import UI, deep_text, wait_until
from .servers import ROOT, World

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
    ui.wait_dialog_text("Host", "Firmware 7 and newer", "Token (optional)")
    ui.field("host").fill(world.gateway("battery"))
    ui.field("username").fill(OWNER[0])
    ui.field("password").fill(OWNER[1])
    ui.shot("form")
    ui.submit()
    ui.finish_flow()

    envoy = world.sim("/_sim")["envoys"]["battery"]
    readings = envoy["readings"]
    ui.open_device(envoy["serial"])
    ui.wait_page_text(
        "Power production",
        _kw(readings["production_w"]),
        f"Battery level {readings['battery_soc']}%",
        "Token expiry",
        f"Firmware: {envoy['firmware']}",
    )
    ui.shot("device")


def test_add_local_legacy(ui: UI, world: World) -> None:
    """Firmware 5: the installer account with a blank password."""
    ui.add_integration()
    ui.wait_dialog_text("Envoy on my network")
    ui.dialog.get_by_text("Envoy on my network").click()
    ui.wait_dialog_text("Host", "Token (optional)")
    ui.field("host").fill(world.gateway("legacy"))
    ui.field("username").fill("installer")
    ui.shot("form")
    ui.submit()
    ui.finish_flow()

    envoy = world.sim("/_sim")["envoys"]["legacy"]
    ui.open_device(envoy["serial"])
    text = ui.wait_page_text(
        "Power production",
        _kw(envoy["readings"]["production_w"]),
        f"Firmware: {envoy['firmware']}",
    )
    ui.shot("device")
    assert "Token expiry" not in text  # no token on firmware 5


MFA = ("mfa@example.com", "demo-mfa-password")


def _emailed_code(world: World) -> str:
    """The code Enphase "emailed" to the MFA account (the simulator's mailbox)."""
    return str(world.sim("/_sim/cloud/mfa_code", {"username": MFA[0]})["code"])


def _enter_code(ui: UI, world: World, codes: list[str], shot: str) -> None:
    """The code step: a mistyped code first (its own error), then the emailed one."""
    ui.wait_dialog_text("Enter the code from Enphase", MFA[0], "Send a new code")
    ui.shot(shot)
    code = _emailed_code(world)
    codes.append(code)
    ui.field("code").fill(f"{(int(code) + 1) % 10**6:06d}")
    ui.submit()
    ui.wait_dialog_text("Enlighten did not accept this code")
    ui.shot(f"{shot}-wrong")
    ui.field("code").fill(code)
    ui.submit()


def _add_mfa_entry(ui: UI, world: World, serial: str, codes: list[str]) -> dict[str, Any]:
    ui.add_integration()
    ui.wait_dialog_text("Envoy on my network")
    ui.dialog.get_by_text("Envoy on my network").click()
    ui.wait_dialog_text("Host", "Token (optional)")
    ui.field("host").fill(world.gateway("metered"))
    ui.field("username").fill(MFA[0])
    ui.field("password").fill(MFA[1])
    ui.submit()
    _enter_code(ui, world, codes, "add-code")
    ui.finish_flow()
    return next(e for e in world.entries() if e["title"] == f"Envoy {serial}")


def _renew_from_repair(ui: UI, world: World, serial: str, codes: list[str]) -> None:
    ui.page.goto(f"{world.ha_url}/config/repairs")
    repair = ui.page.get_by_text(f"The token of Envoy {serial} expires in")
    repair.wait_for(timeout=60_000)
    ui.page_text()
    ui.shot("renewal-repair")
    repair.click()
    ui.wait_dialog_text(f"Renew the token of Envoy {serial}", "Password")
    ui.field("username").fill(MFA[0])
    ui.field("password").fill(MFA[1])
    ui.submit()
    _enter_code(ui, world, codes, "renew-code")
    wait_until(lambda: f"The token of Envoy {serial}" not in ui.page_text(), 60, "the repair to go")
    ui.shot("renewed")
    ui.page.keyboard.press("Escape")


def _reauth_with_code(ui: UI, world: World, serial: str, codes: list[str]) -> None:
    ui.page.goto(f"{world.ha_url}/config/dashboard")
    repair = ui.page.get_by_text(f"Authentication expired for Envoy {serial}")
    repair.wait_for()
    repair.click()
    ui.wait_dialog_text("Renew the token with a one-time code", "Password")
    ui.shot("reauth-form")
    ui.field("password").fill(MFA[1])
    ui.submit()
    _enter_code(ui, world, codes, "reauth-code")
    ui.wait_dialog_text("Re-authentication was successful")
    ui.shot("reauth-done")
    ui.dialog.get_by_role("button", name=re.compile("finish|close|ok", re.I)).first.click()


def test_mfa_account(ui: UI, world: World) -> None:
    """An MFA account is added, renewed from its repair and reauthenticated, each time with
    the one-time code Enphase emails; no code reaches the log or the diagnostics."""
    serial = world.sim("/_sim")["envoys"]["metered"]["serial"]
    codes: list[str] = []
    # Tokens of 20 days: the renewal repair is due at once (30 days ahead for MFA).
    world.sim("/_sim/cloud/token_lifetime", {"seconds": 20 * 86_400})
    entry = _add_mfa_entry(ui, world, serial, codes)
    world.poll_every(entry["entry_id"], 10)

    world.sim("/_sim/cloud/token_lifetime", {"seconds": None})
    _renew_from_repair(ui, world, serial, codes)

    # The gateway rejects every token; an MFA entry never logs in by itself: reauth.
    world.sim("/_sim/envoy/metered/expire_tokens")
    wait_until(world.flows, 90, "a reauth flow")
    _reauth_with_code(ui, world, serial, codes)
    ui.open_device(serial)
    ui.wait_page_text("Power production", "Token expiry")
    ui.shot("device")

    diagnostics = json.dumps(world.api("GET", f"/api/diagnostics/config_entry/{entry['entry_id']}"))
    log = world.ha_log()
    assert len(codes) == 3
    for code in codes:
        assert code not in diagnostics
        assert code not in log
    assert "login_otp_nonce=" not in log
    assert '"mfa": true' in diagnostics  # the dump is real, and knows the entry is MFA
    world.api("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")


def test_reauth_from_notification(ui: UI, world: World) -> None:
    """Credentials revoked: the UI asks to re-authenticate; new ones restore the data."""
    entry = world.add_local_entry("metered", username=INSTALLER[0], password=INSTALLER[1])
    world.poll_every(entry["entry_id"], 10)
    world.sim("/_sim/cloud/password", {"username": INSTALLER[0], "password": "changed-in-app"})
    world.sim("/_sim/envoy/metered/expire_tokens")
    # The entry logged in a moment ago: the next login waits out the minute every
    # successful login earns, then Enlighten's rejection starts the reauth.
    wait_until(world.flows, 150, "a reauth flow")
    assert len(world.flows()) == 1

    serial = world.sim("/_sim")["envoys"]["metered"]["serial"]

    # The user sees the repair on the Settings page and opens it.
    ui.page.goto(f"{world.ha_url}/config/dashboard")
    repair = ui.page.get_by_text(f"Authentication expired for Envoy {serial}")
    repair.wait_for()
    ui.page_text()
    ui.shot("settings-repair")
    repair.click()
    ui.wait_dialog_text("Enlighten rejected the stored credentials", "Username", "Password")
    ui.shot("reauth-form")

    # A wrong password first: a translated error, nothing saved.
    ui.field("username").fill(INSTALLER[0])
    ui.field("password").fill("still-the-old-one")
    ui.submit()
    ui.wait_dialog_text("The credentials or the token were rejected")
    ui.shot("reauth-error")
    ui.field("password").fill("changed-in-app")
    ui.submit()
    ui.wait_dialog_text("Re-authentication was successful")
    ui.shot("reauth-done")
    ui.dialog.get_by_role("button", name=re.compile("finish|close|ok", re.I)).first.click()

    # No restart: the entities recover.
    readings = world.sim("/_sim")["envoys"]["metered"]["readings"]
    ui.open_device(serial)
    ui.wait_page_text("Power production", _kw(readings["production_w"]))
    ui.shot("device-recovered")
    assert not world.flows()
    ui.page.goto(f"{world.ha_url}/config/integrations/dashboard")
    ui.page.get_by_text("Envoy Connect").first.wait_for()
    assert "Reconfigure" not in ui.page_text()


def test_firmware_update_live(ui: UI, world: World) -> None:
    """7 -> 8 while HA runs: the device shows the new version; no reauth; a logbook entry."""
    envoy = world.sim("/_sim")["envoys"]["metered"]
    serial = envoy["serial"]
    if not any(e["title"] == f"Envoy {serial}" for e in world.entries()):
        entry = world.add_local_entry("metered", username=OWNER[0], password=OWNER[1])
        world.poll_every(entry["entry_id"], 10)
    before = wait_until(lambda: world.device(serial), 60, "the gateway device")
    assert before["sw_version"].startswith("7.")
    ui.open_device(serial)
    ui.wait_page_text(f"Firmware: {before['sw_version']}")
    ui.shot("device-before")

    world.sim("/_sim/envoy/metered/firmware", {"firmware": "8.2.4286"})
    wait_until(
        lambda: (world.device(serial) or {}).get("sw_version") == "8.2.4286",
        90,
        "the new firmware in the device registry",
    )
    ui.page.reload()
    readings = world.sim("/_sim")["envoys"]["metered"]["readings"]
    ui.wait_page_text("Firmware: 8.2.4286", _kw(readings["production_w"]))
    ui.shot("device-after")
    assert not world.flows()

    # The update is news, not a repair: the logbook records the firmware event.
    ui.page.goto(f"{world.ha_url}/config/repairs")
    assert f"Envoy {serial}" not in ui.wait_page_text("Repairs")
    ui.page.goto(f"{world.ha_url}/logbook")
    ui.wait_page_text("Firmware update", "Firmware updated", f"Envoy {serial}")
    ui.shot("logbook")


def _approve(ui: UI, world: World, trigger: Callable[[], None]) -> None:
    """``trigger`` opens Enphase's (the simulator's) authorize page; approve there."""
    with ui.page.context.expect_page() as popup_info:
        trigger()
    popup = popup_info.value
    popup.wait_for_load_state()
    ui.wait_dialog_text("A new browser tab opens at Enphase", "Enlighten account")
    ui.shot("sign-in-step")
    assert popup.url.startswith(f"{world.sim_url}/oauth/authorize")
    assert "redirect_uri=" + f"{world.ha_url}/auth/external/callback" in popup.url
    popup.locator("#user").select_option(OWNER[0])
    popup.screenshot(path=str(ui.shots / "authorize-page.png"))
    with popup.expect_event("close", timeout=30_000):
        popup.locator("#approve").click()  # back to HA's callback, which closes the window


def _add_cloud_entry(ui: UI, world: World) -> None:
    """The whole cloud path, from the integration list to the created entry."""
    app = world.sim("/_sim")["cloud_api"]["application"]
    first_time = not world.application_credentials()
    ui.add_integration()
    ui.wait_dialog_text("Enlighten cloud")
    choose_cloud = ui.dialog.get_by_text("Enlighten cloud")
    if first_time:
        # No application credentials yet: HA asks for them before the flow goes on.
        choose_cloud.click()
        credentials = ui.page.locator("dialog-add-application-credential")
        credentials.get_by_text("Create an application at").wait_for()
        text = deep_text(credentials)
        # The redirect URL is the address the user browses (issue 15).
        assert f"{world.ha_url}/auth/external/callback" in text
        assert "developer-v4.enphase.com" in text
        ui.shot("credentials-dialog")
        credentials.locator("input[name='name']").fill("Demo application")
        credentials.locator("input[name='clientId']").fill(app["client_id"])
        credentials.locator("input[name='clientSecret']").fill(app["client_secret"])
        # HA starts the flow again, which goes straight on to Enphase's sign-in.
        _approve(ui, world, credentials.get_by_role("button", name="Add").click)
        assert world.application_credentials()
    else:
        _approve(ui, world, choose_cloud.click)

    ui.wait_dialog_text("Enlighten API key", "Watt (free)")
    ui.field("api_key").fill(app["api_key"])
    ui.shot("api-key")
    ui.submit()
    ui.wait_dialog_text("Pick a system")
    ui.dialog.get_by_text("Home (simulated)").click()
    ui.shot("system")
    ui.submit()
    ui.finish_flow()


def test_cloud_oauth(ui: UI, world: World) -> None:
    """Application credentials, the authorize page, API key, system: entities appear.

    A second system of the same account asks only for the sign-in: key and
    plan are the application's, and the system already added is not offered.
    """
    _add_cloud_entry(ui, world)
    ui.open_device("cloud_4100001")
    ui.wait_page_text("Power production", "Normal", "API requests left this month")
    ui.shot("device")
    assert "Home (simulated)" in ui.page_text()

    ui.add_integration()
    ui.wait_dialog_text("Enlighten cloud")
    _approve(ui, world, ui.dialog.get_by_text("Enlighten cloud").click)
    ui.finish_flow()
    cabin = next(e for e in world.entries() if e["title"] == "Cabin (simulated)")
    # Gone again, so the next scenario's revoked consent concerns one entry only.
    world.api("DELETE", f"/api/config/config_entries/entry/{cabin['entry_id']}")


def test_cloud_reauth_from_repair(ui: UI, world: World) -> None:
    """Consent withdrawn at Enphase: one reauth, through the same OAuth dance."""
    if not any(e["title"] == "Home (simulated)" for e in world.entries()):
        _add_cloud_entry(ui, world)
    world.sim("/_sim/api/revoke")
    world.refresh_entity("sensor.home_simulated_status")
    wait_until(world.flows, 60, "a reauth flow")
    assert len(world.flows()) == 1
    ui.page.goto(f"{world.ha_url}/config/repairs")
    repair = ui.page.get_by_text("Authentication expired for Home (simulated)")
    repair.wait_for()
    ui.shot("repair")
    repair.click()
    ui.wait_dialog_text("Enlighten no longer accepts the authorization for Home (simulated)")
    ui.shot("reauth")
    _approve(ui, world, ui.submit)
    ui.wait_dialog_text("Re-authentication was successful")
    ui.shot("reauth-done")
    assert not world.flows()
    wait_until(lambda: world.state("sensor.home_simulated_status") == "normal", 60, "data again")


def _configure_energy(
    ui: UI, button: str, title: str, device: str, picks: list[tuple[str, str]]
) -> None:
    """One of the Energy configuration dialogs: pick our statistics (of ``device``), save."""
    ui.page.get_by_role("button", name=button).click()
    dialog = ui.page.locator("ha-wa-dialog, ha-dialog, ha-md-dialog").filter(has_text=title)
    dialog.get_by_text("Select a statistic").first.wait_for()
    for _field, sensor in picks:
        dialog.get_by_text("Select a statistic").first.click()
        search = ui.page.get_by_placeholder("Search")
        search.wait_for()
        search.fill(f"{device} {sensor}")  # other gateways have sensors of the same name
        ui.page.locator("ha-picker-combo-box").get_by_text(sensor, exact=True).first.click()
        search.wait_for(state="hidden")
    ui.shot(title.lower().replace(" ", "-"))
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden", timeout=15_000)


def test_energy_dashboard_takes_our_sensors(ui: UI, world: World) -> None:
    """Battery, solar and grid dialogs of the Energy configuration save with our sensors."""
    envoy = world.sim("/_sim")["envoys"]["battery"]
    if not world.device(envoy["serial"]):
        world.add_local_entry("battery", username=OWNER[0], password=OWNER[1])
    ui.page.goto(f"{world.ha_url}/config/energy")
    ui.wait_page_text("Home battery storage", "Add battery system")
    _configure_energy(
        ui,
        "Add battery system",
        "Configure battery system",
        f"Envoy {envoy['serial']}",
        [
            ("from", "Battery discharged (calculated)"),
            ("to", "Battery charged (calculated)"),
        ],
    )
    _configure_energy(
        ui,
        "Add solar production",
        "Configure solar panels",
        f"Envoy {envoy['serial']}",
        [("production", "Lifetime production")],
    )
    _configure_energy(
        ui,
        "Add grid connection",
        "Configure grid connection",
        f"Envoy {envoy['serial']}",
        [("import", "Lifetime grid import"), ("export", "Lifetime grid export")],
    )
    text = ui.wait_page_text(
        "Battery discharged (calculated)",
        "Lifetime production",
        "Lifetime grid import",
    )
    assert "Lifetime grid export" in text
    ui.page.wait_for_timeout(1000)  # the dialog's closing animation
    ui.shot("energy-configured")
    prefs = world.energy_prefs()
    sources = {s["type"]: s for s in prefs["energy_sources"]}
    serial = envoy["serial"]
    assert sources["battery"]["stat_energy_from"].endswith(
        f"{serial}_battery_discharged_calculated"
    )
    assert sources["battery"]["stat_energy_to"].endswith(f"{serial}_battery_charged_calculated")
    assert sources["solar"]["stat_energy_from"].endswith(f"{serial}_lifetime_production")
    grid = json.dumps(sources["grid"])
    assert f"{serial}_lifetime_grid_import" in grid
    assert f"{serial}_lifetime_grid_export" in grid


def _translated(language: str) -> dict[str, Any]:
    """Our texts in ``language``, as the integration ships them."""
    path = ROOT / "custom_components" / "envoy_connect" / "translations" / f"{language}.json"
    return dict(json.loads(path.read_text()))


def test_german_owner(ui: UI, world: World) -> None:
    """In German: the menu, the form and an error in German, and no raw keys anywhere."""
    de = _translated("de")
    step = de["config"]["step"]
    ui.page.evaluate("localStorage.setItem('selectedLanguage', JSON.stringify('de'))")
    ui.page.goto(f"{world.ha_url}/config/integrations/dashboard/add?domain=envoy_connect")
    ui.page.get_by_text("Envoy Connect for Enphase einrichten").wait_for()  # HA's own question
    ui.shot("confirm")
    ui.page.get_by_role("button", name="OK").click()
    ui.wait_dialog_text(step["user"]["menu_options"]["local"], step["user"]["title"])
    ui.shot("menu")
    ui.dialog.get_by_text(step["user"]["menu_options"]["local"]).click()
    ui.wait_dialog_text(step["local"]["title"], step["local"]["data"]["username"])
    ui.field("host").fill("http://envoy.local/home")
    ui.field("host").press("Enter")
    ui.wait_dialog_text(de["config"]["error"]["invalid_host"])
    ui.shot("form-error")
    ui.page.keyboard.press("Escape")

    envoy = world.sim("/_sim")["envoys"]["battery"]
    if not world.device(envoy["serial"]):
        world.add_local_entry("battery", username=OWNER[0], password=OWNER[1])
    # Entity names follow HA's server language, as for every integration: a German
    # household's HA speaks German (set at onboarding from the browser's language).
    world.set_language("de")
    try:
        ui.open_device(envoy["serial"])
        production = de["entity"]["sensor"]["current_power_production"]["name"]
        ui.wait_page_text("Geräte-Informationen", production)
        ui.shot("device")
    finally:
        world.set_language("en")
