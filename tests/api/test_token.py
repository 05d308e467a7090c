"""JWT parsing and renewal windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.envoy_connect.api import EnvoyToken, InvalidToken, TokenKind
from simulator.enlighten import EnlightenSimulator


@pytest.fixture
def cloud() -> EnlightenSimulator:
    return EnlightenSimulator()


def test_owner_token(cloud: EnlightenSimulator) -> None:
    raw = cloud.mint_token("1234", kind="owner", issued_at=1_700_000_000)
    token = EnvoyToken.parse(raw)
    assert token.kind is TokenKind.OWNER
    assert token.serial == "1234"
    assert token.expires_at == datetime.fromtimestamp(1_700_000_000, UTC) + timedelta(days=365)
    assert token.renew_at == token.expires_at - timedelta(days=30)
    assert raw not in repr(token)


def test_installer_token(cloud: EnlightenSimulator) -> None:
    token = EnvoyToken.parse(cloud.mint_token("1234", kind="installer", issued_at=1_700_000_000))
    assert token.kind is TokenKind.INSTALLER
    assert token.expires_at - token.issued_at == timedelta(hours=12)
    assert token.renew_at == token.expires_at - timedelta(hours=1)
    assert not token.is_expired(token.renew_at)
    assert token.is_expired(token.expires_at)


@pytest.mark.parametrize("raw", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_invalid(raw: str) -> None:
    with pytest.raises(InvalidToken):
        EnvoyToken.parse(raw)


def test_other_serial(cloud: EnlightenSimulator) -> None:
    token = EnvoyToken.parse(cloud.mint_token("1234"))
    token.check_serial("1234")
    token.check_serial(None)
    with pytest.raises(InvalidToken):
        token.check_serial("9999")
