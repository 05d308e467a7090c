"""A fake Enlighten cloud: the login service and the Envoy token service (entrez).

It mints ES256 JWTs carrying the claims real Envoy tokens carry, so the
integration's token parsing and the Envoy simulator's verification both work
on the real shape. Failure modes are switched on from tests or the control API.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

OWNER_TOKEN_LIFETIME = 365 * 24 * 3600
INSTALLER_TOKEN_LIFETIME = 12 * 3600
ISSUER = "Entrez"


class CloudMode(StrEnum):
    """How the fake cloud answers."""

    ONLINE = "online"
    ERROR_5XX = "error_5xx"  # an outage: 503 on every call
    UNREACHABLE = "unreachable"  # connections are cut before any answer
    TIMEOUT = "timeout"  # requests hang until the client gives up


@dataclass(slots=True)
class EnlightenAccount:
    """An Enlighten user and the gateways it may request tokens for."""

    email: str
    password: str
    kind: str = "owner"  # "owner" or "installer"
    serials: set[str] = field(default_factory=set)
    mfa: bool = False
    #: Enlighten blocked the account (e.g. after failed logins).
    blocked: bool = False


class EnlightenSimulator:
    """State and aiohttp app of the fake Enlighten cloud."""

    def __init__(self) -> None:
        """Create an empty cloud with a fresh signing key."""
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.public_key = self._key.public_key()
        self.accounts: dict[str, EnlightenAccount] = {}
        self.mode = CloudMode.ONLINE
        self.requests: Counter[str] = Counter()
        self.issued_tokens: list[str] = []
        self._sessions: dict[str, str] = {}  # session_id -> email
        self.login_delay = 0.0
        #: Refuse new sessions: the account has too many open.
        self.too_many_sessions = False
        #: Answer the login with 406 Not Acceptable (seen by other clients in 2026).
        self.refuse_client = False
        #: Seconds a token from /tokens lives; None: Enphase's own lifetimes.
        #: Lets tests and ``scripts/develop`` play a shorter token policy.
        self.token_lifetime: int | None = None

    # -- control ---------------------------------------------------------
    def add_account(self, account: EnlightenAccount) -> EnlightenAccount:
        """Register an account (replacing one with the same email)."""
        self.accounts[account.email] = account
        return account

    def change_password(self, email: str, password: str) -> None:
        """Change a password, so the old one is rejected from now on."""
        self.accounts[email].password = password

    def reset_counts(self) -> None:
        """Forget the request counts."""
        self.requests.clear()

    @property
    def login_count(self) -> int:
        """How many login attempts reached the cloud."""
        return self.requests["/login/login.json"]

    def mint_token(
        self,
        serial: str,
        *,
        kind: str = "owner",
        username: str = "demo@example.com",
        lifetime: int | None = None,
        issued_at: float | None = None,
    ) -> str:
        """Sign a token directly, as if a user copied one from Enlighten."""
        now = int(issued_at if issued_at is not None else time.time())
        if lifetime is None:
            lifetime = OWNER_TOKEN_LIFETIME if kind == "owner" else INSTALLER_TOKEN_LIFETIME
        claims = {
            "aud": serial,
            "iss": ISSUER,
            "enphaseUser": kind,
            "exp": now + lifetime,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": username,
        }
        token = jwt.encode(claims, self._key, algorithm="ES256")
        self.issued_tokens.append(token)
        return token

    # -- HTTP --------------------------------------------------------------
    def build_app(self) -> web.Application:
        """Return the aiohttp application serving both cloud hosts."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/", self._home)
        app.router.add_post("/login/login.json", self._login)
        app.router.add_post("/tokens", self._tokens)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_sim"):
            return await handler(request)
        self.requests[request.path] += 1
        if self.mode is CloudMode.UNREACHABLE:
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable  # never reaches the client
        if self.mode is CloudMode.TIMEOUT:
            await asyncio.sleep(3600)
        if self.mode is CloudMode.ERROR_5XX:
            return web.Response(status=503, text="<html>Service Unavailable</html>")
        if self.login_delay:
            await asyncio.sleep(self.login_delay)
        return await handler(request)

    async def _home(self, request: web.Request) -> web.Response:
        """``/``: the real site redirects visitors to its login page."""
        raise web.HTTPFound("/login")

    async def _login(self, request: web.Request) -> web.Response:
        form = await request.post()
        email = str(form.get("user[email]", ""))
        password = str(form.get("user[password]", ""))
        account = self.accounts.get(email)
        if account is None or not secrets.compare_digest(account.password, password):
            return web.json_response({"message": "Invalid email or password"}, status=401)
        if self.refuse_client:
            return web.Response(status=406, text="Not Acceptable")
        if account.blocked:
            return web.json_response({"success": False, "isBlocked": True})
        if self.too_many_sessions:
            return web.json_response(
                {"message": "Too many active sessions. Please sign out of other sessions."}
            )
        if account.mfa:
            # The real MFA answer (Enlighten's web login, 2025-2026): no session,
            # a nonce cookie for the one-time-code step, and this body.
            response = web.json_response({"success": True, "isBlocked": False})
            response.set_cookie("login_otp_nonce", secrets.token_hex(16), httponly=True)
            return response
        session_id = secrets.token_hex(16)
        self._sessions[session_id] = email
        return web.json_response(
            {
                "message": "success",
                "session_id": session_id,
                "manager_token": secrets.token_hex(24),
                "is_consumer": account.kind == "owner",
                "user_id": 4711,
                "user_name": email,
            }
        )

    async def _tokens(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"message": "Bad request"}, status=400)
        email = self._sessions.get(str(body.get("session_id")))
        if email is None or email != body.get("username"):
            return web.json_response({"message": "Invalid session"}, status=401)
        account = self.accounts[email]
        serial = str(body.get("serial_num", ""))
        if serial not in account.serials:
            return web.json_response(
                {"message": "User is not authorized for this site"}, status=403
            )
        return web.Response(
            text=self.mint_token(
                serial, kind=account.kind, username=email, lifetime=self.token_lifetime
            ),
            content_type="text/plain",
        )
