"""Where Enphase's services are; development setups point them all at the simulator."""

from __future__ import annotations

import os

from .api import API_URL, EnlightenEndpoints
from .const import DEV_CLOUD_URL_ENV

#: Development only (see ``const.DEV_CLOUD_URL_ENV``); tests patch this name.
CLOUD_URL_OVERRIDE: str | None = os.environ.get(DEV_CLOUD_URL_ENV) or None


def enlighten_endpoints() -> EnlightenEndpoints:
    """The Enlighten login and token services."""
    if CLOUD_URL_OVERRIDE:
        return EnlightenEndpoints.single(CLOUD_URL_OVERRIDE)
    return EnlightenEndpoints()


def cloud_api_url() -> str:
    """Base URL of the Enlighten Systems API and its OAuth endpoints."""
    return CLOUD_URL_OVERRIDE or API_URL
