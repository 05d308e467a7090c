"""Typed errors, so callers decide on the class and never parse messages.

No message ever carries a password, a token or a session id.
"""

from __future__ import annotations


class EnvoyConnectError(Exception):
    """Base class of every error raised by this package."""


class GatewayUnreachable(EnvoyConnectError):
    """The gateway did not answer, or answered with a transient error (503, timeout)."""


class GatewayMismatch(EnvoyConnectError):
    """The host answers with another gateway's serial number (an address changed)."""


class GatewayAuthRejected(EnvoyConnectError):
    """The gateway refused the local (digest) credentials of firmware < 7."""


class EnvoyTokenRejected(EnvoyConnectError):
    """The gateway refused a token, even after re-validating it."""


class InvalidToken(EnvoyConnectError):
    """A token could not be parsed, or belongs to another gateway."""


class CredentialsRequired(EnvoyConnectError):
    """Firmware >= 7 needs Enlighten credentials or a token, and none are stored."""


class EnlightenError(EnvoyConnectError):
    """Base class of the errors from the Enlighten cloud."""


class EnlightenUnavailable(EnlightenError):
    """Enlighten gave no verdict on the credentials: timeout, DNS, 5xx, or garbage.

    Never a reason to ask the user for credentials again.
    """


class EnlightenRejected(EnlightenError):
    """Enlighten refused the credentials (401/403): the user must act."""


class EnlightenMfaRequired(EnlightenError):
    """The account uses multi-factor authentication: the login has no session id.

    Tokens for such accounts must be pasted by the user.
    """
