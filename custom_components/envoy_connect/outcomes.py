"""What each api error means to Home Assistant: one table for every flow and coordinator.

The product's promise reads off this table: a gateway or a cloud that does not
answer only makes entities unavailable until it answers again (``update``);
only a verdict on the credentials asks the user (``reauth``, with the reason
the reauth form explains). Adding an error kind is one row and its strings;
``tests/test_outcomes.py`` checks that every row has them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ImplementationUnavailableError,
    OAuth2TokenRequestBaseError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from . import issues
from .api import (
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
    EnlightenGatewayNotLinked,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenTooManySessions,
    EnlightenUnavailable,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayBadData,
    GatewayIdentityChanged,
    GatewayMismatch,
    GatewayUnreachable,
    GatewayUnsupported,
    InvalidHost,
    InvalidToken,
    LoginThrottled,
    TokenExpired,
    WriteForbidden,
    WriteNeedsInstaller,
    WriteRejected,
    WriteUnsupported,
)
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What Home Assistant does with one kind of error."""

    #: Error key of the forms (config flow, reauth, reconfigure, repair fix flows).
    form_error: str
    #: Reauth reason, when only the user can fix it: the reauth form explains it,
    #: and the exception ``reauth_<reason>`` says it. None: not the user's to fix.
    reauth: str | None = None
    #: Translation key of the UpdateFailed message while it lasts (no reauth).
    update: str | None = None
    #: Repair issue kept open while it lasts.
    repair: str | None = None
    #: Translation key of the error a control shows when a write fails this way.
    action: str | None = None


#: The error key after which a local flow switches to the token-only form.
MFA_ERROR = "mfa_required"
#: Local reauth reasons the flows name themselves (each is a row's ``reauth`` too).
TOKEN_REJECTED = "token_rejected"  # noqa: S105  # a reason, not a secret
MFA_TOKEN_REQUIRED = "mfa_token_required"  # noqa: S105
FIRMWARE_NEEDS_ENLIGHTEN = "firmware_needs_enlighten"
#: Where a reauth flow finds its reason (the ``data`` of ``async_start_reauth``).
REAUTH_REASON = "reauth_reason"

OUTCOMES: dict[type[Exception], Outcome] = {
    # -- the gateway (local mode) -------------------------------------------------
    GatewayUnreachable: Outcome(
        "cannot_connect", update="cannot_connect", action="write_unreachable"
    ),
    GatewayMismatch: Outcome("wrong_gateway", update="wrong_gateway"),
    GatewayUnsupported: Outcome("unsupported_firmware", update="unsupported_firmware"),
    GatewayBadData: Outcome("bad_data", update="bad_data", action="write_unreachable"),
    GatewayIdentityChanged: Outcome(
        "identity_changed",
        update="identity_changed",
        repair=issues.GATEWAY_IDENTITY,
        action="write_unreachable",
    ),
    GatewayAuthRejected: Outcome("invalid_auth", reauth="credentials_rejected"),
    EnvoyTokenRejected: Outcome("invalid_auth", reauth=TOKEN_REJECTED),
    InvalidToken: Outcome("token_invalid", reauth=TOKEN_REJECTED),
    TokenExpired: Outcome("token_expired", reauth=TOKEN_REJECTED),
    InvalidHost: Outcome("invalid_host", update="cannot_connect"),
    CredentialsRequired: Outcome("credentials_required", reauth=FIRMWARE_NEEDS_ENLIGHTEN),
    # -- writes (controls): the user sees why at once; nothing is retried ------------------
    WriteNeedsInstaller: Outcome("unknown", action="write_needs_installer"),
    WriteForbidden: Outcome("unknown", action="write_forbidden"),
    WriteRejected: Outcome("unknown", action="write_rejected"),
    WriteUnsupported: Outcome("unknown", action="write_unsupported"),
    # -- the Enlighten login (local mode's tokens) ------------------------------------
    EnlightenUnavailable: Outcome("enlighten_unavailable", update="enlighten_unavailable"),
    LoginThrottled: Outcome("login_throttled", update="login_throttled"),
    EnlightenRejected: Outcome("invalid_auth", reauth="credentials_rejected"),
    EnlightenAccountBlocked: Outcome("account_blocked", reauth="account_blocked"),
    EnlightenGatewayNotLinked: Outcome("gateway_not_linked", reauth="gateway_not_linked"),
    EnlightenTooManySessions: Outcome("too_many_sessions", update="too_many_sessions"),
    EnlightenClientRefused: Outcome("enlighten_refused_client", update="enlighten_refused_client"),
    EnlightenMfaRequired: Outcome(MFA_ERROR, reauth=MFA_TOKEN_REQUIRED),
    # Only an MFA login's code step meets these; elsewhere the account needs the user.
    EnlightenCodeRejected: Outcome("invalid_code", reauth=MFA_TOKEN_REQUIRED),
    EnlightenCodeBlocked: Outcome("code_blocked", reauth=MFA_TOKEN_REQUIRED),
    # -- the Systems API (cloud mode) --------------------------------------------------
    CloudUnavailable: Outcome("cloud_unavailable", update="cloud_unavailable"),
    CloudNoData: Outcome("cloud_unavailable", update="cloud_unavailable"),
    CloudRateLimited: Outcome("rate_limited", update="rate_limited"),
    CloudApiKeyRejected: Outcome(
        "invalid_api_key", update="api_key_rejected", repair=issues.API_KEY_REJECTED
    ),
    CloudAppNotAuthorized: Outcome(
        "app_not_authorized", update="app_not_authorized", repair=issues.APP_NOT_AUTHORIZED
    ),
    CloudAuthRejected: Outcome("cloud_auth_rejected", reauth="cloud_auth_rejected"),
    CloudSystemForbidden: Outcome("cloud_auth_rejected", reauth="cloud_system_forbidden"),
    # HA's OAuth2 session: a refused refresh is a verdict, anything else an outage.
    OAuth2TokenRequestReauthError: Outcome("cloud_auth_rejected", reauth="cloud_auth_rejected"),
    OAuth2TokenRequestBaseError: Outcome("cloud_unavailable", update="cloud_unavailable"),
    ImplementationUnavailableError: Outcome("cloud_unavailable", update="cloud_unavailable"),
}
#: Anything else: a bug or a surprise, logged with its traceback once.
UNKNOWN = Outcome("unknown", update="unexpected_error", action="write_failed")

#: Errors of cloud mode; its reauth is OAuth again, one flow whatever the reason.
_CLOUD_ERRORS = (CloudError, OAuth2TokenRequestBaseError)
#: Local reauth reasons, each a step of its own (``reauth_<reason>``) with its text.
LOCAL_REAUTH_REASONS: tuple[str, ...] = tuple(
    dict.fromkeys(
        o.reauth for k, o in OUTCOMES.items() if o.reauth and not issubclass(k, _CLOUD_ERRORS)
    )
)


def outcome_of(err: BaseException) -> Outcome:
    """The row for ``err``: its own class, else the nearest base class in the table."""
    for kind in type(err).__mro__:
        if (found := OUTCOMES.get(kind)) is not None:
            return found
    return UNKNOWN


def form_error(err: Exception, context: str) -> dict[str, str]:
    """Form errors for ``err``; an unexpected error is logged with its traceback."""
    found = outcome_of(err)
    if found is UNKNOWN:
        _LOGGER.exception("Unexpected error while %s", context)
    return {"base": found.form_error}


def raise_for(
    hass: HomeAssistant, entry: ConfigEntry[Any], err: Exception, **placeholders: str
) -> NoReturn:
    """Raise what a coordinator raises for ``err``: reauth, or UpdateFailed (and its repair)."""
    found = outcome_of(err)
    if start_reauth(hass, entry, err):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key=f"reauth_{found.reauth}"
        ) from err
    show_repair(hass, entry, err, **placeholders)
    if isinstance(err, LoginThrottled):
        # Rounded up: "until 22:29" read at 22:29:38 would already be over.
        until = dt_util.as_local(err.retry_at)
        if until.second or until.microsecond:
            until += timedelta(minutes=1)
        placeholders["until"] = until.strftime("%H:%M")
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=found.update,
        translation_placeholders={"error": type(err).__name__, **placeholders},
    ) from err


def show_repair(
    hass: HomeAssistant, entry: ConfigEntry[Any], err: Exception, **placeholders: str
) -> None:
    """Show the repair the table names for ``err``, if it names one."""
    if (repair := outcome_of(err).repair) is not None:
        issues.async_show_problem(hass, entry, repair, _repair_details(err, placeholders))


def _repair_details(err: Exception, placeholders: dict[str, str]) -> dict[str, str]:
    """What the repair of ``err`` names besides the entry."""
    if isinstance(err, GatewayIdentityChanged):
        return {"trusted": err.trusted, "presented": err.presented, **placeholders}
    if isinstance(err, CloudAppNotAuthorized):
        return {"access": err.access}
    return {}


def start_reauth(hass: HomeAssistant, entry: ConfigEntry[Any], err: Exception) -> bool:
    """Start the reauth flow ``err`` calls for, with its reason; False when it calls for none."""
    if (reason := outcome_of(err).reauth) is None:
        return False
    entry.async_start_reauth(hass, data={REAUTH_REASON: reason})
    return True
