"""Constants of Envoy Connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

DOMAIN: Final = "envoy_connect"

#: Entry data key of the persisted :class:`api.AuthState`.
CONF_AUTH_STATE: Final = "auth"
#: Entry data key of the gateway's TLS key fingerprint, trusted on first use.
CONF_GATEWAY_KEY: Final = "gateway_key"
#: Entry data key: the Enlighten account uses multi-factor authentication.
CONF_MFA: Final = "mfa"
#: Entry data key of the gateway's MAC, read once ("" when it reports none).
CONF_MAC: Final = "mac"


#: Read only by development setups (``scripts/develop``): points the token
#: service at the simulator. Users never set it; production uses Enphase's hosts.
DEV_CLOUD_URL_ENV: Final = "ENVOY_CONNECT_DEV_CLOUD_URL"

# -- Enlighten cloud (Systems API v4) -------------------------------------------
CONF_SYSTEM_ID: Final = "system_id"
CONF_ENL_UID: Final = "enl_uid"
CONF_PLAN: Final = "plan"
CONF_PER_MINUTE: Final = "per_minute"
CONF_PER_MONTH: Final = "per_month"
PLAN_CUSTOM: Final = "custom"
DEFAULT_PLAN: Final = "watt"


def is_cloud_entry_data(data: Mapping[str, Any]) -> bool:
    """True for the data of an Enlighten cloud entry, False for a local gateway."""
    return CONF_SYSTEM_ID in data
