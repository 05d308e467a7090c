"""Envoy JWTs: what a token says about itself, read without verifying the signature.

Only the gateway can verify a token; we read the claims to know whose it is,
for which gateway, and when to renew it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from .errors import InvalidToken

#: Owner tokens live a year; renew them when a month is left.
OWNER_RENEW_BEFORE = timedelta(days=30)
#: Installer tokens live 12 hours; renew them with an hour left.
INSTALLER_RENEW_BEFORE = timedelta(hours=1)
#: A token that lives less than its margin is renewed after this share of its
#: life, never at once: Enphase has shortened lifetimes before, and a schedule
#: that is due the moment a token arrives logs in without end.
SHORT_TOKEN_RENEW_AFTER = 0.75


class TokenKind(StrEnum):
    """The ``enphaseUser`` claim."""

    OWNER = "owner"
    INSTALLER = "installer"


@dataclass(frozen=True, slots=True)
class EnvoyToken:
    """A parsed token. ``repr`` never shows the token itself."""

    raw: str = field(repr=False)
    kind: TokenKind
    serial: str | None
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def parse(cls, raw: str) -> EnvoyToken:
        """Read the claims of ``raw``; raise InvalidToken if it is not an Envoy JWT."""
        raw = raw.strip()
        try:
            claims = jwt.decode(raw, options={"verify_signature": False})
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
            issued_at = datetime.fromtimestamp(int(claims.get("iat", claims["exp"])), UTC)
            kind = TokenKind(claims.get("enphaseUser", TokenKind.OWNER))
        except (jwt.PyJWTError, KeyError, TypeError, ValueError, OverflowError, OSError) as err:
            raise InvalidToken("not an Envoy token") from err
        audience = claims.get("aud")
        serial = str(audience) if isinstance(audience, (str, int)) else None
        return cls(raw=raw, kind=kind, serial=serial, issued_at=issued_at, expires_at=expires_at)

    @property
    def lifetime(self) -> timedelta:
        """How long the token was issued for."""
        return self.expires_at - self.issued_at

    @property
    def renewal_margin(self) -> timedelta:
        """How long before expiry a token of this kind is normally renewed."""
        return OWNER_RENEW_BEFORE if self.kind is TokenKind.OWNER else INSTALLER_RENEW_BEFORE

    @property
    def is_short_lived(self) -> bool:
        """True when the token lives less than its renewal margin (an unusual policy)."""
        return self.lifetime <= self.renewal_margin

    @property
    def renew_at(self) -> datetime:
        """When renewal should start: the margin before expiry, but never early in its life.

        The later of "margin before expiry" and "a share of the lifetime after
        issue", so a token shorter than the margin still serves most of its life.
        """
        share = self.issued_at + max(self.lifetime, timedelta(0)) * SHORT_TOKEN_RENEW_AFTER
        return max(self.expires_at - self.renewal_margin, share)

    def is_expired(self, now: datetime) -> bool:
        """True once the gateway will refuse the token."""
        return now >= self.expires_at

    def check_serial(self, serial: str | None) -> None:
        """Raise InvalidToken when the token was issued for another gateway."""
        if serial and self.serial and self.serial != serial:
            raise InvalidToken("token belongs to another gateway")
