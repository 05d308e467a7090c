"""A fake Enlighten cloud: the login service and the Envoy token service (entrez).

It mints ES256 JWTs carrying the claims real Envoy tokens carry, so the
integration's token parsing and the Envoy simulator's verification both work
on the real shape. Failure modes are switched on from tests or the control API.

Where each answer comes from (see /work research notes, quoted in the handlers):

- full login: home-assistant/core#155793 (2026-01-18), ``{"message":"success",
  "session_id":…,"manager_token":…,"is_consumer":true,"system_id":"…","redirect_url":""}``
  with the cookies ``_enlighten_4_session`` (= session_id) and ``locale``;
- wrong password: core#152659, HTTP 401 ``{"message":"Invalid"}``;
- MFA: core#155793, HTTP 200 ``{"success":true,"isBlocked":false}``, a pre-auth
  ``_enlighten_4_session`` and a ``login_otp_nonce`` cookie, no session id;
- too many sessions: domoticz/domoticz#6092, ``{"message":"Too many active sessions.."}``
  (status not reported; 200 here);
- blocked account: INFERRED (no capture): ``{"success":false,"isBlocked":true}``;
- 406 Not Acceptable: barneyonline/ha-enphase-energy#492 (2026-04);
- ``validate_login_otp`` / ``generate_mfa_login_otp``: barneyonline's client and API
  notes (PR #188): form fields ``email`` and ``otp`` base64-encoded, the login's
  cookies; success is the full-login body; a wrong code ``{"isValid":false,
  "isBlocked":false}``, a blocked one ``{"isValid":false,"isBlocked":true}`` (their
  "defensive case"); too many new codes 429 (their client's reading);
- ``/tokens``: raw JWT text (pyenphase decodes it); 403 for a gateway not on the
  account (amykyta3/envoy-logger#16, body unknown). Since about April 2026 it
  returns 1-year *owner* tokens to installer accounts too (vincentwolsink
  #265/#311); the 12-hour installer token comes only from the entrez portal.
"""

from __future__ import annotations

import asyncio
import base64
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
#: Wrong codes before the one-time code is blocked, and new codes per login.
MAX_CODE_ATTEMPTS = 5
MAX_CODES_SENT = 3


@dataclass(slots=True)
class _PendingCode:
    """An MFA login waiting for its one-time code (keyed by its nonce cookie)."""

    email: str
    code: str
    attempts: int = 0
    sent: int = 1


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
        #: Kind of the tokens /tokens mints; None: an owner token for every account (2026).
        #: "installer" plays the entrez portal's 12-hour installer tokens.
        self.token_kind: str | None = None
        #: The one-time codes "emailed" to each account (the control API reads them).
        self.sent_codes: dict[str, str] = {}
        self._pending: dict[str, _PendingCode] = {}  # login_otp_nonce -> pending login

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
        app.router.add_post("/app-api/validate_login_otp", self._validate_otp)
        app.router.add_post("/app-api/generate_mfa_login_otp", self._generate_otp)
        return app

    def _send_code(self, email: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        self.sent_codes[email] = code
        return code

    def _session_answer(self, email: str) -> web.Response:
        """The full-login answer (core#155793): body and session cookie."""
        account = self.accounts[email]
        session_id = secrets.token_hex(16)
        self._sessions[session_id] = email
        response = web.json_response(
            {
                "message": "success",
                "session_id": session_id,
                "manager_token": secrets.token_hex(24),
                "is_consumer": account.kind == "owner",
                "system_id": "4136370",
                "redirect_url": "",
            }
        )
        response.set_cookie("_enlighten_4_session", session_id, httponly=True, secure=True)
        response.set_cookie("locale", "en", httponly=True, secure=True)
        return response

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
            return web.json_response({"message": "Invalid"}, status=401)
        if self.refuse_client:
            return web.Response(status=406, text="Not Acceptable")
        if account.blocked:
            return web.json_response({"success": False, "isBlocked": True})
        if self.too_many_sessions:
            return web.json_response({"message": "Too many active sessions.."})
        if account.mfa:
            # The real MFA answer (core#155793): no session, a nonce cookie for the
            # one-time-code step, and this body; Enphase emails the code.
            nonce = secrets.token_hex(32)
            self._pending[nonce] = _PendingCode(email, self._send_code(email))
            response = web.json_response({"success": True, "isBlocked": False})
            response.set_cookie(
                "_enlighten_4_session", secrets.token_hex(16), httponly=True, secure=True
            )
            response.set_cookie("login_otp_nonce", nonce, httponly=True, secure=True, max_age=900)
            return response
        return self._session_answer(email)

    def _pending_of(self, request: web.Request) -> _PendingCode | None:
        return self._pending.get(request.cookies.get("login_otp_nonce", ""))

    async def _validate_otp(self, request: web.Request) -> web.Response:
        form = await request.post()
        pending = self._pending_of(request)
        try:
            email = base64.b64decode(str(form.get("email", ""))).decode()
            code = base64.b64decode(str(form.get("otp", ""))).decode()
        except ValueError:
            return web.json_response({"isValid": False, "isBlocked": False})
        if pending is None or pending.email != email:
            return web.json_response({"message": "Invalid"}, status=401)
        if pending.attempts >= MAX_CODE_ATTEMPTS:
            return web.json_response({"isValid": False, "isBlocked": True})
        if not secrets.compare_digest(pending.code, code):
            pending.attempts += 1
            blocked = pending.attempts >= MAX_CODE_ATTEMPTS
            return web.json_response({"isValid": False, "isBlocked": blocked})
        self._pending = {k: v for k, v in self._pending.items() if v is not pending}
        return self._session_answer(email)

    async def _generate_otp(self, request: web.Request) -> web.Response:
        pending = self._pending_of(request)
        if pending is None:
            return web.json_response({"message": "Invalid"}, status=401)
        if pending.sent >= MAX_CODES_SENT:
            return web.json_response({"message": "Too Many Requests"}, status=429)
        pending.sent += 1
        pending.code = self._send_code(pending.email)
        old = request.cookies["login_otp_nonce"]
        nonce = secrets.token_hex(32)
        self._pending[nonce] = self._pending.pop(old)
        response = web.json_response({"success": True, "isBlocked": False})
        response.set_cookie("login_otp_nonce", nonce, httponly=True, secure=True, max_age=900)
        return response

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
        # Since ~April 2026 every account gets an owner token here (see the module doc).
        return web.Response(
            text=self.mint_token(
                serial,
                kind=self.token_kind or "owner",
                username=email,
                lifetime=self.token_lifetime,
            ),
            content_type="text/plain",
        )
