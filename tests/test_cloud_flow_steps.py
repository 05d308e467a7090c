"""No wasted steps on the cloud path: after adding credentials, and for a second system."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.components.application_credentials import DATA_COMPONENT as CREDENTIALS
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.envoy_connect.application_credentials import (
    async_get_description_placeholders,
)
from custom_components.envoy_connect.cloud import pending
from custom_components.envoy_connect.const import CONF_PLAN, DOMAIN
from simulator import SimulatorHarness

from .conftest import DEMO_APP, authorize
from .conftest import start_cloud_flow as start_flow
from .test_cloud import CABIN, HOME, _add_cloud_entry

pytestmark = pytest.mark.usefixtures("app_credentials", "current_request_with_host")


async def _remove_credentials(hass: HomeAssistant) -> None:
    collection = hass.data[CREDENTIALS]
    for item in list(collection.async_items()):
        await collection.async_delete_item(item["id"])


async def test_after_adding_credentials_the_flow_goes_straight_to_sign_in(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """HA restarts the flow after its credentials dialog: no second "local or cloud?"."""
    await _remove_credentials(hass)
    with patch.object(
        pending.config_entry_oauth2_flow,
        "async_get_redirect_uri",
        return_value="https://ha.example.org:8123/auth/external/callback",
    ):
        result = await start_flow(hass)
    assert result["reason"] == "missing_credentials"
    # The dialog asks over the websocket (no request): it shows the browsed address.
    with patch.object(
        pending.config_entry_oauth2_flow, "async_get_redirect_uri", side_effect=RuntimeError
    ):
        placeholders = await async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == "https://ha.example.org:8123/auth/external/callback"

    # Dialog closed without adding credentials: the menu as usual.
    result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"}))
    assert result["type"] is FlowResultType.MENU
    hass.config_entries.flow.async_abort(result["flow_id"])

    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(DEMO_APP.client_id, DEMO_APP.client_secret, "Demo")
    )
    result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"}))
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["step_id"] == "auth"
    result = await authorize(hass, sim, hass_client_no_auth, result)
    assert result["step_id"] == "api_key"

    # Only once: the next "Add integration" asks again.
    result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"}))
    assert result["type"] is FlowResultType.MENU


async def test_a_pause_is_forgotten(hass: HomeAssistant, sim: SimulatorHarness) -> None:
    await _remove_credentials(hass)
    await start_flow(hass)
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(DEMO_APP.client_id, DEMO_APP.client_secret, "Demo")
    )
    with patch.object(pending.time, "monotonic", return_value=10**9):
        result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"}))
    assert result["type"] is FlowResultType.MENU


async def test_second_system_skips_key_and_plan_and_offers_only_new_systems(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Same application: key and plan are reused; the added system is not offered."""
    first = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    # HOME is added, so CABIN is the only one left: no picker, no key, no plan.
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    second = result["result"]
    assert second.unique_id == f"cloud_{CABIN}"
    assert second.data[CONF_API_KEY] == first.data[CONF_API_KEY]
    assert second.options == {CONF_PLAN: "kilowatt"}
    # Its own authorization: a refresh of one never invalidates the other's.
    assert second.data["token"]["refresh_token"] != first.data["token"]["refresh_token"]
    await hass.async_block_till_done()
    assert second.runtime_data.coordinator.last_update_success


async def test_picker_lists_only_systems_not_added(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    first = await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    sim.api.users["owner@example.com"].systems.append(
        type(sim.api.users["owner@example.com"].systems[0])(4_100_003, "Barn (simulated)")
    )
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    assert result["step_id"] == "system"
    options = result["data_schema"].schema["system_id"].config["options"]
    assert [o["value"] for o in options] == [str(CABIN), "4100003"]
    assert first.unique_id == f"cloud_{HOME}"


async def test_a_key_the_sibling_no_longer_has_is_asked_for(
    hass: HomeAssistant, sim: SimulatorHarness, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The stored key stopped working: the key step, as for a first system."""
    await _add_cloud_entry(hass, sim, hass_client_no_auth, system=HOME, plan="kilowatt")
    sim.api.apps[DEMO_APP.client_id].api_key = "regenerated-key"
    result = await authorize(hass, sim, hass_client_no_auth, await start_flow(hass))
    assert result["step_id"] == "api_key"
