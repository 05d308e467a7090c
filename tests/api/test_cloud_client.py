"""The v4 client against the simulator: models, and one typed error per failure."""

from __future__ import annotations

import base64
import traceback
from collections.abc import AsyncGenerator

import aiohttp
import pytest
from aiohttp import web

from custom_components.envoy_connect.api import (
    AbstractAuth,
    CloudApiKeyRejected,
    CloudAppNotAuthorized,
    CloudAuthRejected,
    CloudError,
    CloudNoData,
    CloudRateLimited,
    CloudSystemForbidden,
    CloudUnavailable,
    SystemsApi,
)
from simulator import SimulatorHarness
from simulator.enlighten import CloudMode
from simulator.enphase_api import PRODUCTION_MONITORING, SYSTEM_DETAILS, PlanLimits
from simulator.harness import DEMO_APP, DEMO_OWNER

HOME, CABIN = 4_100_001, 4_100_002


class _Token(AbstractAuth):
    def __init__(self, session: aiohttp.ClientSession, host: str, token: str) -> None:
        super().__init__(session, host)
        self.token = token

    async def async_get_access_token(self) -> str:
        return self.token


async def _access_token(session: aiohttp.ClientSession, sim: SimulatorHarness) -> str:
    """Authorization code grant, the way HA's flow does it."""
    redirect = "https://example.com/auth/external/callback"
    resp = await session.post(
        f"{sim.cloud_url}/oauth/authorize",
        data={
            "client_id": DEMO_APP.client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "state": "s",
            "user": DEMO_OWNER[0],
            "decision": "approve",
        },
        allow_redirects=False,
    )
    code = aiohttp.client.URL(resp.headers["Location"]).query["code"]
    basic = base64.b64encode(f"{DEMO_APP.client_id}:{DEMO_APP.client_secret}".encode()).decode()
    resp = await session.post(
        f"{sim.cloud_url}/oauth/token",
        params={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert resp.status == 200
    return str((await resp.json())["access_token"])


async def _error_for(aiohttp_server: object, answer: web.Response, api_key: str = "k") -> Exception:
    """What the client raises when ``/api/v4/systems`` gives ``answer``."""

    async def handler(request: web.Request) -> web.Response:
        return answer

    app = web.Application()
    app.router.add_get("/api/v4/systems", handler)
    server = await aiohttp_server(app)  # type: ignore[operator]
    async with aiohttp.ClientSession() as session:
        client = SystemsApi(_Token(session, str(server.make_url("")), "t"), api_key)
        with pytest.raises(CloudError) as caught:
            await client.async_get_systems()
    return caught.value


@pytest.fixture
async def world(socket_enabled: None) -> AsyncGenerator[tuple[SimulatorHarness, SystemsApi]]:
    sim = SimulatorHarness([])
    await sim.start()
    async with aiohttp.ClientSession() as session:
        auth = _Token(session, sim.cloud_url, await _access_token(session, sim))
        counted: list[int] = []
        client = SystemsApi(auth, DEMO_APP.api_key, on_request=lambda: counted.append(1))
        yield sim, client
    await sim.stop()


async def test_models(world: tuple[SimulatorHarness, SystemsApi]) -> None:
    sim, client = world
    systems = await client.async_get_systems()
    assert [s.system_id for s in systems] == [HOME, CABIN]
    summary = await client.async_get_summary(HOME)
    assert summary.status == "normal"
    assert summary.modules == 24
    assert summary.last_report_at is not None
    first = await client.async_get_telemetry(HOME, "battery", None)
    assert first
    assert all(i.soc is not None for i in first)
    again = await client.async_get_telemetry(HOME, "battery", first[-1].end_at)
    assert all(i.end_at > first[-1].end_at for i in again)
    assert sim.api.month_count(DEMO_APP.client_id) == 4


async def test_token_grants(world: tuple[SimulatorHarness, SystemsApi]) -> None:
    """Basic auth required; a used code and an unknown grant type are refused."""
    sim, _ = world
    async with aiohttp.ClientSession() as session:
        resp = await session.post(
            f"{sim.cloud_url}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
        )
        assert resp.status == 401
        basic = base64.b64encode(f"{DEMO_APP.client_id}:{DEMO_APP.client_secret}".encode())
        headers = {"Authorization": f"Basic {basic.decode()}"}
        resp = await session.post(
            f"{sim.cloud_url}/oauth/token", data={"grant_type": "password"}, headers=headers
        )
        assert resp.status == 400
        resp = await session.post(
            f"{sim.cloud_url}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "unknown"},
            headers=headers,
        )
        assert (await resp.json())["error"] == "invalid_grant"


async def test_errors(world: tuple[SimulatorHarness, SystemsApi]) -> None:
    sim, client = world
    with pytest.raises(CloudSystemForbidden):
        await client.async_get_summary(4_200_001)  # the neighbour's
    with pytest.raises(CloudNoData):
        await client.async_get_telemetry(CABIN, "consumption_meter", None)
    sim.api.mode = CloudMode.ERROR_5XX
    with pytest.raises(CloudUnavailable):
        await client.async_get_systems()
    sim.api.mode = CloudMode.UNREACHABLE
    with pytest.raises(CloudUnavailable):
        await client.async_get_systems()
    sim.api.mode = CloudMode.ONLINE
    sim.api.apps[DEMO_APP.client_id].plan = PlanLimits("Tiny", 0, None)
    with pytest.raises(CloudRateLimited) as minute:
        await client.async_get_systems()
    assert minute.value.monthly is False
    assert minute.value.until is not None
    assert minute.value.until.second == 0  # the minute's end, as the service says
    sim.api.apps[DEMO_APP.client_id].plan = PlanLimits("Watt", 10, 1000)
    sim.api.exhaust_month()
    with pytest.raises(CloudRateLimited) as month:
        await client.async_get_systems()
    assert month.value.monthly is True
    assert month.value.until is not None
    assert (month.value.until.day, month.value.until.hour) == (1, 0)
    sim.api.apps[DEMO_APP.client_id].api_key = "other"
    with pytest.raises(CloudApiKeyRejected):
        await client.async_get_systems()
    sim.api.revoke_tokens()
    with pytest.raises(CloudAuthRejected):
        await client.async_get_systems()


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, "Too Many Requests", CloudRateLimited),
        (200, "[1, 2]", CloudUnavailable),
        (200, "<html>", CloudUnavailable),
        (502, "bad gateway", CloudUnavailable),
    ],
)
async def test_odd_answers(
    aiohttp_server: object, status: int, body: str, error: type[Exception]
) -> None:
    """Answers the simulator never gives but a real service might."""
    caught = await _error_for(aiohttp_server, web.Response(status=status, text=body))
    assert isinstance(caught, error)
    if isinstance(caught, CloudRateLimited):
        assert caught.monthly is None  # the answer does not say which limit
        assert caught.until is None


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("body", "monthly", "until"),
    [
        # The text is the same for both limits: only ``period`` tells them apart.
        (
            '{"message":"Too Many Requests","details":"Usage limit exceeded for plan Kilowatt",'
            '"code":429,"period":"minute","period_start":1623825660,"period_end":1623825720,'
            '"limit":10}',
            False,
            1623825720,
        ),
        (
            '{"message":"Too Many Requests","details":"Usage limit exceeded for plan Watt",'
            '"code":429,"period":"month","period_start":1640995200,"period_end":1643673600,'
            '"limit":1000}',
            True,
            1643673600,
        ),
        ('{"message":"Too Many Requests","code":429,"period_end":"soon"}', None, None),
    ],
)
async def test_rate_limit_answers(
    aiohttp_server: object, body: str, monthly: bool | None, until: int | None
) -> None:
    answer = web.Response(status=429, text=body, content_type="application/json")
    caught = await _error_for(aiohttp_server, answer)
    assert isinstance(caught, CloudRateLimited)
    assert caught.monthly is monthly
    assert (caught.until.timestamp() if caught.until else None) == until


async def test_access_controls(world: tuple[SimulatorHarness, SystemsApi]) -> None:
    """Data outside the application's access controls is its own error, naming the control."""
    sim, client = world
    app = sim.api.apps[DEMO_APP.client_id]
    app.access = frozenset({SYSTEM_DETAILS, PRODUCTION_MONITORING})
    assert (await client.async_get_summary(HOME)).modules == 24
    for refusal in (401, 403):  # live_data's 401 text, or the monitoring swagger's 403
        app.refusal = refusal
        for kind in ("consumption_meter", "battery"):
            with pytest.raises(CloudAppNotAuthorized) as refused:
                await client.async_get_telemetry(HOME, kind, None)
            assert refused.value.access == "Site Level Consumption Monitoring"
    app.access, app.refusal = frozenset(), 401
    with pytest.raises(CloudAppNotAuthorized) as refused:
        await client.async_get_systems()
    assert refused.value.access == "System Details"
    # A plain 403 on the summary cannot be told from a system the user lost: a reauth.
    app.refusal = 403
    with pytest.raises(CloudSystemForbidden):
        await client.async_get_summary(HOME)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        # The documented texts (System API swagger; live_data's 401 list), in both envelopes.
        (401, {"message": "Not Authorized", "details": "API Key -Client mismatch", "code": 401},
         CloudApiKeyRejected),
        (403, {"message": "Forbidden", "details": "API Key is invalid", "code": 403},
         CloudApiKeyRejected),
        (401, {"error": {"code": 401, "message": "API key is missing",
                         "status": "NOT_AUTHENTICATED"}}, CloudApiKeyRejected),
        (403, {"message": "Forbidden", "code": 403, "details":
               "Application is not authorized to access the requested resource"},
         CloudAppNotAuthorized),
        (401, {"message": "Not Authorized", "details": "User is not authorized", "code": 401},
         CloudAuthRejected),
        (403, {"message": "Forbidden", "details": "Not authorized to access this resource",
               "code": 403}, CloudSystemForbidden),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("socket_enabled")
async def test_refusals_by_their_text(
    aiohttp_server: object, status: int, body: dict[str, object], error: type[Exception]
) -> None:
    """Only a refused token or consent is a reauth; a key or an access control is not."""
    answer = web.json_response(body, status=status)
    caught = await _error_for(aiohttp_server, answer, api_key="secret-key")
    assert isinstance(caught, error)
    assert "secret-key" not in str(caught)


@pytest.mark.usefixtures("socket_enabled")
async def test_a_failed_request_never_carries_the_api_key(aiohttp_server: object) -> None:
    """An endless redirect: aiohttp's error names the URL (key included); ours does not."""

    async def again(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url))

    app = web.Application()
    app.router.add_get("/api/v4/systems", again)
    server = await aiohttp_server(app)  # type: ignore[operator]
    async with aiohttp.ClientSession() as session:
        client = SystemsApi(_Token(session, str(server.make_url("")), "t"), "secret-api-key")
        with pytest.raises(CloudUnavailable) as caught:
            await client.async_get_systems()
    told = "".join(traceback.format_exception(caught.value))
    assert "TooManyRedirects" in told
    assert "secret-api-key" not in told
