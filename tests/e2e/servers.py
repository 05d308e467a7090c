"""The processes the E2E tier drives: the simulator and a real Home Assistant.

Both run as subprocesses on free loopback ports, so what the browser sees is
what a user sees: Home Assistant's own HTTP server, frontend and config flows.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
USER = ("e2e", "E2E user", "e2e-password-123")

CONFIGURATION = """\
# Written by tests/e2e: only what the UI needs. No default_config and no `my:`,
# so OAuth redirects go to this server's /auth/external/callback.
homeassistant:
  name: Envoy Connect E2E
  unit_system: metric
  time_zone: UTC
  country: NL
  language: en
frontend:
config:
application_credentials:
repairs:
logbook:
energy:
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.envoy_connect: debug
"""


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(size: int) -> int:
    """First of ``size`` consecutive free ports (the simulator uses base .. base+3)."""
    for _ in range(200):
        base = free_port()
        if base + size < 65_000 and all(_port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no block of free ports")


def _http(
    method: str, url: str, body: Any = None, token: str | None = None, form: bool = False
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        if form:
            data = "&".join(f"{k}={v}" for k, v in body.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback only
        text = resp.read().decode()
    return json.loads(text) if text else None


def _run[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end in its own thread.

    Playwright's sync API keeps an event loop running in the test's thread.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _wait(url: str, timeout: float, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited; see {log}")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310
        except urllib.error.URLError, OSError:
            time.sleep(0.3)
        else:
            return
    raise TimeoutError(f"{url} did not answer within {timeout} s; see {log}")


def _write_http_settings(storage: Path, port: int) -> None:
    """Where HA listens, in the store HA 2026.10 keeps it in (``http:`` in YAML is deprecated,
    and would put an unrelated repair on every screenshot): loopback only, this port."""
    with warnings.catch_warnings():  # HA's own web.Application subclass, not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA

    stable = {
        **HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port}),
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    data = {"stable": stable, "pending": None, "yaml_migration_done": True}
    (storage / "http").write_text(
        json.dumps({"version": 2, "minor_version": 2, "key": "http", "data": data})
    )


@dataclass
class World:
    """A running simulator and Home Assistant, and how to talk to both."""

    workdir: Path
    sim_base: int = 0
    ha_port: int = 0
    token: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sim_url(self) -> str:
        """Fake Enlighten, OAuth server and control API."""
        return f"http://127.0.0.1:{self.sim_base}"

    @property
    def ha_url(self) -> str:
        """Home Assistant's frontend and API."""
        return f"http://127.0.0.1:{self.ha_port}"

    def gateway(self, profile: str) -> str:
        """host:port of a simulated gateway."""
        offset = {"legacy": 1, "metered": 2, "battery": 3}[profile]
        return f"127.0.0.1:{self.sim_base + offset}"

    def sim(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Use the simulator's control API."""
        if (body is None and not path.startswith("/_sim/")) or path == "/_sim":
            return _http("GET", f"{self.sim_url}{path}")
        return _http("POST", f"{self.sim_url}{path}", body or {})

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Home Assistant's REST API as the E2E user."""
        return _http(method, f"{self.ha_url}{path}", body, self.token)

    def device_id(self, identifier: str) -> str | None:
        """Registry id of our device with this identifier (serial or cloud_<id>)."""
        devices = _run(self.websocket({"type": "config/device_registry/list"}))
        for device in devices:
            if ["envoy_connect", identifier] in device["identifiers"]:
                return str(device["id"])
        return None

    def device(self, identifier: str) -> dict[str, Any] | None:
        """Registry entry of our device with this identifier."""
        devices = _run(self.websocket({"type": "config/device_registry/list"}))
        return next((d for d in devices if ["envoy_connect", identifier] in d["identifiers"]), None)

    def state(self, entity_id: str) -> str | None:
        """An entity's state through the REST API."""
        try:
            return str(self.api("GET", f"/api/states/{entity_id}")["state"])
        except urllib.error.HTTPError:
            return None

    def refresh_entity(self, entity_id: str) -> None:
        """Ask HA to update an entity now (its coordinator polls at once)."""
        self.api("POST", "/api/services/homeassistant/update_entity", {"entity_id": entity_id})

    def application_credentials(self) -> list[dict[str, Any]]:
        """Application credentials stored in HA (for any integration)."""
        return list(_run(self.websocket({"type": "application_credentials/list"})))

    def flows(self) -> list[dict[str, Any]]:
        """Config flows in progress for Envoy Connect (reauth included)."""
        flows = _run(self.websocket({"type": "config_entries/flow/progress"}))
        return [f for f in flows if f["handler"] == "envoy_connect"]

    def energy_prefs(self) -> dict[str, Any]:
        """What the Energy dashboard was configured with."""
        return dict(_run(self.websocket({"type": "energy/get_prefs"})))

    def set_language(self, language: str) -> None:
        """HA's server language, which entity names follow; our entries reload to use it."""
        _run(self.websocket({"type": "config/core/update", "language": language}))
        for entry in self.entries():
            self.api("POST", f"/api/config/config_entries/entry/{entry['entry_id']}/reload")

    def entries(self) -> list[dict[str, Any]]:
        """Envoy Connect's config entries."""
        return list(self.api("GET", "/api/config/config_entries/entry?domain=envoy_connect"))

    def add_local_entry(self, profile: str, **credentials: str) -> dict[str, Any]:
        """Add a gateway through the REST flow API (the UI path has its own scenarios)."""
        flow = self.api("POST", "/api/config/config_entries/flow", {"handler": "envoy_connect"})
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        self.api("POST", path, {"next_step_id": "local"})
        result = self.api("POST", path, {"host": self.gateway(profile), **credentials})
        if result.get("type") != "create_entry":
            raise RuntimeError(f"adding {profile} failed: {result}")
        return dict(result["result"])

    def entity_ids(self, entry_id: str) -> list[str]:
        """The entities of an entry, from the entity registry."""
        entities = _run(self.websocket({"type": "config/entity_registry/list"}))
        return [e["entity_id"] for e in entities if e["config_entry_id"] == entry_id]

    def poll_every(self, entry_id: str, seconds: int) -> None:
        """Poll faster the way the README tells users: an automation calling update_entity."""
        entity_id = next(e for e in self.entity_ids(entry_id) if e.startswith("sensor."))
        automation = {
            "alias": f"Poll {entry_id} every {seconds} s",
            "triggers": [{"trigger": "time_pattern", "seconds": f"/{seconds}"}],
            "actions": [
                {"action": "homeassistant.update_entity", "target": {"entity_id": entity_id}}
            ],
        }
        self.api("POST", f"/api/config/automation/config/poll_{entry_id}", automation)

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        """Start both processes and onboard Home Assistant's owner."""
        self.sim_base = free_port_block(4)
        self.ha_port = free_port()
        env = {**os.environ, "ENVOY_CONNECT_DEV_CLOUD_URL": self.sim_url}
        sim_log = self.workdir / "simulator.log"
        sim = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "simulator", "--base-port", str(self.sim_base), "--steady"],
            cwd=ROOT,
            stdout=sim_log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(sim)
        _wait(f"{self.sim_url}/_sim", 30, sim, sim_log)

        config = self.workdir / "config"
        (config / "custom_components").mkdir(parents=True)
        (config / "custom_components" / "envoy_connect").symlink_to(
            ROOT / "custom_components" / "envoy_connect"
        )
        (config / "configuration.yaml").write_text(CONFIGURATION)
        (config / "automations.yaml").write_text("[]\n")
        # Only the owner is left to create: the core_config step would add
        # HA's default integrations (radio browser, TTS...), which go online.
        (config / ".storage").mkdir()
        _write_http_settings(config / ".storage", self.ha_port)
        (config / ".storage" / "onboarding").write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            )
        )
        ha_log = self.workdir / "home-assistant.out"
        hass = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
            cwd=ROOT,
            env=env,
            stdout=ha_log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(hass)
        _wait(f"{self.ha_url}/api/onboarding", 180, hass, ha_log)
        self._onboard()

    def _onboard(self) -> None:
        """Create the owner and finish onboarding, so the UI shows its login page."""
        client_id = f"{self.ha_url}/"
        name, display, password = USER
        created = _http(
            "POST",
            f"{self.ha_url}/api/onboarding/users",
            {
                "client_id": client_id,
                "name": display,
                "username": name,
                "password": password,
                "language": "en",
            },
        )
        tokens = _http(
            "POST",
            f"{self.ha_url}/auth/token",
            {
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            },
            form=True,
        )
        self.token = tokens["access_token"]

    async def websocket(self, message: dict[str, Any]) -> Any:
        """One websocket command as the E2E user; returns its result."""
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.ha_url}/api/websocket") as ws,
        ):
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("websocket authentication failed")
            await ws.send_json({"id": 1, **message})
            answer = await ws.receive_json()
            if not answer.get("success"):
                raise RuntimeError(f"{message['type']}: {answer.get('error')}")
            return answer.get("result")

    def stop(self) -> None:
        """Stop Home Assistant first (it may still poll the simulator), then the simulator."""
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def ha_log(self) -> str:
        """Everything Home Assistant has logged so far (console and log file)."""
        return "".join(
            (self.workdir / name).read_text(errors="replace")
            for name in ("home-assistant.out", "config/home-assistant.log")
            if (self.workdir / name).exists()
        )

    def keep_logs(self, target: Path) -> None:
        """Copy the logs next to the screenshots."""
        target.mkdir(parents=True, exist_ok=True)
        for name in ("simulator.log", "home-assistant.out", "config/home-assistant.log"):
            if (self.workdir / name).exists():
                shutil.copy(self.workdir / name, target / Path(name).name)
