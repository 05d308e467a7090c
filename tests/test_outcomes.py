"""The outcome table: every row has its strings, and the verdicts keep the promise."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.envoy_connect import api
from custom_components.envoy_connect.const import DOMAIN
from custom_components.envoy_connect.outcomes import (
    LOCAL_REAUTH_REASONS,
    OUTCOMES,
    UNKNOWN,
    outcome_of,
    raise_for,
)

STRINGS = json.loads(
    (Path(__file__).parents[1] / "custom_components/envoy_connect/strings.json").read_text()
)
EN = json.loads(
    (Path(__file__).parents[1] / "custom_components/envoy_connect/translations/en.json").read_text()
)
ROWS = [*OUTCOMES.items(), (Exception, UNKNOWN)]


def test_english_is_strings_json() -> None:
    """HA loads translations/en.json; strings.json is the source it must equal."""
    assert EN == STRINGS


@pytest.mark.parametrize(("kind", "outcome"), ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_row_has_its_strings(kind: type[Exception], outcome: object) -> None:
    row = OUTCOMES.get(kind, UNKNOWN)
    assert row.form_error in STRINGS["config"]["error"]
    if not issubclass(kind, (api.CloudError, HomeAssistantError)):
        # Local errors can also meet the user in the token repairs' credentials form.
        for issue in ("token_expiring", "token_short_lived"):
            assert row.form_error in STRINGS["issues"][issue]["fix_flow"]["error"]
    # Each error is either the user's to fix (reauth) or waited out (update), never both;
    # an error only writes can meet is shown to the user at once (action).
    assert (row.reauth is None) != (row.update is None) or (
        row.reauth is None and row.update is None and row.action is not None
    )
    if row.action is not None:
        assert row.action in STRINGS["exceptions"]
    if row.reauth is not None:
        assert f"reauth_{row.reauth}" in STRINGS["exceptions"]
    if row.update is not None:
        assert row.update in STRINGS["exceptions"]
    if row.repair is not None:
        assert row.repair in STRINGS["issues"]


@pytest.mark.parametrize("reason", LOCAL_REAUTH_REASONS)
def test_every_local_reauth_reason_has_its_form(reason: str) -> None:
    step = STRINGS["config"]["step"][f"reauth_{reason}"]
    assert step["title"]
    assert step["description"]


@pytest.mark.parametrize(
    "err",
    [
        api.GatewayUnreachable("x"),
        api.EnlightenUnavailable("x"),
        api.CloudUnavailable("x"),
        api.CloudRateLimited("x", monthly=False),
        api.LoginThrottled("x", retry_at=None),  # type: ignore[arg-type]
    ],
    ids=type,
)
def test_an_outage_is_never_a_prompt(err: Exception) -> None:
    assert outcome_of(err).reauth is None


@pytest.mark.parametrize(
    ("retry_at", "shown"), [("22:29:38", "22:30"), ("22:29:00", "22:29"), ("23:59:01", "00:00")]
)
async def test_a_held_back_login_names_a_time_still_ahead(
    hass: HomeAssistant, retry_at: str, shown: str
) -> None:
    """The message's minute is never already over when the user reads it."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    when = datetime.fromisoformat(f"2026-11-24T{retry_at}").replace(
        tzinfo=dt_util.get_default_time_zone()
    )
    with pytest.raises(UpdateFailed) as raised:
        raise_for(hass, entry, api.LoginThrottled("x", retry_at=when))
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["until"] == shown


@pytest.mark.parametrize(
    "err",
    [api.EnlightenRejected("x"), api.EnvoyTokenRejected("x"), api.CloudAuthRejected("x")],
    ids=type,
)
def test_a_verdict_asks_the_user(err: Exception) -> None:
    assert outcome_of(err).reauth is not None


def test_every_api_error_has_a_row() -> None:
    """A new error class in api/errors.py must be given a meaning here."""
    classes = [
        value
        for value in vars(api.errors).values()
        if isinstance(value, type) and issubclass(value, api.EnvoyConnectError)
    ]
    bases = {api.EnvoyConnectError, api.EnlightenError, api.CloudError, api.WriteRefused}
    for kind in classes:
        if kind not in bases:
            assert kind in OUTCOMES, kind.__name__


def test_every_icon_names_a_translated_entity() -> None:
    icons = json.loads(
        (Path(__file__).parents[1] / "custom_components/envoy_connect/icons.json").read_text()
    )
    for platform, keys in icons["entity"].items():
        for key in keys:
            assert key in STRINGS["entity"][platform], (platform, key)
