"""Client for the Enlighten Systems API v4 (the official cloud API, "cloud mode").

Follows Home Assistant's library auth pattern: the caller provides an
:class:`AbstractAuth` that hands out a valid OAuth access token, so refreshing
and persisting tokens stays with whoever owns them. Every request also carries
the application's API key, and every request is reported through
``on_request`` so the caller can keep a request budget.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import aiohttp

from .errors import (
    CloudApiKeyRejected,
    CloudAppNotAuthorized,
    CloudAuthRejected,
    CloudNoData,
    CloudRateLimited,
    CloudSystemForbidden,
    CloudUnavailable,
)
from .http import read_bounded
from .values import MAX_ENERGY_WH, MAX_INTERVAL_WH, MAX_POWER_W, ValueGuard

_LOGGER = logging.getLogger(__name__)

API_URL = "https://api.enphaseenergy.com"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class AbstractAuth(ABC):
    """Provides the session and a valid access token for API requests."""

    def __init__(self, websession: aiohttp.ClientSession, host: str = API_URL) -> None:
        """Requests go to ``host`` on ``websession``."""
        self.websession = websession
        self.host = host.rstrip("/")

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return a valid access token, refreshing it first when needed.

        :raises Exception: whatever the implementation raises when the refresh fails;
            ``SystemsApi`` callers treat it as the implementation documents.
        """


@dataclass(frozen=True, slots=True)
class CloudSystemInfo:
    """A system the authorized user can read."""

    system_id: int
    name: str
    timezone: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class CloudSummary:
    """``/summary``: the system right now."""

    status: str | None
    current_power: float | None
    energy_today: float | None
    energy_lifetime: float | None
    last_report_at: datetime | None
    modules: int | None
    size_w: float | None
    source: str | None
    battery_capacity_wh: float | None


@dataclass(frozen=True, slots=True)
class Interval:
    """One telemetry interval (5 minutes for production, 15 for meters and batteries)."""

    end_at: int
    enwh: float | None = None
    charge_wh: float | None = None
    discharge_wh: float | None = None
    soc: float | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _nested(value: Any, key: str) -> Any:
    """Battery fields come as ``{"enwh": 5}`` / ``{"percent": 80}`` or as plain numbers."""
    return value.get(key) if isinstance(value, dict) else value


class SystemsApi:
    """Reads systems, summaries and telemetry; raises the ``Cloud*`` errors of :mod:`.errors`."""

    def __init__(
        self,
        auth: AbstractAuth,
        api_key: str,
        *,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        """``on_request`` is called once for every request sent to the API."""
        self._auth = auth
        self._api_key = api_key
        self.on_request = on_request
        #: Checks every number of every answer; its ``rejected`` goes to diagnostics.
        self.values = ValueGuard()

    async def async_get_systems(self) -> list[CloudSystemInfo]:
        """Systems the authorized user can read.

        :raises CloudError: the request failed; the subclass says why.
        """
        body = await self._get("/api/v4/systems", {"size": 100})
        systems = body.get("systems")
        if not isinstance(systems, list):
            systems = []
        return [
            CloudSystemInfo(
                system_id=s["system_id"],
                name=_text(s.get("name")) or str(s["system_id"]),
                timezone=_text(s.get("timezone")),
                status=_text(s.get("status")),
            )
            for s in systems
            if isinstance(s, dict)
            and isinstance(s.get("system_id"), int)
            and not isinstance(s["system_id"], bool)
        ]

    async def async_get_summary(self, system_id: int) -> CloudSummary:
        """The system's summary.

        :raises CloudError: the request failed; the subclass says why.
        """
        body = await self._get(f"/api/v4/systems/{system_id}/summary")
        check = self.values
        return CloudSummary(
            status=_text(body.get("status")),
            current_power=check.number(body.get("current_power"), "current_power", MAX_POWER_W),
            energy_today=check.number(body.get("energy_today"), "energy_today", MAX_ENERGY_WH),
            energy_lifetime=check.number(
                body.get("energy_lifetime"), "energy_lifetime", MAX_ENERGY_WH
            ),
            last_report_at=check.timestamp(body.get("last_report_at"), "last_report_at"),
            modules=check.count(body.get("modules"), "modules"),
            size_w=check.number(body.get("size_w"), "size_w", MAX_POWER_W),
            source=_text(body.get("source")),
            battery_capacity_wh=check.number(
                body.get("battery_capacity_wh"), "battery_capacity_wh", MAX_ENERGY_WH
            ),
        )

    async def async_get_telemetry(
        self, system_id: int, kind: str, start_at: int | None
    ) -> list[Interval]:
        """Intervals of ``consumption_meter`` or ``battery`` telemetry after ``start_at``.

        Only intervals that end after ``start_at`` are returned, oldest first,
        so a caller that passes its last ``end_at`` never counts one twice.

        :raises CloudNoData: the system has no such telemetry.
        :raises CloudAppNotAuthorized: the application may not read it (401 or 403).
        :raises CloudError: the request failed otherwise.
        """
        params = {"granularity": "day"}
        if start_at is not None:
            params["start_at"] = str(start_at)
        body = await self._get(f"/api/v4/systems/{system_id}/telemetry/{kind}", params)
        check = self.values
        intervals: dict[int, Interval] = {}
        raws = body.get("intervals")
        for raw in raws if isinstance(raws, list) else []:
            ended = check.timestamp(raw.get("end_at"), "end_at") if isinstance(raw, dict) else None
            if ended is None or (start_at is not None and ended.timestamp() <= start_at):
                continue
            end_at = int(ended.timestamp())
            intervals[end_at] = Interval(  # a repeated end_at is one interval, not two
                end_at=end_at,
                enwh=check.number(raw.get("enwh"), "enwh", MAX_INTERVAL_WH),
                charge_wh=check.number(
                    _nested(raw.get("charge"), "enwh"), "charge", MAX_INTERVAL_WH
                ),
                discharge_wh=check.number(
                    _nested(raw.get("discharge"), "enwh"), "discharge", MAX_INTERVAL_WH
                ),
                soc=check.percent(_nested(raw.get("soc"), "percent"), "soc"),
            )
        return [intervals[end] for end in sorted(intervals)]

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        token = await self._auth.async_get_access_token()
        # Enphase documents the key as a query parameter and accepts it as a
        # header; both carry it, so either reading of the request works.
        headers = {"Authorization": f"Bearer {token}", "key": self._api_key}
        params = {**(params or {}), "key": self._api_key}
        if self.on_request is not None:
            self.on_request()
        try:
            async with self._auth.websession.get(
                f"{self._auth.host}{path}",
                params=params,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
            ) as resp:
                raw = await read_bounded(resp)
                if resp.status == 200:
                    body = json.loads(raw)
                    if not isinstance(body, dict):
                        raise CloudUnavailable(f"{path}: answer is not an object")
                    return body
                _raise_for_status(path, resp.status, raw.decode(errors="replace"))
        except TimeoutError as err:
            raise CloudUnavailable(f"{path}: timed out") from err
        except aiohttp.ClientError as err:
            # Not chained: aiohttp's own text may carry the URL, and with it the API key.
            raise CloudUnavailable(f"{path}: {type(err).__name__}") from None
        except ValueError as err:
            raise CloudUnavailable(f"{path}: invalid JSON") from err


#: The developer portal's access controls, as it names them, of the data this client reads.
SYSTEM_DETAILS = "System Details"
CONSUMPTION_MONITORING = "Site Level Consumption Monitoring"


def access_control(path: str) -> str:
    """Which access control an application needs for ``path`` (Monitoring API groups)."""
    if "/telemetry/consumption_meter" in path or "/telemetry/battery" in path:
        return CONSUMPTION_MONITORING
    return SYSTEM_DETAILS


def _raise_for_status(path: str, status: int, text: str) -> NoReturn:
    """Map an error answer to a typed error; never includes the answer in full."""
    lowered = text.lower()
    _LOGGER.debug("Enlighten API %s answered %s", path, status)
    if status in (401, 403):
        # Documented texts (System API swagger, live_data 401): "API key is
        # missing", "API Key is invalid", "API Key -Client mismatch" (also seen
        # as 403), "Application is not authorized to access the requested
        # resource". None of them is the user's consent, so none is a reauth.
        if "api key" in lowered:
            raise CloudApiKeyRejected(f"{path}: the API key was rejected")
        if "application is not authorized" in lowered:
            raise CloudAppNotAuthorized(
                f"{path}: the application lacks an access control", access=access_control(path)
            )
        if status == 403 and "/telemetry/" in path:
            # The swagger's 403 "Not authorized to access this resource": the
            # same token has just read this system's summary (the coordinator
            # reads it first), so the refusal is the application's, and
            # signing in again would only loop.
            raise CloudAppNotAuthorized(
                f"{path}: the application may not read this data", access=access_control(path)
            )
    if status == 401:
        raise CloudAuthRejected(f"{path}: the access token was rejected")
    if status == 403:
        raise CloudSystemForbidden(f"{path}: no access")
    if status == 404:
        raise CloudNoData(f"{path}: no such data")
    if status == 429:
        raise _rate_limited(path, text)
    raise CloudUnavailable(f"{path}: HTTP {status}")


def _rate_limited(path: str, text: str) -> CloudRateLimited:
    """A 429, read from its ``period`` and ``period_end``.

    Real answer (Enphase's System API swagger, and users' reports):
    ``{"message":"Too Many Requests","details":"Usage limit exceeded for plan
    Kilowatt","code":429,"period":"minute","period_start":…,"period_end":…,
    "limit":…}``; the text is the same for both limits. Without a ``period``,
    the caller decides from what it knows (see ``CloudCoordinator``).
    """
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    period = body.get("period")
    monthly = {"minute": False, "month": True}.get(period) if isinstance(period, str) else None
    until = ValueGuard().timestamp(body.get("period_end"), "period_end")
    return CloudRateLimited(
        f"{path}: rate limited ({period or 'period unknown'})", monthly=monthly, until=until
    )
