"""E2E fixtures: the simulator and Home Assistant as processes, Chromium through Playwright.

This tier runs without the pytest-homeassistant-custom-component plugin (see
scripts/test): nothing is mocked, sockets are real, and only loopback is used.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, sync_playwright

from .servers import USER, World

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"

#: A translation key shown instead of text ("config.step.user.data.host",
#: "component.envoy_connect..."), an unresolved "[%key:...%]" reference, or the
#: frontend's error for a translation whose placeholder was not provided.
RAW_KEY = re.compile(
    r"\b(?:component|config|options|issues|entity|exceptions|selector|state)"
    r"\.[a-z0-9_]+\.[a-z0-9_.]+|envoy_connect\.[a-z_]+|\[%key:|formatjs Error|MISSING_VALUE"
)

#: Text of an element including its shadow trees, plus the labels, hints and
#: placeholders that live in attributes.
_DEEP_TEXT = """(root) => {
  const out = [];
  const attrs = ['label', 'placeholder', 'aria-label', 'title', 'hint', 'helper'];
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {
      if (child.nodeType === 3) out.push(child.textContent);
      else if (child.nodeType === 1 && !['STYLE', 'SCRIPT'].includes(child.tagName)) {
        for (const a of attrs) { const v = child.getAttribute(a); if (v) out.push(v); }
        walk(child);
      }
    }
  };
  walk(root);
  return out.join(' ').replace(/\\s+/g, ' ');
}"""


def deep_text(locator: Locator) -> str:
    """Everything a user can read in ``locator``, shadow DOM included; no raw keys allowed."""
    text = str(locator.evaluate(_DEEP_TEXT))
    raw = RAW_KEY.findall(text)
    assert not raw, f"untranslated keys shown: {raw}"
    return text


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One simulator and one Home Assistant for the whole tier."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    world = World(tmp_path_factory.mktemp("e2e"))
    try:
        world.start()
        yield world
    finally:
        world.stop()
        world.keep_logs(ARTIFACTS / "logs")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; Playwright's own download does not work here."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class UI:
    """What a user does in Home Assistant's frontend, one method per gesture."""

    def __init__(self, page: Page, world: World, scenario: str) -> None:
        """Screenshots go to artifacts/<scenario>/."""
        self.page = page
        self.world = world
        self.shots = ARTIFACTS / scenario
        self.shots.mkdir(parents=True, exist_ok=True)
        self._count = 0

    def shot(self, name: str) -> None:
        """Save a PNG of what the user sees now, once HA's start-up splash has faded."""
        self._count += 1
        self.page.locator("#ha-launch-screen").wait_for(state="detached", timeout=30_000)
        self.page.screenshot(path=str(self.shots / f"{self._count:02d}-{name}.png"))

    def login(self) -> None:
        """The login form, as the user fills it."""
        self.page.goto(self.world.ha_url)
        self.page.get_by_label("Username").fill(USER[0])
        self.page.get_by_label("Password", exact=True).fill(USER[2])
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(re.compile(r"^(?!.*auth/authorize).*$"), timeout=30_000)
        self.page.locator("home-assistant-main").wait_for(timeout=30_000)

    # -- config flow dialog ---------------------------------------------------
    @property
    def dialog(self) -> Locator:
        """The config flow dialog."""
        return self.page.locator("dialog-data-entry-flow")

    def dialog_text(self) -> str:
        """What the dialog shows, checked for raw translation keys on every read."""
        return deep_text(self.dialog)

    def wait_dialog_text(self, *texts: str, timeout: float = 30) -> str:
        """Wait until the dialog shows every one of ``texts`` (forms render in parts)."""

        def shown() -> str | None:
            current = self.dialog_text()
            return current if all(text in current for text in texts) else None

        return str(wait_until(shown, timeout, f"dialog text {texts!r}"))

    def field(self, name: str) -> Locator:
        """An input of the dialog's form, by its schema key."""
        return self.dialog.locator(f"input[name='{name}']")

    def submit(self) -> None:
        """The dialog's Submit button."""
        self.dialog.get_by_role("button", name="Submit").click()

    def add_integration(
        self, search: str = "Enphase", name: str = "Envoy Connect for Enphase"
    ) -> None:
        """Settings -> Devices & services -> Add integration -> search -> pick.

        An owner searches for the brand: "Enphase" must find us (issue 15).
        """
        self.page.goto(self.world.ha_url)
        self.page.get_by_role("link", name="Settings").first.click()
        self.page.get_by_text("Devices & services", exact=True).click()
        self.page.wait_for_url(re.compile(r".*/config/integrations.*"))
        self.page.get_by_role("button", name=re.compile("Add integration", re.I)).click()
        self.page.get_by_placeholder("Search for a brand name").fill(search)
        self.shot("search")
        self.page.get_by_role("button", name=name, exact=True).click()

    def finish_flow(self) -> None:
        """Close the "Name and assign" step that follows a created entry."""
        self.wait_dialog_text("is set up")
        self.shot("created")
        self.dialog.get_by_role("button", name=re.compile("finish", re.I)).click()
        self.dialog.wait_for(state="hidden", timeout=15_000)

    # -- pages -------------------------------------------------------------
    def open_device(self, identifier: str) -> str:
        """The device page of our device with this identifier; returns its text."""
        device_id = wait_until(lambda: self.world.device_id(identifier), 60, f"device {identifier}")
        self.page.goto(f"{self.world.ha_url}/config/devices/device/{device_id}")
        self.page.locator("ha-config-device-page").wait_for(timeout=30_000)
        return self.page_text()

    def page_text(self) -> str:
        """Everything on the page, shadow DOM included; raw keys fail the test."""
        return deep_text(self.page.locator("body"))

    def wait_page_text(self, *texts: str, timeout: float = 60) -> str:
        """Wait until the page shows every one of ``texts``."""

        def shown() -> str | None:
            current = self.page_text()
            return current if all(x in current for x in texts) else None

        return str(wait_until(shown, timeout, f"page text {texts!r}"))


@pytest.fixture
def ui(browser: Browser, world: World, request: pytest.FixtureRequest) -> Iterator[UI]:
    """A fresh, logged-in browser context per scenario."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    scenario = request.node.name.removeprefix("test_")
    ui = UI(page, world, scenario)
    ui.login()
    yield ui
    if getattr(request.node, "rep_call_failed", False):
        ui.shot("failure")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember a failed call, so the ui fixture can take a last screenshot."""
    report = yield
    if report.when == "call" and report.failed:
        item.rep_call_failed = True  # type: ignore[attr-defined]
    return report
