"""What Home Assistant does with each api error: ask the user, or just retry.

One table each, shared by the coordinator (update time) and the renewal
scheduler (proactive renewal), so both always reach the same verdict.
"""

from __future__ import annotations

from .api import (
    CredentialsRequired,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenUnavailable,
    EnvoyConnectError,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayMismatch,
    GatewayUnreachable,
    InvalidToken,
    LoginThrottled,
)

#: Reauth reasons, each a translated explanation in the reauth form.
REAUTH_REASONS: dict[type[EnvoyConnectError], str] = {
    EnvoyTokenRejected: "token_rejected",
    InvalidToken: "token_rejected",
    EnlightenRejected: "credentials_rejected",
    GatewayAuthRejected: "credentials_rejected",
    EnlightenMfaRequired: "mfa_token_required",
    CredentialsRequired: "firmware_needs_enlighten",
}

#: Errors that only make entities unavailable until the next successful update.
UPDATE_ERRORS: dict[type[EnvoyConnectError], str] = {
    GatewayUnreachable: "cannot_connect",
    GatewayMismatch: "wrong_gateway",
    EnlightenUnavailable: "enlighten_unavailable",
    LoginThrottled: "login_throttled",
}


def reauth_reason(err: EnvoyConnectError) -> str | None:
    """The reauth reason for an error, or None when it is not the user's to fix."""
    return next((reason for kind, reason in REAUTH_REASONS.items() if isinstance(err, kind)), None)


def update_error_key(err: EnvoyConnectError) -> str:
    """Translation key of the UpdateFailed message for a transient error."""
    return next(
        (key for kind, key in UPDATE_ERRORS.items() if isinstance(err, kind)), "unexpected_error"
    )
