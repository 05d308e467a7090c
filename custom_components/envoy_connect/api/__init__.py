"""Protocol and authentication for Enphase gateways and Enlighten, free of Home Assistant.

Could be published on its own: every client takes an aiohttp session, raises
the typed errors of :mod:`.errors`, and keeps no global state.

- Local mode: :class:`EnvoyGateway` reads one gateway through pyenphase; its
  :class:`TokenManager` keeps the Envoy token, obtained by :class:`EnlightenLogin`.
- Cloud mode: :class:`SystemsApi` reads the Enlighten Systems API v4, paced by
  the arithmetic in :mod:`.budget`.
"""

from .budget import PLANS, Plan, poll_interval
from .enlighten_login import EnlightenEndpoints, EnlightenLogin
from .errors import (
    CloudApiKeyRejected,
    CloudAppNotAuthorized,
    CloudAuthRejected,
    CloudError,
    CloudNoData,
    CloudRateLimited,
    CloudSystemForbidden,
    CloudUnavailable,
    CredentialsRequired,
    EnlightenAccountBlocked,
    EnlightenClientRefused,
    EnlightenCodeBlocked,
    EnlightenCodeRejected,
    EnlightenError,
    EnlightenGatewayNotLinked,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenTooManySessions,
    EnlightenUnavailable,
    EnvoyConnectError,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayBadData,
    GatewayIdentityChanged,
    GatewayMismatch,
    GatewayUnreachable,
    GatewayUnsupported,
    InvalidHost,
    InvalidToken,
    LoginFailure,
    LoginThrottled,
    MfaChallenge,
    TokenExpired,
    WriteForbidden,
    WriteNeedsInstaller,
    WriteRefused,
    WriteRejected,
    WriteUnsupported,
)
from .gateway import LOCAL_ACCOUNTS, EnvoyGateway
from .hosts import normalize_host
from .http import GatewayCookieJar, SessionGuard
from .probing import GatewayCapabilities
from .systems_api import API_URL, AbstractAuth, CloudSummary, CloudSystemInfo, Interval, SystemsApi
from .token import EnvoyToken, TokenKind
from .token_manager import MAX_CONSECUTIVE_REJECTIONS, AuthState, TokenManager

__all__ = [
    "API_URL",
    "LOCAL_ACCOUNTS",
    "MAX_CONSECUTIVE_REJECTIONS",
    "PLANS",
    "AbstractAuth",
    "AuthState",
    "CloudApiKeyRejected",
    "CloudAppNotAuthorized",
    "CloudAuthRejected",
    "CloudError",
    "CloudNoData",
    "CloudRateLimited",
    "CloudSummary",
    "CloudSystemForbidden",
    "CloudSystemInfo",
    "CloudUnavailable",
    "CredentialsRequired",
    "EnlightenAccountBlocked",
    "EnlightenClientRefused",
    "EnlightenCodeBlocked",
    "EnlightenCodeRejected",
    "EnlightenEndpoints",
    "EnlightenError",
    "EnlightenGatewayNotLinked",
    "EnlightenLogin",
    "EnlightenMfaRequired",
    "EnlightenRejected",
    "EnlightenTooManySessions",
    "EnlightenUnavailable",
    "EnvoyConnectError",
    "EnvoyGateway",
    "EnvoyToken",
    "EnvoyTokenRejected",
    "GatewayAuthRejected",
    "GatewayBadData",
    "GatewayCapabilities",
    "GatewayCookieJar",
    "GatewayIdentityChanged",
    "GatewayMismatch",
    "GatewayUnreachable",
    "GatewayUnsupported",
    "Interval",
    "InvalidHost",
    "InvalidToken",
    "LoginFailure",
    "LoginThrottled",
    "MfaChallenge",
    "Plan",
    "SessionGuard",
    "SystemsApi",
    "TokenExpired",
    "TokenKind",
    "TokenManager",
    "WriteForbidden",
    "WriteNeedsInstaller",
    "WriteRefused",
    "WriteRejected",
    "WriteUnsupported",
    "normalize_host",
    "poll_interval",
]
