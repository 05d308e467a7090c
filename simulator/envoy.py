"""A fake Envoy / IQ Gateway.

Firmware < 7 answers over HTTP with digest auth (``envoy``/``installer``
accounts with serial-derived passwords). Firmware >= 7 answers over HTTPS with
a self-signed certificate and wants an Enlighten JWT, validated once through
``/auth/check_jwt`` per boot: a reboot (or ``drop_sessions``) forgets which
tokens were validated, exactly the situation the integration must recover from.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from envoy_utils.envoy_utils import EnvoyUtils

from .digest import DigestVerifier
from .profiles import Profile
from .readings import Readings
from .tls import self_signed_server_context

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_COOKIE = "sessionId"


class NetworkMode(StrEnum):
    """How the gateway behaves on the network."""

    ONLINE = "online"
    OFFLINE = "offline"  # nothing listens: connections are refused
    UNAVAILABLE = "unavailable"  # answers 503, as while booting
    TIMEOUT = "timeout"  # accepts but never answers


def legacy_passwords(serial: str) -> dict[str, str]:
    """The local accounts of firmware < 7, derived from the serial as pyenphase does."""
    return {
        "envoy": serial[-6:],
        "installer": EnvoyUtils.get_password(serial, "installer"),
    }


class EnvoySimulator:
    """State, HTTP app and listener of one simulated gateway."""

    def __init__(
        self,
        profile: Profile,
        token_key: EllipticCurvePublicKey,
        host: str = "127.0.0.1",
        issued_tokens: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        """Create a gateway that trusts tokens signed by ``token_key``.

        ``issued_tokens`` lists every token the cloud has signed so far, so
        ``expire_tokens`` can retire exactly those, whatever the clock says.
        """
        self.profile = profile
        self.readings = Readings.for_profile(profile)
        self.mode = NetworkMode.ONLINE
        self.requests: Counter[str] = Counter()
        self.boot_count = 0
        self._token_key = token_key
        self._host = host
        self._port = 0
        self._digest = DigestVerifier()
        self._validated_tokens: set[str] = set()
        self._sessions: dict[str, str] = {}  # cookie -> token
        self._revoked: set[str] = set()
        #: Answers queued for a path ahead of the real handler, e.g. a 503 on check_jwt.
        self.faults: dict[str, list[int]] = {}
        #: Paths answered with endless (None) or huge bodies, and the bytes sent so far.
        self.floods: dict[str, int | None] = {}
        #: Flooded paths whose stream is gzip-encoded: ``flooded`` counts inflated bytes.
        self.gzip_floods: set[str] = set()
        self.overrides: dict[str, str] = {}
        self.flooded = 0
        #: Set to release the requests a TIMEOUT gateway holds.
        self._hung = asyncio.Event()
        self._issued_tokens = issued_tokens
        self._ssl = self_signed_server_context() if profile.uses_token_auth else None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # -- lifecycle ------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port, stable across reboots."""
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` as a user would type it into the config flow."""
        return f"{self._host}:{self._port}"

    @property
    def scheme(self) -> str:
        """``https`` from firmware 7 on, ``http`` before."""
        return "https" if self.profile.uses_token_auth else "http"

    async def start(self, port: int = 0) -> None:
        """Start listening (on a free port unless one is given)."""
        self._runner = web.AppRunner(self._build_app(), access_log=None)
        await self._runner.setup()
        await self._listen(port)

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        if self._ssl is None and self.profile.uses_token_auth:
            self._ssl = self_signed_server_context()
        ssl_context = self._ssl if self.profile.uses_token_auth else None
        self._site = web.TCPSite(
            self._runner, self._host, port, ssl_context=ssl_context, reuse_address=True
        )
        await self._site.start()
        server = self._site._server  # noqa: SLF001 - only way to learn the bound port
        assert server is not None
        assert server.sockets
        self._port = server.sockets[0].getsockname()[1]
        self.boot_count += 1

    async def _unlisten(self) -> None:
        """Stop listening and drop open connections, as a gateway that goes away does."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for connection in self._runner.server.connections:
                connection.force_close()

    async def stop(self) -> None:
        """Stop the listener and the app."""
        self._release_hung()
        await self._unlisten()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- control --------------------------------------------------------------
    def _release_hung(self) -> None:
        self._hung.set()
        self._hung = asyncio.Event()

    async def set_mode(self, mode: NetworkMode) -> None:
        """Go offline, answer 503, hang, or come back online."""
        if mode is not NetworkMode.TIMEOUT:
            self._release_hung()
        if mode is NetworkMode.OFFLINE and self._site is not None:
            await self._unlisten()
        elif mode is not NetworkMode.OFFLINE and self._site is None and self._runner:
            await self._listen(self._port)
        self.mode = mode

    async def reboot(self) -> None:
        """Restart the gateway: validated tokens, sessions and nonces are lost."""
        await self._unlisten()
        self.drop_sessions()
        self._digest.forget_nonces()
        if self.mode is not NetworkMode.OFFLINE:
            await self._listen(self._port)

    async def renew_certificate(self) -> None:
        """Serve a new self-signed certificate with a new key (a restart, as the real one needs)."""
        if self.profile.uses_token_auth:
            self._ssl = self_signed_server_context()
        await self.reboot()

    def flood(self, path: str, size: int | None, *, gzip: bool = False) -> None:
        """Answer ``path`` with ``size`` bytes of JSON-looking data (None: without end).

        A hostile or broken peer; ``flooded`` counts what was actually sent,
        inflated. With ``gzip`` the stream is compressed about a thousandfold
        (a "zip bomb"): few bytes on the wire, a huge body once inflated.
        """
        self.floods[path] = size
        if gzip:
            self.gzip_floods.add(path)
        else:
            self.gzip_floods.discard(path)

    def override(self, path: str, body: str) -> None:
        """Answer ``path`` with ``body`` verbatim (broken XML or JSON, wrong types)."""
        self.overrides[path] = body

    async def _flood(self, request: web.Request, size: int | None) -> web.StreamResponse:
        packer = (
            zlib.compressobj(9, zlib.DEFLATED, 31) if request.path in self.gzip_floods else None
        )
        headers = {"Content-Type": "application/json"}
        if packer is not None:
            headers["Content-Encoding"] = "gzip"
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        chunk = b"[" + b"0," * 32767 + b"0"
        try:
            while size is None or self.flooded < size:
                await response.write(packer.compress(chunk) if packer else chunk)
                self.flooded += len(chunk)
                await asyncio.sleep(0)
            if packer is not None:
                await response.write(packer.flush())
        except ConnectionError, RuntimeError:
            pass  # the client hung up: what a client that caps its reads does
        return response

    async def set_firmware(self, firmware: str, **hardware: int | bool) -> None:
        """Install another firmware; like the real thing, this reboots the gateway.

        ``hardware`` (``battery_count``, ``enpower``, ``metered``) changes what
        the gateway reports after the reboot.
        """
        self.profile = self.profile.with_firmware(firmware, **hardware)
        if len(self.readings.batteries) != self.profile.battery_count:
            self.readings.batteries = Readings.for_profile(self.profile).batteries
        await self.reboot()

    def drop_sessions(self) -> None:
        """Forget every validated token and session cookie."""
        self._validated_tokens.clear()
        self._sessions.clear()

    def revoke_token(self, token: str) -> None:
        """Reject one token from now on, even when Enlighten signed it."""
        self._revoked.add(token)
        self.drop_sessions()

    def expire_tokens(self) -> None:
        """Reject every token issued until now (as if they had all expired)."""
        if self._issued_tokens is not None:
            self._revoked.update(self._issued_tokens())
        self._revoked.update(self._validated_tokens, self._sessions.values())
        self.drop_sessions()

    def reset_counts(self) -> None:
        """Forget the request counts."""
        self.requests.clear()

    def fail(self, path: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``."""
        self.faults.setdefault(path, []).extend([status] * times)

    # -- auth -------------------------------------------------------------------
    def _token_is_valid(self, token: str) -> bool:
        if token in self._revoked:
            return False
        try:
            jwt.decode(
                token,
                self._token_key,
                algorithms=["ES256"],
                audience=self.profile.serial,
                options={"require": ["exp", "iat", "aud"]},
            )
        except jwt.PyJWTError:
            return False
        return True

    def _authorized(self, request: web.Request) -> bool:
        if not self.profile.uses_token_auth:
            return (
                self._digest.verify(
                    request.headers.get("Authorization"),
                    request.method,
                    legacy_passwords(self.profile.serial),
                )
                is not None
            )
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and (token := self._sessions.get(cookie)) and self._token_is_valid(token):
            return True
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        return token in self._validated_tokens and self._token_is_valid(token)

    # -- HTTP --------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/info", self._info)
        app.router.add_get("/info.xml", self._info)
        app.router.add_get("/auth/check_jwt", self._check_jwt)
        routes: dict[str, Callable[[], Any]] = {
            "/home": self._home,
            "/api/v1/production": self.readings.api_v1_production,
            "/api/v1/production/inverters": self.readings.api_v1_inverters,
            "/production.json": lambda: self.readings.production_json(self.profile.metered),
            "/production": lambda: self.readings.production_json(self.profile.metered),
        }
        metered_routes: dict[str, Callable[[], Any]] = {
            "/ivp/meters": self.readings.ivp_meters,
            "/ivp/meters/readings": self.readings.ivp_meters_readings,
            "/ivp/ensemble/inventory": lambda: self.readings.ensemble_inventory(
                self.profile.enpower
            ),
        }
        battery_routes: dict[str, Callable[[], Any]] = {
            "/ivp/ensemble/secctrl": self.readings.ensemble_secctrl,
            "/ivp/ensemble/power": self.readings.ensemble_power,
            "/ivp/ensemble/dry_contacts": _dry_contact_status,
            "/ivp/ss/dry_contact_settings": _dry_contact_settings,
        }
        for path, producer in routes.items():
            app.router.add_get(path, self._json(producer))
        for path, producer in metered_routes.items():
            app.router.add_get(path, self._json(producer, lambda: self.profile.metered))
        for path, producer in battery_routes.items():
            app.router.add_get(path, self._json(producer, lambda: bool(self.profile.battery_count)))
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests[request.path] += 1
        if self.mode is NetworkMode.OFFLINE:
            # Kept-alive connections die with the gateway too.
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable
        if self.mode is NetworkMode.TIMEOUT:
            # Hang until the mode changes or the gateway stops, then drop the request.
            await self._hung.wait()
            raise web.HTTPServiceUnavailable
        if self.mode is NetworkMode.UNAVAILABLE:
            return web.Response(status=503, text="Service Unavailable")
        if queued := self.faults.get(request.path):
            return web.Response(status=queued.pop(0), text="Simulated fault")
        if request.path in self.floods and self._authorized(request):
            return await self._flood(request, self.floods[request.path])
        if request.path in self.overrides and (
            request.path.startswith("/info") or self._authorized(request)
        ):
            kind = "text/xml" if request.path.startswith("/info") else "application/json"
            return web.Response(text=self.overrides[request.path], content_type=kind)
        return await handler(request)

    def _json(
        self, producer: Callable[[], Any], present: Callable[[], bool] | None = None
    ) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            if present is not None and not present():
                raise web.HTTPNotFound
            if not self._authorized(request):
                headers = {}
                if not self.profile.uses_token_auth:
                    headers["WWW-Authenticate"] = self._digest.challenge()
                return web.Response(status=401, text="Unauthorized", headers=headers)
            return web.json_response(producer())

        return handler

    async def _info(self, request: web.Request) -> web.Response:
        profile = self.profile
        prefix = "D" if profile.uses_token_auth else "R"
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><envoy_info>'
            f"<time>{int(time.time())}</time><device><sn>{profile.serial}</sn>"
            f"<pn>{profile.part_number}</pn><software>{prefix}{profile.firmware}</software>"
            f"<euaid>4c8675</euaid><seqnum>0</seqnum><apiver>1</apiver>"
            f"<imeter>{'true' if profile.metered else 'false'}</imeter></device>"
            "<web-tokens>" + ("true" if profile.uses_token_auth else "false") + "</web-tokens>"
            "</envoy_info>"
        )
        return web.Response(text=xml, content_type="application/xml")

    async def _check_jwt(self, request: web.Request) -> web.Response:
        if not self.profile.uses_token_auth:
            raise web.HTTPNotFound
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not self._token_is_valid(token):
            return web.Response(
                status=401, text="<!DOCTYPE html><h2>Invalid token.</h2>", content_type="text/html"
            )
        self._validated_tokens.add(token)
        cookie = secrets.token_hex(16)
        self._sessions[cookie] = token
        response = web.Response(
            text="<!DOCTYPE html><h2>Valid token.</h2>", content_type="text/html"
        )
        response.set_cookie(SESSION_COOKIE, cookie, secure=True, httponly=True)
        return response

    def _home(self) -> dict[str, object]:
        return {
            "software_build_epoch": 1_700_000_000,
            "timezone": "Europe/Amsterdam",
            "network": {
                "primary_interface": "eth0",
                "interfaces": [
                    {
                        "type": "ethernet",
                        "interface": "eth0",
                        "mac": self.profile.mac.upper(),
                        "dhcp": True,
                    }
                ],
            },
        }


def _dry_contact_status() -> dict[str, object]:
    return {"dry_contacts": [{"id": "NC1", "status": "open"}]}


def _dry_contact_settings() -> dict[str, object]:
    return {
        "dry_contacts": [
            {
                "id": "NC1",
                "black_s_start": 5,
                "essential_end_time": 32400.0,
                "essential_start_time": 57600.0,
                "gen_action": "shed",
                "grid_action": "apply",
                "load_name": "Pool pump",
                "manual_override": "true",
                "micro_grid_action": "shed",
                "mode": "manual",
                "override": "true",
                "priority": 1.0,
                "pv_serial_nb": [],
                "soc_high": 70.0,
                "soc_low": 25.0,
                "type": "LOAD",
            }
        ]
    }
