"""Runs the fake cloud and one gateway per profile, plus an HTTP control API.

Used by the pytest fixtures (in-process, on free loopback ports) and by
``python -m simulator`` for ``scripts/develop``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from .enlighten import CloudMode, EnlightenAccount, EnlightenSimulator
from .enphase_api import (
    PLANS,
    WATT_ACCESS,
    ApiApplication,
    ApiUser,
    CloudSystem,
    EnphaseApiSimulator,
    describe_app,
)
from .envoy import EnvoySimulator, NetworkMode, legacy_passwords
from .profiles import PROFILES
from .replay import CAPTURES_DIR, ReplayEnvoy, capture_names

DEMO_OWNER = ("owner@example.com", "demo-owner-password")
DEMO_INSTALLER = ("installer@example.com", "demo-installer-password")
DEMO_MFA = ("mfa@example.com", "demo-mfa-password")

#: The simulator's own demo application on the fake developer portal (Watt plan).
DEMO_APP = ApiApplication(
    client_id="envoy-connect-demo",
    client_secret="demo-client-secret",
    api_key="demo-api-key-0123456789",
    plan=PLANS["watt"],
)
#: Cloud systems of the demo owner (two: the flow asks which) and of a neighbour (one).
DEMO_SYSTEMS = (
    CloudSystem(4_100_001, "Home (simulated)", consumption=True, battery=True, modules=24),
    CloudSystem(4_100_002, "Cabin (simulated)", modules=8, size_w=2_400),
)
NEIGHBOUR_SYSTEM = CloudSystem(4_200_001, "Neighbour (simulated)", modules=12, size_w=4_200)


#: Control actions only a replay gateway has.
_REPLAY_ACTIONS = {"refuse_writes", "accept_writes", "writes", "clear_writes", "reset_state"}


class SimulatorHarness:
    """The whole simulated world: Enlighten plus the requested gateways."""

    def __init__(
        self,
        profiles: list[str] | None = None,
        host: str = "127.0.0.1",
        captures: list[str] | None = None,
        captures_dir: Path = CAPTURES_DIR,
    ) -> None:
        """Prepare (not start) the cloud, one gateway per profile and one per capture.

        ``profiles`` names synthetic profiles (None: all of them, ``[]``: none). ``captures``
        names capture folders in ``captures_dir`` to replay (``["all"]``: every one), each
        registered in ``envoys`` under its folder name.
        """
        self.host = host
        self.cloud = EnlightenSimulator()
        self.envoys: dict[str, EnvoySimulator] = {
            name: EnvoySimulator(
                PROFILES[name], self.cloud.public_key, host, lambda: self.cloud.issued_tokens
            )
            for name in (list(PROFILES) if profiles is None else profiles)
        }
        if captures == ["all"]:
            captures = capture_names(captures_dir)
        for name in captures or []:
            if name in self.envoys:
                raise ValueError(f"capture {name!r} clashes with a profile of that name")
            self.envoys[name] = ReplayEnvoy(
                name, self.cloud.public_key, host, lambda: self.cloud.issued_tokens, captures_dir
            )
        serials = {envoy.profile.serial for envoy in self.envoys.values()}
        self.cloud.add_account(EnlightenAccount(*DEMO_OWNER, kind="owner", serials=set(serials)))
        self.cloud.add_account(
            EnlightenAccount(*DEMO_INSTALLER, kind="installer", serials=set(serials))
        )
        self.cloud.add_account(EnlightenAccount(*DEMO_MFA, serials=set(serials), mfa=True))
        self.api = EnphaseApiSimulator()
        # A copy: tests change the plan without touching the module constant.
        self.api.add_app(replace(DEMO_APP))
        self.api.add_user(ApiUser(1001, DEMO_OWNER[0], list(DEMO_SYSTEMS)))
        self.api.add_user(ApiUser(2002, "neighbour@example.com", [NEIGHBOUR_SYSTEM]))
        self._runner: web.AppRunner | None = None
        self.cloud_port = 0

    @property
    def cloud_url(self) -> str:
        """Base URL standing in for both enlighten.enphaseenergy.com and entrez."""
        return f"http://{self.host}:{self.cloud_port}"

    async def start(self, cloud_port: int = 0, envoy_ports: dict[str, int] | None = None) -> None:
        """Start listening; ports default to free ones."""
        app = self.cloud.build_app()
        self.api.add_routes(app)
        self._add_control_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, cloud_port, reuse_address=True)
        await site.start()
        server = site._server  # noqa: SLF001 - only way to learn the bound port
        assert server is not None
        assert server.sockets
        self.cloud_port = server.sockets[0].getsockname()[1]
        for name, envoy in self.envoys.items():
            await envoy.start((envoy_ports or {}).get(name, 0))

    async def stop(self) -> None:
        """Stop every listener."""
        for envoy in self.envoys.values():
            await envoy.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def describe(self) -> dict[str, Any]:
        """Addresses and demo credentials, for humans and for the control API."""
        return {
            "cloud_url": self.cloud_url,
            "accounts": {
                "owner": {"username": DEMO_OWNER[0], "password": DEMO_OWNER[1]},
                "installer": {"username": DEMO_INSTALLER[0], "password": DEMO_INSTALLER[1]},
                "mfa": {"username": DEMO_MFA[0], "password": DEMO_MFA[1]},
            },
            "envoys": {name: self._describe_envoy(envoy) for name, envoy in self.envoys.items()},
            "cloud_api": {
                "authorize_url": f"{self.cloud_url}/oauth/authorize",
                "token_url": f"{self.cloud_url}/oauth/token",
                "application": describe_app(next(iter(self.api.apps.values()))),
                "mode": self.api.mode.value,
                "month_requests": {c: self.api.month_count(c) for c in self.api.apps},
            },
            "cloud_mode": self.cloud.mode.value,
            "requests": {
                "cloud": dict(self.cloud.requests),
                "cloud_api": dict(self.api.requests),
                **{name: dict(envoy.requests) for name, envoy in self.envoys.items()},
            },
        }

    @staticmethod
    def _describe_envoy(envoy: EnvoySimulator) -> dict[str, Any]:
        described: dict[str, Any] = {
            "host": envoy.address,
            "serial": envoy.profile.serial,
            "firmware": envoy.profile.firmware,
            "scheme": envoy.scheme,
            "mode": envoy.mode.value,
        }
        if isinstance(envoy, ReplayEnvoy):
            described["replay"] = {
                "capture": envoy.capture.name,
                "recorded_firmware": envoy.capture.firmware,
                "writes": len(envoy.writes),
                "refused_writes": {
                    path: {"status": refusal.status, "remaining": refusal.remaining}
                    for path, refusal in envoy.refusals.items()
                },
            }
        else:
            described["readings"] = {
                "production_w": envoy.readings.production_w,
                "battery_soc": envoy.readings.battery_soc,
                "inverters": len(envoy.readings.inverter_watts),
            }
        described["local_accounts"] = (
            {} if envoy.profile.uses_token_auth else legacy_passwords(envoy.profile.serial)
        )
        return described

    # -- HTTP control API ---------------------------------------------------------
    def _add_control_routes(self, app: web.Application) -> None:
        app.router.add_get("/_sim", self._state)
        app.router.add_post("/_sim/envoy/{name}/{action}", self._envoy_action)
        app.router.add_post("/_sim/cloud/{action}", self._cloud_action)
        app.router.add_post("/_sim/api/{action}", self._api_action)

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.describe(), dumps=lambda o: json.dumps(o, indent=2))

    async def _envoy_action(self, request: web.Request) -> web.Response:
        envoy = self.envoys.get(request.match_info["name"])
        if envoy is None:
            raise web.HTTPNotFound(text="unknown profile")
        body = await request.json() if request.can_read_body else {}
        action = request.match_info["action"]
        if action in _REPLAY_ACTIONS:
            if not isinstance(envoy, ReplayEnvoy):
                raise web.HTTPBadRequest(text="not a replay gateway")
            return self._replay_action(envoy, action, body) or await self._state(request)
        await _ENVOY_ACTIONS.get(action, _unknown)(envoy, body)
        return await self._state(request)

    @staticmethod
    def _replay_action(
        envoy: ReplayEnvoy, action: str, body: dict[str, Any]
    ) -> web.Response | None:
        """Write-side controls of a replay gateway; a response, or None for the state."""
        match action:
            case "refuse_writes":
                times = body.get("times")
                envoy.refuse_writes(
                    str(body["path"]),
                    int(body.get("status", 401)),
                    None if times is None else int(times),
                )
            case "accept_writes":
                envoy.accept_writes(body.get("path"))
            case "writes":
                return web.json_response({"writes": [w.as_dict() for w in envoy.writes]})
            case "clear_writes":
                envoy.clear_writes()
            case "reset_state":
                envoy.reset_state()
        return None

    async def _cloud_action(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        match request.match_info["action"]:
            case "mode":
                self.cloud.mode = CloudMode(body["mode"])
            case "password":
                self.cloud.change_password(str(body["username"]), str(body["password"]))
            case "token_lifetime":
                lifetime = body.get("seconds")
                self.cloud.token_lifetime = int(lifetime) if lifetime else None
            case "reset_counts":
                self.cloud.reset_counts()
            case "mfa_code":
                # The one-time code Enphase "emailed" to an account (tests, scripts/develop).
                email = str(body.get("username", DEMO_MFA[0]))
                return web.json_response({"code": self.cloud.sent_codes.get(email)})
            case "mfa":
                self.cloud.accounts[str(body["username"])].mfa = bool(body.get("on", True))
            case _:
                raise web.HTTPNotFound(text="unknown action")
        return await self._state(request)

    async def _api_action(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        match request.match_info["action"]:
            case "mode":
                self.api.mode = CloudMode(body["mode"])
            case "revoke":
                self.api.revoke_tokens()
            case "expire":
                self.api.expire_access_tokens()
            case "exhaust":
                self.api.exhaust_month()
            case "plan":
                self.api.set_plan(str(body.get("client_id", DEMO_APP.client_id)), str(body["plan"]))
            case "access":
                app = self.api.apps[str(body.get("client_id", DEMO_APP.client_id))]
                app.access = frozenset(str(a) for a in body.get("access", WATT_ACCESS))
                app.refusal = 403 if int(body.get("status", 401)) == 403 else 401
            case "reset_counts":
                self.api.reset_counts()
            case _:
                raise web.HTTPNotFound(text="unknown action")
        return await self._state(request)


# -- actions of /_sim/envoy/{name}/{action} -----------------------------------------------
async def _unknown(_envoy: EnvoySimulator, _body: dict[str, Any]) -> None:
    raise web.HTTPNotFound(text="unknown action")


async def _firmware(envoy: EnvoySimulator, body: dict[str, Any]) -> None:
    hardware = {k: body[k] for k in ("battery_count", "enpower", "metered") if k in body}
    try:
        await envoy.set_firmware(str(body["firmware"]), **hardware)
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from err


async def _flood(envoy: EnvoySimulator, body: dict[str, Any]) -> None:
    size = body.get("bytes")
    envoy.flood(
        str(body["path"]), int(size) if size is not None else None, gzip=bool(body.get("gzip"))
    )


async def _override(envoy: EnvoySimulator, body: dict[str, Any]) -> None:
    if body.get("body") is None:
        envoy.overrides.pop(str(body["path"]), None)
    else:
        envoy.override(str(body["path"]), str(body["body"]))


async def _fail(envoy: EnvoySimulator, body: dict[str, Any]) -> None:
    envoy.fail(str(body["path"]), int(body["status"]), int(body.get("times", 1)))


def _now(
    action: Callable[[EnvoySimulator], object],
) -> Callable[[EnvoySimulator, dict[str, Any]], Awaitable[None]]:
    async def run(envoy: EnvoySimulator, _body: dict[str, Any]) -> None:
        action(envoy)

    return run


_ENVOY_ACTIONS: dict[str, Callable[[EnvoySimulator, dict[str, Any]], Awaitable[None]]] = {
    "firmware": _firmware,
    "mode": lambda e, b: e.set_mode(NetworkMode(b["mode"])),
    "reboot": lambda e, _: e.reboot(),
    "renew_certificate": lambda e, _: e.renew_certificate(),
    "drop_sessions": _now(EnvoySimulator.drop_sessions),
    "expire_tokens": _now(EnvoySimulator.expire_tokens),
    "reset_counts": _now(EnvoySimulator.reset_counts),
    "fail": _fail,
    "flood": _flood,
    "override": _override,
}
