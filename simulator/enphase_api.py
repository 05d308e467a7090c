"""Fake Enphase Enlighten Systems API v4: OAuth 2.0 server plus the monitoring endpoints.

What it checks, like the real service:
- ``/oauth/token`` wants the client id and secret in an HTTP Basic header and
  reads its parameters from the query string (Enphase's samples) or the form
  body (RFC 6749); a used, unknown or revoked grant answers ``invalid_grant``;
- every ``/api/v4`` call needs a valid bearer token *and* the application's
  API key (``key`` query parameter or header); a key of another application
  answers 401 "API Key -Client mismatch";
- an endpoint outside the application's access controls (ticked on the portal
  when the application is created) answers 401 with the monitoring envelope
  ``{"message":"Not Authorized","details":…,"code":401}`` (swagger, 7.1) and
  the details text the swagger lists for live_data's 401: "Application is not
  authorized to access the requested resource" (their combination is inferred);
  or, when the application's ``refusal`` is 403, the monitoring endpoints'
  documented 403 ``{"message":"Forbidden","details":"Not authorized to access
  this resource","code":403}`` (swagger; which of the two the live service
  sends is not published);
- a system the user may not read answers that same documented 403;
- refresh tokens live 30 days (release notes: "from 1 week to 30 days for all
  the Enphase Developer Portal applications"); an expired one answers
  ``invalid_grant`` as RFC 6749 says (no real body of that case is published);
- the plan's per-minute and per-month limits answer 429 without Retry-After.

Values are a deterministic function of the clock, so tests can compute them.
"""

from __future__ import annotations

import asyncio
import base64
import html
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from yarl import URL

from .enlighten import CloudMode

ACCESS_TOKEN_LIFETIME = 86_400
REFRESH_TOKEN_LIFETIME = 30 * 86_400
#: The developer portal's access controls (plans page: the Watt plan offers these).
SYSTEM_DETAILS = "System Details"
PRODUCTION_MONITORING = "Site Level Production Monitoring"
CONSUMPTION_MONITORING = "Site Level Consumption Monitoring"
WATT_ACCESS = frozenset({SYSTEM_DETAILS, PRODUCTION_MONITORING, CONSUMPTION_MONITORING})
#: production_micro intervals are 5 minutes; consumption-meter and battery
#: intervals are 15 minutes, at most 96 a day (System API swagger: "each
#: interval is of 15 mins duration").
INTERVAL = 300
METER_INTERVAL = 900
MAX_METER_INTERVALS = 96


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """Request limits of an API plan; None means unlimited."""

    name: str
    per_minute: int
    per_month: int | None


PLANS: dict[str, PlanLimits] = {
    "watt": PlanLimits("Watt", 10, 1_000),
    "kilowatt": PlanLimits("Kilowatt", 50, 50_000),
    "megawatt": PlanLimits("Megawatt", 100, 300_000),
    "partner": PlanLimits("Partner", 300, 1_500_000),
}


@dataclass(slots=True)
class ApiApplication:
    """An application registered on the developer portal."""

    client_id: str
    client_secret: str
    api_key: str
    plan: PlanLimits
    #: Access controls ticked when the application was created.
    access: frozenset[str] = WATT_ACCESS
    #: The status data outside them answers: 401 or 403 (see the module docstring).
    refusal: int = 401


@dataclass(frozen=True, slots=True)
class CloudSystem:
    """One PV system as the API describes it."""

    system_id: int
    name: str
    consumption: bool = False
    battery: bool = False
    modules: int = 20
    size_w: int = 8_000
    timezone: str = "Europe/Amsterdam"


@dataclass(slots=True)
class ApiUser:
    """An Enlighten user who can approve applications."""

    enl_uid: int
    email: str
    systems: list[CloudSystem] = field(default_factory=list)


@dataclass(slots=True)
class _Grant:
    user: ApiUser
    client_id: str
    redirect_uri: str = ""
    expires_at: float = 0.0


def _month(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


class EnphaseApiSimulator:
    """OAuth server and v4 endpoints for a set of applications and users."""

    def __init__(self) -> None:
        """Start with no application and no user."""
        self.mode = CloudMode.ONLINE
        self.apps: dict[str, ApiApplication] = {}
        self.users: dict[str, ApiUser] = {}
        self.requests: Counter[str] = Counter()
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._minute_counts: Counter[tuple[str, int]] = Counter()
        self._month_counts: Counter[tuple[str, str]] = Counter()
        #: Requests answered with 429.
        self.limited = 0
        #: Rewrites of an answer before it is sent, per endpoint ("summary",
        #: "consumption_meter", "battery"): how tests serve hostile or broken values.
        self.tamper: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        #: Paths answered with an HTML page and 200, as a captive portal or a
        #: misconfigured proxy does.
        self.captive_paths: set[str] = set()

    # -- control -------------------------------------------------------------
    def add_app(self, app: ApiApplication) -> ApiApplication:
        """Register an application."""
        self.apps[app.client_id] = app
        return app

    def add_user(self, user: ApiUser) -> ApiUser:
        """Register a user and the systems they own."""
        self.users[user.email] = user
        return user

    def revoke_tokens(self) -> None:
        """Revoke every access and refresh token (the user withdrew consent)."""
        self._access.clear()
        self._refresh.clear()

    def expire_access_tokens(self) -> None:
        """Let every access token expire now; refresh tokens stay valid."""
        for grant in self._access.values():
            grant.expires_at = 0.0

    def exhaust_month(self, client_id: str | None = None) -> None:
        """Use up this month's requests of one (or every) application."""
        month = _month(time.time())
        for app in self.apps.values():
            if client_id in (None, app.client_id) and app.plan.per_month is not None:
                self._month_counts[(app.client_id, month)] = app.plan.per_month

    def set_plan(self, client_id: str, plan: str) -> None:
        """Change an application's plan."""
        self.apps[client_id].plan = PLANS[plan]

    def month_count(self, client_id: str, month: str | None = None) -> int:
        """Requests counted against the plan in ``month`` ("2026-12"; default: this month)."""
        return self._month_counts[(client_id, month or _month(time.time()))]

    def reset_counts(self) -> None:
        """Forget request counters (not the plan usage)."""
        self.requests.clear()

    @property
    def api_request_count(self) -> int:
        """All /api/v4 requests that reached the service."""
        return sum(n for path, n in self.requests.items() if path.startswith("/api/v4"))

    # -- HTTP --------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        """Serve the OAuth endpoints and the API on ``app``."""
        app.router.add_get("/oauth/authorize", self._authorize_page)
        app.router.add_post("/oauth/authorize", self._authorize_decision)
        app.router.add_post("/oauth/token", self._token)
        app.router.add_get("/api/v4/systems", self._systems)
        app.router.add_get("/api/v4/systems/{system_id}/summary", self._summary)
        app.router.add_get(
            "/api/v4/systems/{system_id}/telemetry/consumption_meter", self._consumption
        )
        app.router.add_get("/api/v4/systems/{system_id}/telemetry/battery", self._battery)

    async def _outage(self, request: web.Request) -> web.StreamResponse | None:
        self.requests[request.path] += 1
        if self.mode is CloudMode.UNREACHABLE and request.transport is not None:
            request.transport.close()
            return web.Response(status=503)
        if self.mode is CloudMode.TIMEOUT:
            await asyncio.sleep(3600)
        if self.mode is CloudMode.ERROR_5XX:
            return web.Response(status=503, text="<html>Service Unavailable</html>")
        if request.path in self.captive_paths:
            return web.Response(
                text="<html>Sign in to the network</html>", content_type="text/html"
            )
        return None

    async def _authorize_page(self, request: web.Request) -> web.StreamResponse:
        if (down := await self._outage(request)) is not None:
            return down
        q = request.query
        app = self.apps.get(q.get("client_id", ""))
        if app is None or q.get("response_type") != "code" or not q.get("redirect_uri"):
            return web.Response(status=400, text="invalid_request: unknown client or missing data")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        users = "".join(
            f'<option value="{html.escape(u.email)}">{html.escape(u.email)}</option>'
            for u in self.users.values()
        )
        page = (
            "<!DOCTYPE html><html><head><title>Enphase authorization (simulator)</title></head>"
            "<body><h1>Authorize application</h1>"
            f"<p>The application <b>{html.escape(app.client_id)}</b> asks to read your systems.</p>"
            f'<form method="post" action="/oauth/authorize">{hidden}'
            f'<label>Signed in as <select name="user" id="user">{users}</select></label> '
            '<button type="submit" name="decision" value="approve" id="approve">Approve</button> '
            '<button type="submit" name="decision" value="deny" id="deny">Deny</button>'
            "</form></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _authorize_decision(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        redirect = URL(str(form.get("redirect_uri", "")))
        state = str(form.get("state", ""))
        if str(form.get("decision")) != "approve":
            raise web.HTTPFound(redirect.update_query(error="access_denied", state=state))
        user = self.users.get(str(form.get("user", "")))
        if user is None or str(form.get("client_id", "")) not in self.apps:
            return web.Response(status=400, text="invalid_request")
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Grant(
            user, str(form["client_id"]), str(redirect), expires_at=time.time() + 600
        )
        raise web.HTTPFound(redirect.update_query(code=code, state=state))

    def _client(self, request: web.Request) -> ApiApplication | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        app = self.apps.get(client_id)
        if app is None or not secrets.compare_digest(app.client_secret, secret):
            return None
        return app

    async def _token(self, request: web.Request) -> web.StreamResponse:
        if (down := await self._outage(request)) is not None:
            return down
        app = self._client(request)
        if app is None:
            return web.json_response(
                {"error": "invalid_client", "error_description": "Basic authentication failed"},
                status=401,
            )
        params: dict[str, str] = {**(await request.post()), **request.query}  # type: ignore[dict-item]
        grant: _Grant | None = None
        match params.get("grant_type"):
            case "authorization_code":
                grant = self._codes.pop(params.get("code", ""), None)
                if grant is not None and (
                    grant.expires_at < time.time()
                    or grant.redirect_uri != params.get("redirect_uri")
                ):
                    grant = None
            case "refresh_token":
                grant = self._refresh.pop(params.get("refresh_token", ""), None)
                if grant is not None and grant.expires_at < time.time():
                    grant = None
            case _:
                return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if grant is None or grant.client_id != app.client_id:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "Invalid or revoked grant"},
                status=400,
            )
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        self._access[access] = _Grant(
            grant.user, app.client_id, expires_at=time.time() + ACCESS_TOKEN_LIFETIME
        )
        self._refresh[refresh] = _Grant(
            grant.user, app.client_id, expires_at=time.time() + REFRESH_TOKEN_LIFETIME
        )
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME - 1,
                "scope": "read write",
                "enl_uid": str(grant.user.enl_uid),
                "enl_cid": "4",
                "enl_password_last_changed": "1700000000",
                "is_internal_app": False,
                "app_type": "partner" if app.plan.name == "Partner" else "system",
                "jti": secrets.token_hex(8),
            }
        )

    def _api_guard(
        self, request: web.Request, access: str
    ) -> tuple[_Grant | None, web.StreamResponse | None]:
        """Token, key, plan and access checks, in the order the real service applies them."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        grant = self._access.get(token)
        if grant is None or grant.expires_at < time.time():
            return None, _unauthorized("Invalid access token")
        app = self.apps[grant.client_id]
        key = request.query.get("key") or request.headers.get("key")
        if key != app.api_key:
            return None, _unauthorized("API Key -Client mismatch")
        now = time.time()
        minute, month = (app.client_id, int(now // 60)), (app.client_id, _month(now))
        if app.plan.per_month is not None and self._month_counts[month] >= app.plan.per_month:
            self.limited += 1
            start = datetime.fromtimestamp(now, UTC).replace(
                day=1, hour=0, minute=0, second=0, microsecond=0
            )
            end = (start + timedelta(days=32)).replace(day=1)
            window = (int(start.timestamp()), int(end.timestamp()))
            return None, _too_many(app.plan, "month", window, app.plan.per_month)
        if self._minute_counts[minute] >= app.plan.per_minute:
            self.limited += 1
            window = (minute[1] * 60, minute[1] * 60 + 60)
            return None, _too_many(app.plan, "minute", window, app.plan.per_minute)
        self._minute_counts[minute] += 1
        self._month_counts[month] += 1
        if access not in app.access:
            return None, _refused_access(app)
        return grant, None

    async def _guarded(
        self, request: web.Request, access: str = SYSTEM_DETAILS
    ) -> tuple[ApiUser | None, CloudSystem | None, web.StreamResponse | None]:
        if (down := await self._outage(request)) is not None:
            return None, None, down
        grant, refused = self._api_guard(request, access)
        if refused is not None or grant is None:
            return None, None, refused
        user = grant.user
        if "system_id" not in request.match_info:
            return user, None, None
        wanted = request.match_info["system_id"]
        system = next((s for s in user.systems if str(s.system_id) == wanted), None)
        if system is None:
            return None, None, _forbidden()
        return user, system, None

    async def _systems(self, request: web.Request) -> web.StreamResponse:
        user, _, refused = await self._guarded(request)
        if refused is not None or user is None:
            return refused or web.Response(status=500)
        now = int(time.time())
        systems = [
            {
                "system_id": s.system_id,
                "name": s.name,
                "public_name": "Residential System",
                "timezone": s.timezone,
                "address": {"city": "Utrecht", "country": "NL", "postal_code": "3511"},
                "connection_type": "ethernet",
                "energy_lifetime": _lifetime_wh(s, now),
                "energy_today": _today_wh(now),
                "system_size": s.size_w,
                "status": "normal",
                "last_report_at": now - 120,
                "last_energy_at": now - 300,
                "operational_at": 1_543_708_800,
                "attachment_type": "rack_mount",
                "interconnect_date": "2018-12-02",
            }
            for s in user.systems
        ]
        return web.json_response(
            {
                "total": len(systems),
                "current_page": 1,
                "size": 10,
                "count": len(systems),
                "items": "systems",
                "systems": systems,
            }
        )

    async def _summary(self, request: web.Request) -> web.StreamResponse:
        _, system, refused = await self._guarded(request)
        if refused is not None or system is None:
            return refused or web.Response(status=500)
        now = int(time.time())
        return self._answer(
            "summary",
            {
                "system_id": system.system_id,
                "current_power": current_power_w(now),
                "energy_lifetime": _lifetime_wh(system, now),
                "energy_today": _today_wh(now),
                "last_interval_end_at": now - now % INTERVAL,
                "last_report_at": now - 60,
                "modules": system.modules,
                "operational_at": 1_543_708_800,
                "size_w": system.size_w,
                "source": "meter" if system.consumption else "microinverters",
                "status": "normal",
                "summary_date": datetime.fromtimestamp(now, UTC).date().isoformat(),
                "battery_charge_w": 0,
                "battery_discharge_w": 0,
                "battery_capacity_wh": 10_080 if system.battery else 0,
            },
        )

    async def _consumption(self, request: web.Request) -> web.StreamResponse:
        _, system, refused = await self._guarded(request, CONSUMPTION_MONITORING)
        if refused is not None or system is None:
            return refused or web.Response(status=500)
        if not system.consumption:
            return web.json_response({"message": "Not Found", "code": 404}, status=404)
        start, ends = _interval_window(request)
        return self._answer(
            "consumption_meter",
            {
                "system_id": system.system_id,
                "granularity": "day",
                "total_devices": 1,
                "start_at": start,
                "end_at": ends[-1] if ends else start,
                "items": "intervals",
                "intervals": [
                    {"end_at": end, "devices_reporting": 1, "enwh": consumption_wh(end)}
                    for end in ends
                ],
            },
        )

    def _answer(self, endpoint: str, body: dict[str, Any]) -> web.Response:
        if (rewrite := self.tamper.get(endpoint)) is not None:
            body = rewrite(body)
        return web.json_response(body)

    async def _battery(self, request: web.Request) -> web.StreamResponse:
        _, system, refused = await self._guarded(request, CONSUMPTION_MONITORING)
        if refused is not None or system is None:
            return refused or web.Response(status=500)
        if not system.battery:
            return web.json_response({"message": "Not Found", "code": 404}, status=404)
        start, ends = _interval_window(request)
        intervals = []
        for end in ends:
            charge, discharge, soc = battery_interval(end)
            intervals.append(
                {
                    "end_at": end,
                    "charge": {"enwh": charge, "devices_reporting": 2},
                    "discharge": {"enwh": discharge, "devices_reporting": 2},
                    "soc": {"percent": soc, "devices_reporting": 2},
                }
            )
        return self._answer(
            "battery",
            {
                "system_id": system.system_id,
                "granularity": "day",
                "total_devices": 2,
                "start_at": start,
                "end_at": ends[-1] if ends else start,
                "items": "intervals",
                "intervals": intervals,
                "last_reported_aggregate_soc": f"{intervals[-1]['soc']['percent']}%"
                if intervals
                else None,
            },
        )


# -- deterministic values ------------------------------------------------------
def current_power_w(now: float) -> int:
    """Production right now."""
    return 3_000 + 50 * (int(now) // INTERVAL % 10)


def _today_wh(now: float) -> int:
    return int(now % 86_400 / 3_600 * 500)


def _lifetime_wh(system: CloudSystem, now: float) -> int:
    return 28_000_000 + system.system_id % 1000 * 1000 + int((now - 1_700_000_000) / 3_600 * 500)


def consumption_wh(end_at: int) -> int:
    """Energy consumed in the 15 minutes ending at ``end_at`` (about 1.8 to 2.2 kW)."""
    return 450 + 30 * (end_at // METER_INTERVAL % 6)


def battery_interval(end_at: int) -> tuple[int, int, int]:
    """(charged Wh, discharged Wh, state of charge %) of the interval ending at ``end_at``."""
    n = end_at // METER_INTERVAL
    charging = n % 2 == 0
    return (150 if charging else 0, 0 if charging else 90, 40 + n % 50)


def _interval_window(request: web.Request) -> tuple[int, list[int]]:
    """Ends of the 15-minute meter intervals after ``start_at`` (default: midnight UTC)."""
    now = int(time.time())
    try:
        start = int(request.query["start_at"])
    except KeyError, ValueError:
        start = now - now % 86_400
    first = start - start % METER_INTERVAL + METER_INTERVAL
    last = now - now % METER_INTERVAL
    ends = list(range(first, last + 1, METER_INTERVAL))[:MAX_METER_INTERVALS]
    return start, ends


def _unauthorized(details: str) -> web.Response:
    return web.json_response(
        {"message": "Not Authorized", "details": details, "code": 401}, status=401
    )


def _refused_access(app: ApiApplication) -> web.Response:
    """Data outside the application's access controls (see the module docstring)."""
    if app.refusal == 403:
        return _forbidden()
    return _unauthorized("Application is not authorized to access the requested resource")


def _forbidden() -> web.Response:
    """The monitoring endpoints' documented 403 (System API swagger)."""
    return web.json_response(
        {"message": "Forbidden", "details": "Not authorized to access this resource", "code": 403},
        status=403,
    )


def _too_many(plan: PlanLimits, period: str, window: tuple[int, int], limit: int) -> web.Response:
    """The real 429: the same text for both limits; ``period`` tells them apart.

    Shape from Enphase's System API swagger (429 schema: message, details, code,
    period, period_start, period_end, limit) and from a user's report
    (``"details":"Usage limit exceeded for plan Kilowatt"``). The swagger as
    read: github.com/andrewdmontgomery/Enphase-OpenAPI, ``openapi/system.yaml``.
    There is no Retry-After header.
    """
    return web.json_response(
        {
            "message": "Too Many Requests",
            "details": f"Usage limit exceeded for plan {plan.name}",
            "code": 429,
            "period": period,
            "period_start": window[0],
            "period_end": window[1],
            "limit": limit,
        },
        status=429,
    )


def describe_app(app: ApiApplication) -> dict[str, Any]:
    """What a developer copies from the portal (this simulator's own demo values)."""
    return {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "api_key": app.api_key,
        "plan": app.plan.name,
    }
