"""Protocol and authentication for Enphase gateways, free of Home Assistant.

Could be published on its own: it takes an aiohttp session, raises the typed
errors in :mod:`.errors`, and keeps no global state.
"""

from .auth import MAX_CONSECUTIVE_REJECTIONS, AuthState, TokenManager
from .budget import PLANS, Plan, poll_interval
from .cloud import (
    API_URL,
    AbstractAuth,
    CloudApiKeyRejected,
    CloudAuthRejected,
    CloudError,
    CloudNoData,
    CloudRateLimited,
    CloudSummary,
    CloudSystemForbidden,
    CloudSystemInfo,
    CloudUnavailable,
    EnlightenCloud,
    Interval,
)
from .enlighten import EnlightenClient, EnlightenEndpoints
from .errors import (
    CredentialsRequired,
    EnlightenError,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    EnvoyConnectError,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayMismatch,
    GatewayUnreachable,
    InvalidToken,
    LoginFailure,
    LoginThrottled,
)
from .gateway import LOCAL_ACCOUNTS, EnvoyGateway, FirmwareChange
from .http import ResponseLog
from .token import EnvoyToken, TokenKind

__all__ = [
    "API_URL",
    "LOCAL_ACCOUNTS",
    "MAX_CONSECUTIVE_REJECTIONS",
    "PLANS",
    "AbstractAuth",
    "AuthState",
    "CloudApiKeyRejected",
    "CloudAuthRejected",
    "CloudError",
    "CloudNoData",
    "CloudRateLimited",
    "CloudSummary",
    "CloudSystemForbidden",
    "CloudSystemInfo",
    "CloudUnavailable",
    "CredentialsRequired",
    "EnlightenClient",
    "EnlightenCloud",
    "EnlightenEndpoints",
    "EnlightenError",
    "EnlightenMfaRequired",
    "EnlightenRejected",
    "EnlightenUnavailable",
    "EnvoyConnectError",
    "EnvoyGateway",
    "EnvoyToken",
    "EnvoyTokenRejected",
    "FirmwareChange",
    "GatewayAuthRejected",
    "GatewayMismatch",
    "GatewayUnreachable",
    "Interval",
    "InvalidToken",
    "LoginFailure",
    "LoginThrottled",
    "Plan",
    "ResponseLog",
    "TokenKind",
    "TokenManager",
    "poll_interval",
]
