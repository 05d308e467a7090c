"""Client for the Enlighten Systems API v4 (the official cloud API, "cloud mode").

Follows Home Assistant's library auth pattern: the caller provides an
:class:`AbstractAuth` that hands out a valid OAuth access token, so refreshing
and persisting tokens stays with whoever owns them. Every request also carries
the application's API key, and every request is reported through
``on_request`` so the caller can keep a request budget.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import aiohttp

from .errors import (
    CloudApiKeyRejected,
    CloudAuthRejected,
    CloudNoData,
    CloudRateLimited,
    CloudSystemForbidden,
    CloudUnavailable,
)

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
        """Return a valid access token, refreshing it first when needed."""


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
    """One telemetry interval (5 minutes)."""

    end_at: int
    enwh: float | None = None
    charge_wh: float | None = None
    discharge_wh: float | None = None
    soc: float | None = None


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, (int, float)) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _nested(value: Any, key: str) -> float | None:
    """Battery fields come as ``{"enwh": 5}`` / ``{"percent": 80}`` or as plain numbers."""
    return _number(value.get(key)) if isinstance(value, dict) else _number(value)


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

    async def async_get_systems(self) -> list[CloudSystemInfo]:
        """Systems the authorized user can read.

        :raises CloudError: the request failed; the subclass says why.
        """
        body = await self._get("/api/v4/systems", {"size": 100})
        return [
            CloudSystemInfo(
                system_id=int(s["system_id"]),
                name=str(s.get("name") or s["system_id"]),
                timezone=s.get("timezone"),
                status=s.get("status"),
            )
            for s in body.get("systems", [])
            if isinstance(s, dict) and "system_id" in s
        ]

    async def async_get_summary(self, system_id: int) -> CloudSummary:
        """The system's summary.

        :raises CloudError: the request failed; the subclass says why.
        """
        body = await self._get(f"/api/v4/systems/{system_id}/summary")
        return CloudSummary(
            status=body.get("status"),
            current_power=_number(body.get("current_power")),
            energy_today=_number(body.get("energy_today")),
            energy_lifetime=_number(body.get("energy_lifetime")),
            last_report_at=_timestamp(body.get("last_report_at")),
            modules=int(body["modules"]) if isinstance(body.get("modules"), int) else None,
            size_w=_number(body.get("size_w")),
            source=body.get("source"),
            battery_capacity_wh=_number(body.get("battery_capacity_wh")),
        )

    async def async_get_telemetry(
        self, system_id: int, kind: str, start_at: int | None
    ) -> list[Interval]:
        """Intervals of ``consumption_meter`` or ``battery`` telemetry after ``start_at``.

        Only intervals that end after ``start_at`` are returned, oldest first,
        so a caller that passes its last ``end_at`` never counts one twice.

        :raises CloudNoData: the system has no such telemetry.
        :raises CloudError: the request failed otherwise.
        """
        params = {"granularity": "day"}
        if start_at is not None:
            params["start_at"] = str(start_at)
        body = await self._get(f"/api/v4/systems/{system_id}/telemetry/{kind}", params)
        intervals: list[Interval] = []
        for raw in body.get("intervals") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("end_at"), int):
                continue
            if start_at is not None and raw["end_at"] <= start_at:
                continue
            intervals.append(
                Interval(
                    end_at=raw["end_at"],
                    enwh=_number(raw.get("enwh")),
                    charge_wh=_nested(raw.get("charge"), "enwh"),
                    discharge_wh=_nested(raw.get("discharge"), "enwh"),
                    soc=_nested(raw.get("soc"), "percent"),
                )
            )
        return sorted(intervals, key=lambda i: i.end_at)

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
                if resp.status == 200:
                    body = await resp.json(content_type=None)
                    if not isinstance(body, dict):
                        raise CloudUnavailable(f"{path}: answer is not an object")
                    return body
                text = await resp.text()
                _raise_for_status(path, resp.status, text)
        except TimeoutError as err:
            raise CloudUnavailable(f"{path}: timed out") from err
        except aiohttp.ClientError as err:
            raise CloudUnavailable(f"{path}: {type(err).__name__}") from err
        except ValueError as err:
            raise CloudUnavailable(f"{path}: invalid JSON") from err


def _raise_for_status(path: str, status: int, text: str) -> NoReturn:
    """Map an error answer to a typed error; never includes the answer in full."""
    lowered = text.lower()
    _LOGGER.debug("Enlighten API %s answered %s", path, status)
    if status == 401:
        if "api key" in lowered:
            raise CloudApiKeyRejected(f"{path}: the API key was rejected")
        raise CloudAuthRejected(f"{path}: the access token was rejected")
    if status == 403:
        raise CloudSystemForbidden(f"{path}: no access")
    if status == 404:
        raise CloudNoData(f"{path}: no such data")
    if status == 429:
        if "per-minute" in lowered or "per minute" in lowered:
            monthly: bool | None = False
        elif "usage limit" in lowered or "month" in lowered:
            monthly = True
        else:
            monthly = None
        raise CloudRateLimited(f"{path}: rate limited", monthly=monthly)
    raise CloudUnavailable(f"{path}: HTTP {status}")
