"""Replay gateways built from real captures, driven by pyenphase alone (no Home Assistant).

Every capture must give pyenphase data (except 3.7.0, which pyenphase does not support), with the
same authentication rules as the synthetic gateways, and every write pyenphase 4.0.6 can send must
round-trip: the next update() reads the new state.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from pyenphase import Envoy
from pyenphase.const import SupportedFeatures as F
from pyenphase.exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyHTTPStatusError,
    EnvoyProbeFailed,
)
from pyenphase.models.acb import ACBSleepState
from pyenphase.models.dry_contacts import DryContactStatus
from pyenphase.models.tariff import EnvoyStorageMode
from pyenphase.ssl import NO_VERIFY_SSL_CONTEXT

from simulator import CAPTURES_DIR, Capture, ReplayEnvoy, SimulatorHarness, capture_names
from simulator.__main__ import build, parse_args
from simulator.envoy import legacy_passwords
from simulator.harness import DEMO_OWNER
from simulator.replay import file_name

pytestmark = pytest.mark.timeout(30)

BASE = F.INVERTERS | F.PRODUCTION
METERED = F.METERING | F.TOTAL_CONSUMPTION | F.NET_CONSUMPTION
#: What pyenphase 4.0.6 probes each capture to. None: the probe fails (HTML-only firmware).
EXPECTED_FEATURES: dict[str, F | None] = {
    "3.7.0": None,
    "3.8.10": BASE,
    "3.9.36": BASE,
    "3.9.36_bad_auth": F.PRODUCTION,  # its inverters endpoint was recorded as a 401
    "4.10.35": BASE | METERED | F.TARIFF | F.DUALPHASE | F.CTMETERS,
    "4.2.33": BASE | F.METERING | F.DUALPHASE | F.CTMETERS,
    "5.0.62": BASE | F.TARIFF,
    "7.3.130": BASE | METERED,
    "7.3.130_no_consumption": BASE | F.METERING | F.TARIFF | F.DUALPHASE | F.CTMETERS,
    "7.3.466_metered_disabled_cts": BASE | F.TARIFF,
    "7.3.466_with_cts_3phase": BASE | METERED | F.TARIFF | F.THREEPHASE | F.CTMETERS,
    "7.3.517": BASE | METERED | F.ENCHARGE | F.ENPOWER | F.TARIFF,
    "7.3.517_legacy_savings_mode": BASE | METERED | F.ENCHARGE | F.ENPOWER | F.TARIFF,
    "7.6.175": BASE,
    "7.6.175_standard": BASE,
    "7.6.175_with_cts": BASE | METERED | F.TARIFF | F.CTMETERS,
    "7.6.185_with_cts_and_battery_3t": BASE | METERED | F.ENCHARGE | F.TARIFF | F.CTMETERS,
    "8.2.127_with_3cts_and_battery_split": (
        BASE | METERED | F.ENCHARGE | F.ENPOWER | F.TARIFF | F.DUALPHASE | F.CTMETERS
    ),
    "8.2.127_with_generator_running": (
        BASE
        | METERED
        | F.ENCHARGE
        | F.ENPOWER
        | F.TARIFF
        | F.DUALPHASE
        | F.CTMETERS
        | F.GENERATOR
        | F.GENERATOR_SCHEDULE
    ),
    "8.2.4264_metered_noct": BASE | F.TARIFF,
    "8.2.4345_with_device_data": (
        BASE | METERED | F.ENCHARGE | F.ENPOWER | F.TARIFF | F.CTMETERS | F.DETAILED_INVERTERS
    ),
    "8.2.4382_ACB": BASE | METERED | F.ENCHARGE | F.TARIFF | F.CTMETERS | F.ACB,
    "8.3.1598_collar": (
        BASE | METERED | F.ENCHARGE | F.TARIFF | F.DUALPHASE | F.CTMETERS | F.COLLAR | F.C6CC
    ),
    "8.3.5169_ACB_inventory": BASE | METERED | F.TARIFF | F.CTMETERS | F.ACB | F.DETAILED_INVERTERS,
    "8.3.5289_modGone": BASE | F.METERING | F.TARIFF | F.CTMETERS | F.DETAILED_INVERTERS,
    "8.3.5433_tot_is_net_cons": (
        BASE | METERED | F.TARIFF | F.DUALPHASE | F.CTMETERS | F.DETAILED_INVERTERS
    ),
}

GENERATOR = "8.2.127_with_generator_running"
SPLIT_BATTERY = "8.2.127_with_3cts_and_battery_split"
THREE_TARIFF_BATTERY = "7.6.185_with_cts_and_battery_3t"
ACB_INVENTORY = "8.3.5169_ACB_inventory"


def _session(**kwargs: Any) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=NO_VERIFY_SSL_CONTEXT), **kwargs
    )


@asynccontextmanager
async def replay(*captures: str) -> AsyncIterator[SimulatorHarness]:
    """Only the fake cloud and these replay gateways, on loopback."""
    harness = SimulatorHarness(profiles=[], captures=list(captures))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def connect(
    harness: SimulatorHarness, name: str, session: aiohttp.ClientSession, *, update: bool = True
) -> Envoy:
    """pyenphase as the integration uses it: installer digest below 7, a token from 7 on."""
    gateway = harness.envoys[name]
    envoy = Envoy(gateway.address, client=session)
    envoy.set_retry_policy(max_attempts=1, wait_multiplier=0)
    await envoy.setup()
    if gateway.profile.uses_token_auth:
        await envoy.authenticate(token=harness.cloud.mint_token(gateway.profile.serial))
    else:
        await envoy.authenticate(username="installer")
    if update:
        await envoy.update()
    return envoy


async def session_cookie(
    harness: SimulatorHarness, name: str, client: aiohttp.ClientSession
) -> str:
    """Validate a fresh token on a firmware >= 7 gateway and return its session cookie."""
    gateway = harness.envoys[name]
    token = harness.cloud.mint_token(gateway.profile.serial)
    resp = await client.get(
        f"https://{gateway.address}/auth/check_jwt", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 200
    return resp.cookies["sessionId"].value


def replay_of(harness: SimulatorHarness, name: str) -> ReplayEnvoy:
    gateway = harness.envoys[name]
    assert isinstance(gateway, ReplayEnvoy)
    return gateway


@pytest.fixture
def sockets(socket_enabled: None) -> None:
    """The gateways listen on 127.0.0.1."""


# -- mapping and identity -----------------------------------------------------------------


def test_every_capture_folder_is_expected() -> None:
    assert sorted(EXPECTED_FEATURES) == capture_names()
    assert (CAPTURES_DIR / "LICENSE").read_text().startswith("\nMIT License")
    assert (CAPTURES_DIR / "NOTICE.md").is_file()


def test_file_names_follow_the_readme() -> None:
    assert file_name("/production.json", [("details", "1")]) == "production.json_details_1"
    assert file_name("/ivp/meters/readings") == "ivp_meters_readings"
    assert file_name("/inventory.json", [("deleted", "1")]) == "inventory.json_deleted_1"
    assert file_name("/production.json") == "production.json"


def test_identity_comes_from_info() -> None:
    acb = Capture.load("8.2.4382_ACB")
    assert (acb.name, acb.serial, acb.firmware) == ("8.2.4382_ACB", "123456789012", "8.2.4382")
    assert acb.profile().uses_token_auth
    legacy = Capture.load("3.8.10")
    assert legacy.firmware == "3.18.10"  # the folder name is not the firmware
    assert not legacy.profile().uses_token_auth
    assert Capture.load("4.2.33").firmware == "4.2.33"  # "M4.2.33"
    assert "_readme" not in Capture.load(GENERATOR).recordings
    assert "info_log.json" not in acb.recordings
    assert acb.recordings["production.json"].content_type == "application/json"
    assert Capture.load("3.8.10").recordings["ivp_meters"].status == 401


# -- pyenphase on every capture -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_FEATURES))
@pytest.mark.usefixtures("sockets")
async def test_pyenphase_reads_every_capture(name: str) -> None:
    async with replay(name) as harness, _session() as session:
        gateway = harness.envoys[name]
        envoy = await connect(harness, name, session, update=False)
        assert envoy.serial_number == gateway.profile.serial
        assert str(envoy.firmware) == gateway.profile.firmware
        expected = EXPECTED_FEATURES[name]
        if expected is None:
            # HTML-only firmware: the README says pyenphase does not support it
            with pytest.raises(EnvoyProbeFailed):
                await envoy.probe()
            return
        await envoy.probe()
        assert envoy.supported_features == expected
        data = await envoy.update()
        assert data.system_production is not None
        assert data.raw
        assert (await envoy.update()).system_production == data.system_production
        if expected & F.INVERTERS:
            assert data.inverters
        if expected & F.ENCHARGE:
            assert data.encharge_aggregate is not None
        if expected & F.ENPOWER:
            assert data.enpower is not None
        if expected & F.TARIFF:
            assert data.tariff is not None
        if expected & F.ACB:
            assert data.acb_power is not None


# -- replay and authentication ---------------------------------------------------------------


@pytest.mark.usefixtures("sockets")
async def test_recorded_answers_are_replayed_exactly() -> None:
    name = "8.3.5169_ACB_inventory"
    folder = CAPTURES_DIR / name
    async with replay(name, "8.2.4382_ACB") as harness, _session() as client:
        base = f"https://{harness.envoys[name].address}"
        resp = await client.get(f"{base}/info")  # no authentication
        assert resp.status == 200
        assert await resp.read() == (folder / "info").read_bytes()
        assert resp.content_type == "text/xml"

        assert (await client.get(f"{base}/ivp/meters/readings")).status == 401
        cookies = {"sessionId": await session_cookie(harness, name, client)}
        resp = await client.get(f"{base}/ivp/meters/readings", cookies=cookies)
        assert resp.status == 200
        assert await resp.read() == (folder / "ivp_meters_readings").read_bytes()
        assert resp.content_type == "application/json"
        resp = await client.get(f"{base}/production.json?details=1", cookies=cookies)
        assert await resp.read() == (folder / "production.json_details_1").read_bytes()
        resp = await client.get(f"{base}/inventory.json?deleted=1", cookies=cookies)
        assert await resp.read() == (folder / "inventory.json_deleted_1").read_bytes()
        # not recorded
        assert (await client.get(f"{base}/ivp/ss/gen_mode", cookies=cookies)).status == 404
        assert (await client.get(f"{base}/nothing/here", cookies=cookies)).status == 404

        # a capture recorded without the query: the plain recording answers
        acb = harness.envoys["8.2.4382_ACB"]
        cookies = {"sessionId": await session_cookie(harness, "8.2.4382_ACB", client)}
        resp = await client.get(f"https://{acb.address}/production.json?details=1", cookies=cookies)
        plain = CAPTURES_DIR / "8.2.4382_ACB" / "production.json"
        assert await resp.read() == plain.read_bytes()


@pytest.mark.usefixtures("sockets")
async def test_recorded_401_stays_401_and_404_keeps_its_body() -> None:
    name = "7.3.130_no_consumption"
    folder = CAPTURES_DIR / name
    async with replay(name) as harness, _session() as client:
        base = f"https://{harness.envoys[name].address}"
        cookies = {"sessionId": await session_cookie(harness, name, client)}
        resp = await client.get(f"{base}/ivp/ensemble/power", cookies=cookies)
        assert resp.status == 401
        assert await resp.read() == (folder / "ivp_ensemble_power").read_bytes()
        assert (await client.get(f"{base}/api/v1/production", cookies=cookies)).status == 200


@pytest.mark.usefixtures("sockets")
async def test_digest_firmware_needs_digest_and_keeps_recorded_401() -> None:
    name = "3.9.36_bad_auth"
    async with replay(name) as harness:
        gateway = harness.envoys[name]
        base = f"http://{gateway.address}"
        async with aiohttp.ClientSession() as anonymous:
            resp = await anonymous.get(f"{base}/api/v1/production")
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Digest ")
            assert (await anonymous.get(f"{base}/info")).status == 200
        password = legacy_passwords(gateway.profile.serial)["installer"]
        digest = aiohttp.DigestAuthMiddleware("installer", password)
        async with aiohttp.ClientSession(middlewares=(digest,)) as client:
            resp = await client.get(f"{base}/api/v1/production")
            assert resp.status == 200
            body = (CAPTURES_DIR / name / "api_v1_production").read_bytes()
            assert await resp.read() == body
            # recorded as 401 on this gateway: stays 401 with valid credentials
            assert (await client.get(f"{base}/admin/lib/tariff")).status == 401
            assert (await client.get(f"{base}/api/v1/production/inverters")).status == 401


@pytest.mark.usefixtures("sockets")
async def test_firmware_change_reserves_info_and_switches_auth() -> None:
    name = "5.0.62"
    async with replay(name) as harness, _session() as client:
        gateway = harness.envoys[name]
        control = f"{harness.cloud_url}/_sim/envoy/{name}"
        resp = await client.post(f"{control}/firmware", json={"firmware": "8.2.4382"})
        assert resp.status == 200
        assert (await resp.json())["envoys"][name]["scheme"] == "https"
        resp = await client.get(f"https://{gateway.address}/info")
        info = await resp.text()
        assert "<software>D8.2.4382</software>" in info
        assert "<sn>121621012167</sn>" in info
        envoy = await connect(harness, name, client)  # now with a token
        assert str(envoy.firmware) == "8.2.4382"
        assert envoy.data is not None
        assert envoy.data.system_production is not None
        # the hardware is what was recorded
        resp = await client.post(
            f"{control}/firmware", json={"firmware": "8.3.5167", "battery_count": 2}
        )
        assert resp.status == 400


# -- writes -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("sockets")
async def test_grid_relay_round_trip() -> None:
    async with replay(SPLIT_BATTERY) as harness, _session() as session:
        envoy = await connect(harness, SPLIT_BATTERY, session)
        assert envoy.data is not None
        assert envoy.data.enpower is not None
        assert envoy.data.enpower.mains_admin_state == "closed"
        assert await envoy.go_off_grid() == {}
        data = await envoy.update()
        assert data.enpower is not None
        assert (data.enpower.mains_admin_state, data.enpower.mains_oper_state) == ("open", "open")
        status = replay_of(harness, SPLIT_BATTERY).document("ivp_ensemble_status")
        assert status["relay"]["mains_admin_state"] == "open"
        await envoy.go_on_grid()
        data = await envoy.update()
        assert data.enpower is not None
        assert (data.enpower.mains_admin_state, data.enpower.mains_oper_state) == (
            "closed",
            "closed",
        )
        writes = [w.as_dict() for w in replay_of(harness, SPLIT_BATTERY).writes]
        assert writes == [
            {
                "method": "POST",
                "path": "/ivp/ensemble/relay",
                "body": {"mains_admin_state": state},
                "status": 200,
            }
            for state in ("open", "closed")
        ]


@pytest.mark.usefixtures("sockets")
async def test_grid_relay_cannot_bring_back_a_missing_grid() -> None:
    """The generator capture was recorded in an outage: admin closed, relay open."""
    async with replay(GENERATOR) as harness, _session() as session:
        envoy = await connect(harness, GENERATOR, session)
        assert envoy.data is not None
        assert envoy.data.enpower is not None
        assert envoy.data.enpower.mains_oper_state == "open"
        await envoy.go_off_grid()
        await envoy.go_on_grid()
        data = await envoy.update()
        assert data.enpower is not None
        assert (data.enpower.mains_admin_state, data.enpower.mains_oper_state) == (
            "closed",
            "open",
        )


@pytest.mark.usefixtures("sockets")
async def test_dry_contact_round_trip() -> None:
    async with replay(GENERATOR) as harness, _session() as session:
        envoy = await connect(harness, GENERATOR, session)
        assert envoy.data is not None
        assert envoy.data.dry_contact_status["NC1"].status == DryContactStatus.CLOSED
        answer = await envoy.open_dry_contact("NC1")
        assert {"id": "NC1", "status": "open"} in answer["dry_contacts"]
        data = await envoy.update()
        assert data.dry_contact_status["NC1"].status == DryContactStatus.OPEN
        assert data.dry_contact_status["NC2"].status == DryContactStatus.CLOSED
        await envoy.close_dry_contact("NC1")
        data = await envoy.update()
        assert data.dry_contact_status["NC1"].status == DryContactStatus.CLOSED

        await envoy.update_dry_contact(
            {"id": "NO1", "load_name": "Pool pump", "soc_low": 25.0, "override": False}
        )
        data = await envoy.update()
        relay = data.dry_contact_settings["NO1"]
        assert (relay.load_name, relay.soc_low, relay.override) == ("Pool pump", 25.0, False)
        assert relay.manual_override is True  # sent as a bool, stored as the recorded "true"
        assert data.dry_contact_settings["NO2"].load_name == "HVAC and Furnace"
        write = replay_of(harness, GENERATOR).writes[-1]
        assert write.path == "/ivp/ss/dry_contact_settings"
        assert write.body["dry_contacts"]["load_name"] == "Pool pump"


@pytest.mark.usefixtures("sockets")
async def test_generator_config_and_schedule_round_trip() -> None:
    async with replay(GENERATOR) as harness, _session() as session:
        envoy = await connect(harness, GENERATOR, session)
        assert envoy.data is not None
        assert envoy.data.generator_config is not None
        assert envoy.data.generator_config.charge_from_generator is True
        answer = await envoy.set_generator_charge_from_generator(False)
        assert answer["charge_from_generator"] is False
        data = await envoy.update()
        assert data.generator_config is not None
        assert data.generator_config.charge_from_generator is False
        assert data.generator_config.manufacturer == "Generac"

        await envoy.update_generator_schedule(
            {
                "exercise_day": "mon",
                "exercise_start": 600,
                "exercise_duration": 20,
                "default_start_soc": 25,
                "default_stop_soc": 80,
            }
        )
        data = await envoy.update()
        schedule = data.generator_schedule
        assert schedule is not None
        assert (schedule.exercise_day, schedule.exercise_start, schedule.exercise_duration) == (
            "Mon",
            600,
            20,
        )
        assert (schedule.default_start_soc, schedule.default_stop_soc) == (25, 80)
        assert schedule.exercise_freq_in_weeks == 1
        # the always-on period of this schedule keeps its own active SOC
        assert data.generator is not None
        assert (data.generator.start_soc, data.generator.stop_soc) == (100, -1)


@pytest.mark.usefixtures("sockets")
async def test_generator_config_without_batteries_keeps_charging_from_generator() -> None:
    """pyenphase documents D8.3.5169 normalising the setting back to true without batteries."""
    async with replay(GENERATOR) as harness, _session() as session:
        gateway = replay_of(harness, GENERATOR)
        inventory = gateway.document("ivp_ensemble_inventory")
        gateway.record("/ivp/ensemble/inventory", [i for i in inventory if i["type"] != "ENCHARGE"])
        envoy = await connect(harness, GENERATOR, session)
        answer = await envoy.set_generator_charge_from_generator(False)
        assert answer["charge_from_generator"] is True
        data = await envoy.update()
        assert data.generator_config is not None
        assert data.generator_config.charge_from_generator is True


@pytest.mark.usefixtures("sockets")
async def test_generator_mode() -> None:
    async with replay(GENERATOR) as harness, _session() as session:
        envoy = await connect(harness, GENERATOR, session)
        assert envoy.data is not None
        assert envoy.data.generator_mode is None  # 8.2.127 has no gen_mode endpoint
        with pytest.raises(EnvoyHTTPStatusError) as refused:
            await envoy.set_generator_mode("auto")
        assert refused.value.status_code == 404

        # On top of the capture: the endpoint as D8.3.5169 reports it (pyenphase's fixture).
        gateway = replay_of(harness, GENERATOR)
        gateway.record("/ivp/ss/gen_mode", {"gen_cmd": "on", "last_updated_by": "ITK"})
        await envoy.probe()
        data = await envoy.update()
        assert data.generator_mode is not None
        assert data.generator_mode.gen_cmd == "on"
        assert await envoy.set_generator_mode("AUTO") == {}
        data = await envoy.update()
        assert data.generator_mode is not None
        assert data.generator_mode.gen_cmd == "auto"
        assert data.generator_mode.last_updated_by == "ITK"


@pytest.mark.parametrize("name", [THREE_TARIFF_BATTERY, SPLIT_BATTERY, GENERATOR])
@pytest.mark.usefixtures("sockets")
async def test_tariff_round_trip(name: str) -> None:
    async with replay(name) as harness, _session() as session:
        envoy = await connect(harness, name, session)
        assert envoy.data is not None
        assert envoy.data.tariff is not None
        before = envoy.data.tariff

        def storage() -> Any:
            assert envoy.data is not None
            assert envoy.data.tariff is not None
            return envoy.data.tariff.storage_settings

        await envoy.enable_charge_from_grid()
        await envoy.update()
        assert storage().charge_from_grid is True
        await envoy.disable_charge_from_grid()
        await envoy.update()
        assert storage().charge_from_grid is False
        await envoy.set_storage_mode(EnvoyStorageMode.BACKUP)
        await envoy.update()
        assert storage().mode == EnvoyStorageMode.BACKUP
        answer = await envoy.set_reserve_soc(35)
        assert answer["tariff"]["storage_settings"]["reserved_soc"] == 35.0
        await envoy.update()
        assert storage().reserved_soc == 35.0
        assert envoy.data.tariff is not None
        assert envoy.data.tariff.seasons == before.seasons
        assert envoy.data.tariff.currency == before.currency
        writes = replay_of(harness, name).writes
        assert [(w.method, w.path, w.status) for w in writes] == [
            ("PUT", "/admin/lib/tariff", 200)
        ] * 4


@pytest.mark.usefixtures("sockets")
async def test_acb_sleep_round_trip() -> None:
    async with replay(ACB_INVENTORY) as harness, _session() as session:
        envoy = await connect(harness, ACB_INVENTORY, session)
        assert envoy.data is not None
        assert envoy.data.acb_inventory
        serial = sorted(envoy.data.acb_inventory)[0]
        assert envoy.data.acb_inventory[serial].sleep_state == ACBSleepState.AWAKE
        answer = await envoy.set_acb_sleep(
            [{"serial_num": serial, "sleep_min_soc": 20, "sleep_max_soc": 40}]
        )
        assert answer == {
            "acb_sleep": [{"serial_num": serial, "sleep_min_soc": 20, "sleep_max_soc": 40}]
        }
        data = await envoy.update()
        assert data.acb_inventory is not None
        acb = data.acb_inventory[serial]
        assert (acb.sleep_enabled, acb.sleep_min_soc, acb.sleep_max_soc) == (True, 20, 40)
        assert acb.sleep_state == ACBSleepState.GOING_TO_SLEEP
        others = [a for s, a in data.acb_inventory.items() if s != serial]
        assert others
        assert not any(a.sleep_enabled for a in others)

        assert await envoy.clear_acb_sleep([serial]) == {"acb_sleep": []}
        data = await envoy.update()
        assert data.acb_inventory is not None
        assert data.acb_inventory[serial].sleep_enabled is False
        assert [w.method for w in replay_of(harness, ACB_INVENTORY).writes] == ["PUT", "DELETE"]


@pytest.mark.usefixtures("sockets")
async def test_refused_writes_raise_and_change_nothing() -> None:
    async with replay(SPLIT_BATTERY, ACB_INVENTORY) as harness, _session() as session:
        envoy = await connect(harness, SPLIT_BATTERY, session)
        gateway = replay_of(harness, SPLIT_BATTERY)
        gateway.refuse_writes("/admin/lib/tariff", 401, times=1)  # an owner token, say
        with pytest.raises(EnvoyAuthenticationRequired):
            await envoy.set_reserve_soc(80)
        data = await envoy.update()
        assert data.tariff is not None
        assert data.tariff.storage_settings is not None
        assert data.tariff.storage_settings.reserved_soc != 80
        await envoy.set_reserve_soc(80)  # refused once only
        assert [w.status for w in gateway.writes] == [401, 200]

        gateway.refuse_writes("/ivp/ensemble/relay", 400)
        for _ in range(2):
            with pytest.raises(EnvoyHTTPStatusError):
                await envoy.go_off_grid()
        data = await envoy.update()
        assert data.enpower is not None
        assert data.enpower.mains_admin_state == "closed"
        gateway.accept_writes()
        await envoy.go_off_grid()

        acb_envoy = await connect(harness, ACB_INVENTORY, session)
        assert acb_envoy.data is not None
        assert acb_envoy.data.acb_inventory
        serial = next(iter(acb_envoy.data.acb_inventory))
        replay_of(harness, ACB_INVENTORY).refuse_writes("/admin/lib/acb_config", 400)
        with pytest.raises(ValueError, match="HTTP 400"):
            await acb_envoy.set_acb_sleep(
                [{"serial_num": serial, "sleep_min_soc": 10, "sleep_max_soc": 20}]
            )


@pytest.mark.usefixtures("sockets")
async def test_writes_need_auth_and_validate() -> None:
    async with replay(SPLIT_BATTERY, "3.9.36") as harness, _session() as client:
        gateway = replay_of(harness, SPLIT_BATTERY)
        url = f"https://{gateway.address}/ivp/ensemble/relay"
        assert (await client.post(url, json={"mains_admin_state": "open"})).status == 401
        assert gateway.writes == []
        cookies = {"sessionId": await session_cookie(harness, SPLIT_BATTERY, client)}
        resp = await client.post(url, json={"mains_admin_state": "ajar"}, cookies=cookies)
        assert resp.status == 400
        resp = await client.post(
            f"https://{gateway.address}/ivp/ensemble/dry_contacts",
            json={"dry_contacts": {"id": "XX9", "status": "open"}},
            cookies=cookies,
        )
        assert resp.status == 400
        # a gateway without the feature: no generator on this one
        resp = await client.post(
            f"https://{gateway.address}/ivp/ss/gen_config",
            json={"charge_from_generator": False},
            cookies=cookies,
        )
        assert resp.status == 404
        assert [w.status for w in gateway.writes] == [400, 400, 404]
        assert gateway.document("ivp_ensemble_inventory") == json.loads(
            (CAPTURES_DIR / SPLIT_BATTERY / "ivp_ensemble_inventory").read_bytes()
        )

        legacy = harness.envoys["3.9.36"]
        async with aiohttp.ClientSession() as anonymous:
            resp = await anonymous.put(f"http://{legacy.address}/admin/lib/tariff", json={})
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Digest ")


@pytest.mark.usefixtures("sockets")
async def test_digest_write_round_trip() -> None:
    """Below firmware 7 a write is digest-authenticated like a read (no pyenphase write applies:
    none of these captures has batteries, so this one goes over plain HTTP)."""
    name = "5.0.62"
    async with replay(name) as harness:
        gateway = replay_of(harness, name)
        password = legacy_passwords(gateway.profile.serial)["installer"]
        digest = aiohttp.DigestAuthMiddleware("installer", password)
        async with aiohttp.ClientSession(middlewares=(digest,)) as client:
            url = f"http://{gateway.address}/admin/lib/tariff"
            resp = await client.put(url, json={"tariff": {"single_rate": {"rate": 0.3}}})
            assert resp.status == 200
            resp = await client.get(url)
            tariff = (await resp.json())["tariff"]
            assert tariff["single_rate"] == {"rate": 0.3, "sell": 0.0}
            assert tariff["currency"] == {"code": "USD"}
        assert [(w.method, w.status) for w in gateway.writes] == [("PUT", 200)]


@pytest.mark.usefixtures("sockets")
async def test_state_survives_reboot_until_reset() -> None:
    async with replay(GENERATOR) as harness, _session() as session:
        envoy = await connect(harness, GENERATOR, session)
        await envoy.open_dry_contact("NC2")
        gateway = replay_of(harness, GENERATOR)
        await gateway.reboot()
        envoy = await connect(harness, GENERATOR, session)  # sessions were lost
        assert envoy.data is not None
        assert envoy.data.dry_contact_status["NC2"].status == DryContactStatus.OPEN
        gateway.reset_state()
        assert gateway.writes == []
        data = await envoy.update()
        assert data.dry_contact_status["NC2"].status == DryContactStatus.CLOSED


# -- harness, control API and command line ---------------------------------------------------


@pytest.mark.usefixtures("sockets")
async def test_harness_registers_replays_next_to_profiles() -> None:
    harness = SimulatorHarness(profiles=["legacy"], captures=["8.2.4382_ACB", "5.0.62"])
    assert list(harness.envoys) == ["legacy", "8.2.4382_ACB", "5.0.62"]
    assert {"123456789012", "121621012167"} <= harness.cloud.accounts[DEMO_OWNER[0]].serials
    await harness.start()
    try:
        async with aiohttp.ClientSession() as client:
            state = await (await client.get(f"{harness.cloud_url}/_sim")).json()
            described = state["envoys"]["8.2.4382_ACB"]
            assert described["serial"] == "123456789012"
            assert described["firmware"] == "8.2.4382"
            assert described["scheme"] == "https"
            assert described["replay"]["capture"] == "8.2.4382_ACB"
            assert state["envoys"]["5.0.62"]["local_accounts"]["envoy"] == "012167"
            assert "readings" in state["envoys"]["legacy"]

            control = f"{harness.cloud_url}/_sim/envoy/8.2.4382_ACB"
            resp = await client.post(
                f"{control}/refuse_writes",
                json={"path": "/admin/lib/tariff", "status": 400, "times": 2},
            )
            assert (await resp.json())["envoys"]["8.2.4382_ACB"]["replay"]["refused_writes"] == {
                "/admin/lib/tariff": {"status": 400, "remaining": 2}
            }
            resp = await client.post(f"{control}/writes")
            assert await resp.json() == {"writes": []}
            resp = await client.post(f"{control}/accept_writes", json={})
            assert (await resp.json())["envoys"]["8.2.4382_ACB"]["replay"]["refused_writes"] == {}
            for action in ("clear_writes", "reset_state", "reset_counts", "drop_sessions"):
                assert (await client.post(f"{control}/{action}")).status == 200
            resp = await client.post(f"{harness.cloud_url}/_sim/envoy/legacy/writes")
            assert resp.status == 400  # a synthetic gateway has no write log
    finally:
        await harness.stop()

    with pytest.raises(ValueError, match="clashes"):
        SimulatorHarness(profiles=[], captures=["7.6.175", "7.6.175"])
    assert len(SimulatorHarness(profiles=[], captures=["all"]).envoys) == len(capture_names())


def test_command_line_puts_captures_after_the_synthetic_gateways() -> None:
    harness, ports = build(parse_args(["--base-port", "9000"]))
    assert ports == {"legacy": 9001, "metered": 9002, "battery": 9003}
    harness, ports = build(
        parse_args(["--base-port", "9000", "--capture", "8.2.4382_ACB", "--capture", "3.9.36"])
    )
    assert ports == {
        "legacy": 9001,
        "metered": 9002,
        "battery": 9003,
        "8.2.4382_ACB": 9004,
        "3.9.36": 9005,
    }
    assert isinstance(harness.envoys["3.9.36"], ReplayEnvoy)
    harness, ports = build(parse_args(["--capture", "all", "--capture", "3.9.36"]))
    assert list(ports)[3:] == capture_names()
