"""Typed errors, so callers decide on the class and never parse messages.

No message ever carries a password, a token, a code or a session id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar


class EnvoyConnectError(Exception):
    """Base class of every error raised by this package."""


# -- the gateway -------------------------------------------------------------------
class GatewayUnreachable(EnvoyConnectError):
    """The gateway did not answer, or answered with a transient error (503, timeout)."""


class GatewayIdentityChanged(EnvoyConnectError):
    """The gateway's address presents another TLS key than the one trusted: nothing was sent.

    It may be a replaced gateway, or an impostor on the LAN; only the user can tell.
    """

    def __init__(self, message: str, *, trusted: str, presented: str) -> None:
        """Both keys, for the user to compare."""
        super().__init__(message)
        self.trusted = trusted
        self.presented = presented


class GatewayBadData(EnvoyConnectError):
    """The gateway answered something that cannot be read (broken XML or JSON, odd types)."""


class GatewayUnsupported(EnvoyConnectError):
    """The gateway answers, but offers none of the data endpoints pyenphase reads.

    Firmware 3.7 serves only HTML pages, for example.
    """


class GatewayMismatch(EnvoyConnectError):
    """The host answers with another gateway's serial number (an address changed)."""


class GatewayAuthRejected(EnvoyConnectError):
    """The gateway refused the local (digest) credentials of firmware < 7."""


class EnvoyTokenRejected(EnvoyConnectError):
    """The gateway refused a token (401/403), even after re-validating it."""


class InvalidToken(EnvoyConnectError):
    """A token could not be parsed, or belongs to another gateway."""


class TokenExpired(InvalidToken):
    """A pasted token has already expired."""


class InvalidHost(EnvoyConnectError):
    """What was entered as the gateway's address is not a host (with an optional port)."""


class CredentialsRequired(EnvoyConnectError):
    """Firmware >= 7 needs Enlighten credentials or a token, and none are stored."""


# -- Enlighten login (local tokens) ---------------------------------------------------
class LoginFailure(StrEnum):
    """Why the last Enlighten login failed; stored with the auth state."""

    REJECTED = "rejected"
    MFA_REQUIRED = "mfa_required"
    UNAVAILABLE = "unavailable"


class EnlightenError(EnvoyConnectError):
    """Base class of the errors from the Enlighten login and token services."""

    #: What the token manager records, and repeats while it waits.
    failure: ClassVar[LoginFailure] = LoginFailure.UNAVAILABLE
    #: A verdict on the credentials: counted, backed off, and stopped after three.
    is_verdict: ClassVar[bool] = False


class EnlightenUnavailable(EnlightenError):
    """Enlighten gave no verdict on the credentials: timeout, DNS, 5xx, or garbage.

    Never a reason to ask the user for credentials again.
    """


class EnlightenRejected(EnlightenError):
    """Enlighten refused the credentials (401/403): the user must act."""

    failure = LoginFailure.REJECTED
    is_verdict = True

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """``status``: the HTTP status of the refusal, when there was one."""
        super().__init__(message)
        self.status = status


class EnlightenAccountBlocked(EnlightenRejected):
    """Enlighten blocked the account (``"isBlocked": true``), e.g. after failed logins.

    Not a wrong password and not MFA: the user unblocks it with Enphase first.
    """


class EnlightenGatewayNotLinked(EnlightenRejected):
    """The token service refused this gateway (403): it is not on the account's sites."""


class EnlightenTooManySessions(EnlightenUnavailable):
    """Enlighten refused a new session: too many are active. Not a credential verdict."""


class EnlightenClientRefused(EnlightenUnavailable):
    """Enlighten answered 406 Not Acceptable: it refuses this client, not the credentials."""


class EnlightenMfaRequired(EnlightenError):
    """The account uses multi-factor authentication: the login has no session id.

    Enphase has emailed a one-time code; ``challenge`` (when the login came this
    far) continues the login with it. A token can also be pasted instead.
    """

    failure = LoginFailure.MFA_REQUIRED
    is_verdict = True

    def __init__(self, message: str, *, challenge: MfaChallenge | None = None) -> None:
        """Keep the pending login (never part of the message)."""
        super().__init__(message)
        self.challenge = challenge


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    """A login waiting for its one-time code: the account, the gateway, Enlighten's cookies.

    Lives as long as the flow that asks for the code; never stored, never logged.
    """

    username: str
    serial: str
    cookies: dict[str, str] = field(repr=False)


class EnlightenCodeRejected(EnlightenError):
    """The one-time code was wrong or expired (``"isValid": false``)."""

    is_verdict = True


class EnlightenCodeBlocked(EnlightenError):
    """Enlighten blocks the one-time code: too many wrong codes or new codes (429)."""

    is_verdict = True


class LoginThrottled(EnlightenError):
    """We hold back a login to protect the account: too soon, or too many this hour/day.

    Not a verdict: the login is attempted again at ``retry_at``.
    """

    def __init__(self, message: str, retry_at: datetime) -> None:
        """Remember when a login is allowed again."""
        super().__init__(message)
        self.retry_at = retry_at


#: The error class that repeats a stored failure while the manager waits.
FAILURE_ERRORS: dict[LoginFailure, type[EnlightenError]] = {
    LoginFailure.REJECTED: EnlightenRejected,
    LoginFailure.MFA_REQUIRED: EnlightenMfaRequired,
    LoginFailure.UNAVAILABLE: EnlightenUnavailable,
}


# -- Enlighten Systems API v4 (cloud mode) --------------------------------------------
class CloudError(EnvoyConnectError):
    """Base class of the Systems API errors."""


class CloudUnavailable(CloudError):
    """Timeout, connection error, 5xx or an unreadable answer: try again later."""


class CloudAuthRejected(CloudError):
    """The access token (or the user's consent) is no longer valid: reauthorize."""


class CloudApiKeyRejected(CloudError):
    """The API key is missing, invalid or of another application (401 or 403 "API Key")."""


class CloudAppNotAuthorized(CloudError):
    """The application lacks an access control this data needs.

    401 "Application is not authorized to access the requested resource", or a
    403 on telemetry of a system whose summary the same token reads: the access
    control was not ticked when the application was created on the developer
    portal. Neither a reauth nor a new key fixes it.
    """

    def __init__(self, message: str, *, access: str) -> None:
        """``access``: the developer portal's name of the missing access control."""
        super().__init__(message)
        self.access = access


class CloudSystemForbidden(CloudError):
    """The authorized user has no access to this system (403)."""


class CloudNoData(CloudError):
    """The system has no such data, e.g. no consumption meter (404)."""


class CloudRateLimited(CloudError):
    """429: a per-minute or the monthly limit of the plan was reached.

    The answer's text is the same for both limits; only its ``period``
    ("minute" or "month") tells them apart, and ``period_end`` says when the
    limit resets. ``monthly`` is None and ``until`` None when the answer does
    not say.
    """

    def __init__(
        self, message: str, *, monthly: bool | None, until: datetime | None = None
    ) -> None:
        """Remember which limit the service named, and when it resets."""
        super().__init__(message)
        self.monthly = monthly
        self.until = until


# -- writes to the gateway (controls) ------------------------------------------------------
class WriteRefused(EnvoyConnectError):
    """The gateway did not apply a setting."""


class WriteForbidden(WriteRefused):
    """The gateway refused the write (401/403) with the credentials in use."""


class WriteNeedsInstaller(WriteForbidden):
    """The gateway refused the write to an owner token: installer rights are needed."""


class WriteRejected(WriteRefused):
    """The gateway (or pyenphase's checks) refused the value itself (4xx, out of range)."""


class WriteUnsupported(WriteRefused):
    """The gateway does not offer this control (any more)."""
