"""A gateway that replays a real Envoy's recorded answers (``tests/fixtures/captures/<name>``).

Recorded (served byte for byte, from the capture folder; see its README.md and NOTICE.md)
-------------------------------------------------------------------------------------------
* Every ``GET`` whose path and query map to a capture file (the README's rule: drop the leading
  ``/``, ``/`` becomes ``_``, ``?key=value`` becomes ``_key_value``; ``/production.json?details=1``
  is ``production.json_details_1``): the body bytes, the status code of ``<file>_log.json`` (200
  when there is no log) and the ``Content-Type`` of the recorded headers (guessed from the body
  when none was recorded). A request with a query string the capture did not record falls back to
  the recording of the bare path: a query only adds detail on a real gateway, and the older
  captures were recorded without it (pyenphase's own fixture harness does the same).
  Anything else answers 404.
* A recorded 401 stays 401 whatever the credentials: that is what that firmware does. When the
  recording carried a Digest challenge, the replay sends a fresh one.
* ``/info`` (and ``/info.xml``): the recorded ``info`` document, without authentication. Serial,
  part number and firmware come from it (``D8.2.4382`` -> ``8.2.4382``); after a firmware change
  through the control API its ``<software>`` (and ``<web-tokens>``) show the new firmware.

Shared with the synthetic gateways (``EnvoySimulator``, of which this is a subclass)
-------------------------------------------------------------------------------------
Authentication (Digest below firmware 7, HTTPS plus an Enlighten JWT validated through
``/auth/check_jwt`` from 7 on) is required by every endpoint except ``/info``, ``/info.xml`` and
``/auth/check_jwt``, even where the capture recorded a 200. So are the control actions: network
modes, reboot, firmware change, session and token expiry, queued faults, request counters.

Modelled: writes (what pyenphase 4.0.6 sends, and only fields it sends or reads)
--------------------------------------------------------------------------------
A write changes the recorded documents it affects, so the next ``GET`` reads the new state. It
answers 404 when the capture shows the gateway lacks the feature, 400 for a value pyenphase
documents the gateway refusing (or one outside the documented domain), and 200 otherwise.

* ``POST /ivp/ensemble/relay`` ``{"mains_admin_state": "open"|"closed"}`` (``go_off_grid``,
  ``go_on_grid``): sets ``mains_admin_state`` of the ENPOWER device in ``/ivp/ensemble/inventory``
  (where pyenphase reads it), of ``/ivp/ensemble/relay`` and of the ``relay`` section of
  ``/ivp/ensemble/status``. ``mains_oper_state`` follows, except that a capture recorded in a grid
  outage (admin closed, oper open) stays open: closing the relay brings no grid back. Needs an
  ENPOWER; answers ``{}`` (pyenphase reveals nothing of the answer; its tests use ``{}``).
* ``POST /ivp/ensemble/dry_contacts`` ``{"dry_contacts": {"id", "status"}}``
  (``open_dry_contact``, ``close_dry_contact``): sets that relay's ``status``; answers the
  resulting ``/ivp/ensemble/dry_contacts`` document. Unknown id: 400.
* ``POST /ivp/ss/dry_contact_settings`` ``{"dry_contacts": {<one relay's settings>}}``
  (``update_dry_contact``): merges the sent keys into that relay in
  ``/ivp/ss/dry_contact_settings`` (and ``/ivp/ss`` where recorded). ``override`` and
  ``manual_override`` are stored as the ``"true"``/``"false"`` strings every recording shows,
  whatever JSON type arrives (pyenphase's ``to_api`` sends ``manual_override`` as a bool).
  Answers the resulting settings document (``update_dry_contact`` returns it).
* ``POST /ivp/ss/gen_config`` (whole document, ``set_generator_charge_from_generator``): merges it
  and answers the resulting document, as pyenphase documents. Without Enphase batteries (no
  ENCHARGE device in ``/ivp/ensemble/inventory``) ``charge_from_generator`` is normalised back to
  true, as pyenphase documents for D8.3.5169.
* ``POST /ivp/ss/gen_schedule`` (whole document, ``update_generator_schedule``): merges it and
  answers the resulting document. The active ``start_soc``/``stop_soc`` of
  ``/ivp/ensemble/generator`` follow ``default_soc`` (pyenphase documents the firmware applying
  them) only where they equalled the old defaults: a schedule period that overrides them, as in
  ``8.2.127_with_generator_running``, keeps its own.
* ``POST /ivp/ss/gen_mode`` ``{"gen_cmd": "off"|"on"|"auto"}`` (``set_generator_mode``): sets
  ``gen_cmd`` of ``/ivp/ss/gen_mode``; 404 on a capture without that endpoint (no capture here has
  it: pyenphase's tests call 8.2.127 "firmware without the endpoint"); answers ``{}``.
* ``PUT /admin/lib/tariff`` ``{"tariff": {...}}`` (``enable_charge_from_grid``,
  ``disable_charge_from_grid``, ``set_storage_mode``, ``set_reserve_soc``): merges the sent tariff
  into the recorded one (``storage_settings`` key by key) and answers the resulting document. The
  gateway-derived ``schedule`` section is left as recorded (pyenphase does not read it). 400 for a
  ``reserved_soc`` outside 0-100 or an unknown storage ``mode``.
* ``PUT /admin/lib/acb_config`` ``{"acb_sleep": [{"serial_num", "sleep_min_soc",
  "sleep_max_soc"}]}`` (``set_acb_sleep``) and ``DELETE`` with ``[{"serial_num"}]``
  (``clear_acb_sleep``): set ``sleep_enabled`` (and the thresholds) of those ACB devices in
  ``/inventory.json?deleted=1`` and ``/inventory``, where pyenphase reads them; the device's
  ``sleep-mode`` status flag (set by the battery once asleep) is not modelled. The list is also
  kept as ``/admin/lib/acb_config``'s ``{"acb_sleep": [...]}`` (the shape recorded on 8.3.5433),
  which is served where the capture recorded that endpoint, and is the answer. 400 for an unknown
  serial or thresholds outside 0 <= min <= max <= 100 (pyenphase turns the 400 into
  "Check serial numbers and SOC values").

Tests make a write fail with ``refuse_writes(path, status)`` (e.g. 401 as for an owner token where
installer rights are needed, or 400) and read ``writes``, the log of every authenticated write
received (method, path, JSON body, status answered; a Digest client's unauthenticated first try,
answered with the challenge, is not logged). ``record(path, body)`` puts an answer on top of the
capture where a test needs a value to move or an endpoint the capture lacks; ``reset_state()``
goes back to the capture as recorded. Written state survives reboots and firmware changes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from .envoy import EnvoySimulator
from .profiles import Profile

#: The recordings shipped with the project.
CAPTURES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "captures"

_LOG_SUFFIX = "_log.json"
_NOT_RECORDINGS = {"_readme", "LICENSE", "README.md", "NOTICE.md"}
_SOFTWARE = re.compile(rb"<software>([^<]*)</software>")
_WEB_TOKENS = re.compile(rb"<web-tokens>[^<]*</web-tokens>")

INVENTORY_FILES = ("inventory.json_deleted_1", "inventory")
STORAGE_MODES = {"backup", "self-consumption", "economy", "savings-mode"}
GENERATOR_MODES = {"off", "on", "auto"}


def file_name(path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    """Capture file name of a request, by the rule of the captures' README."""
    name = path.lstrip("/").replace("/", "_")
    for key, value in query:
        name += f"_{key}_{value}" if value else f"_{key}"
    return name


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded answer."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    #: The recorded 401 carried a Digest challenge (sent fresh on replay).
    digest_challenge: bool = False

    def json(self) -> Any:
        """The body as JSON, or None when it is not a 200 JSON answer."""
        if self.status != 200:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _guess_content_type(body: bytes) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/xml" if body.lstrip().startswith(b"<?xml") else "text/html"
    return "application/json"


def _load_recording(body_path: Path) -> Recording:
    body = body_path.read_bytes()
    log_path = body_path.with_name(body_path.name + _LOG_SUFFIX)
    if not log_path.is_file():
        return Recording(body, content_type=_guess_content_type(body))
    log = json.loads(log_path.read_text())
    headers = {str(k).lower(): str(v) for k, v in (log.get("headers") or {}).items()}
    return Recording(
        body,
        status=int(log.get("code", 200)),
        content_type=headers.get("content-type") or _guess_content_type(body),
        digest_challenge=headers.get("www-authenticate", "").startswith("Digest"),
    )


@dataclass(frozen=True, slots=True)
class Capture:
    """A capture folder: one real gateway's recorded answers."""

    name: str
    folder: Path
    recordings: Mapping[str, Recording]
    serial: str
    firmware: str
    part_number: str
    metered: bool
    readme: str | None = None

    @classmethod
    def load(cls, name: str | Path, captures_dir: Path = CAPTURES_DIR) -> Capture:
        """Read a capture folder (a name inside ``captures_dir`` or a path)."""
        folder = Path(name) if Path(name).is_absolute() else captures_dir / name
        if not (folder / "info").is_file():
            raise FileNotFoundError(f"{folder} is not a capture folder (no info file)")
        recordings = {
            path.name: _load_recording(path)
            for path in sorted(folder.iterdir())
            if path.is_file()
            and path.name not in _NOT_RECORDINGS
            and not path.name.endswith(_LOG_SUFFIX)
        }
        info = recordings["info"].body.decode(errors="replace")

        def tag(name: str) -> str:
            match = re.search(rf"<{name}>([^<]*)</{name}>", info)
            return match.group(1).strip() if match else ""

        software = tag("software")
        readme = folder / "_readme"
        return cls(
            name=folder.name,
            folder=folder,
            recordings=recordings,
            serial=tag("sn"),
            # The letter in front (R, D, M) is the build flavour, not part of the version.
            firmware=software.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            part_number=tag("pn"),
            metered=tag("imeter") == "true",
            readme=readme.read_text() if readme.is_file() else None,
        )

    def profile(self) -> Profile:
        """The gateway profile: named after the folder, serial and firmware from ``info``."""
        return Profile(
            name=self.name,
            serial=self.serial,
            firmware=self.firmware,
            part_number=self.part_number,
            inverter_count=0,
            metered=self.metered,
            extra={"capture": str(self.folder)},
        )


def capture_names(captures_dir: Path = CAPTURES_DIR) -> list[str]:
    """Names of the capture folders in ``captures_dir``."""
    return sorted(p.name for p in captures_dir.iterdir() if (p / "info").is_file())


class WriteRefused(Exception):
    """A write the gateway answers with an error status."""

    def __init__(self, status: int, message: str) -> None:
        """Answer ``status`` with ``message``."""
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _Refusal:
    status: int
    remaining: int | None  # None: until accept_writes


@dataclass(slots=True)
class WriteRecord:
    """One write as the gateway received it, and what it answered."""

    method: str
    path: str
    body: Any
    status: int

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body, "status": self.status}


WriteHandler = Callable[[Any], Any]


@dataclass(slots=True)
class _State:
    """What writes changed, kept apart from the immutable capture."""

    recordings: dict[str, Recording]
    acb_sleep: list[dict[str, Any]] = field(default_factory=list)


class ReplayEnvoy(EnvoySimulator):
    """A simulated gateway answering from a capture folder, with modelled writes."""

    def __init__(
        self,
        capture: Capture | str | Path,
        token_key: EllipticCurvePublicKey,
        host: str = "127.0.0.1",
        issued_tokens: Callable[[], Iterable[str]] | None = None,
        captures_dir: Path = CAPTURES_DIR,
    ) -> None:
        """Replay ``capture`` (a Capture, a folder name in ``captures_dir`` or a path)."""
        if not isinstance(capture, Capture):
            capture = Capture.load(capture, captures_dir)
        profile = capture.profile()
        # The synthetic Readings the base class builds are never served here; some captures
        # redact the serial to text, which their constructor cannot number from.
        super().__init__(replace(profile, serial="000000"), token_key, host, issued_tokens)
        self.profile = profile
        self.capture = capture
        self.writes: list[WriteRecord] = []
        self.refusals: dict[str, _Refusal] = {}
        self._state = _State(recordings={})
        self._restore_capture()
        self._write_routes: dict[tuple[str, str], WriteHandler] = {
            ("POST", "/ivp/ensemble/relay"): self._write_relay,
            ("POST", "/ivp/ensemble/dry_contacts"): self._write_dry_contact_status,
            ("POST", "/ivp/ss/dry_contact_settings"): self._write_dry_contact_settings,
            ("POST", "/ivp/ss/gen_config"): self._write_gen_config,
            ("POST", "/ivp/ss/gen_schedule"): self._write_gen_schedule,
            ("POST", "/ivp/ss/gen_mode"): self._write_gen_mode,
            ("PUT", "/admin/lib/tariff"): self._write_tariff,
            ("PUT", "/admin/lib/acb_config"): self._write_acb_sleep,
            ("DELETE", "/admin/lib/acb_config"): self._clear_acb_sleep,
        }

    # -- state ------------------------------------------------------------------
    def _restore_capture(self) -> None:
        """Serve the capture as recorded, and the ACB sleep list it implies."""
        self._state = _State(recordings=dict(self.capture.recordings))
        recorded = self.document("admin_lib_acb_config")
        if isinstance(recorded, dict) and isinstance(recorded.get("acb_sleep"), list):
            self._state.acb_sleep = recorded["acb_sleep"]
        else:
            self._state.acb_sleep = [
                {
                    "serial_num": device["serial_num"],
                    "sleep_min_soc": device.get("sleep_min_soc"),
                    "sleep_max_soc": device.get("sleep_max_soc"),
                }
                for device in self._acb_devices()
                if device.get("sleep_enabled")
            ]

    @property
    def recordings(self) -> Mapping[str, Recording]:
        """The answers as they stand now (recorded, changed by writes, or overlaid)."""
        return self._state.recordings

    def document(self, name: str) -> Any:
        """A copy of the JSON document served as capture file ``name`` (None if not 200 JSON)."""
        recording = self._state.recordings.get(name)
        return recording.json() if recording else None

    def _store(self, name: str, document: Any) -> None:
        recording = self._state.recordings[name]
        self._state.recordings[name] = replace(
            recording, body=json.dumps(document, indent=2).encode()
        )

    def record(
        self,
        path: str,
        body: Any,
        status: int = 200,
        content_type: str = "application/json",
    ) -> None:
        """Answer ``path`` (with its query, if any) with ``body`` on top of the capture.

        For tests that need a value to move or an endpoint this capture lacks; ``body`` is
        JSON-encoded unless it is bytes. ``reset_state`` drops it again.
        """
        path, _, query = path.partition("?")
        pairs = [pair.partition("=") for pair in query.split("&") if pair]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        name = file_name(path, [(key, value) for key, _, value in pairs])
        self._state.recordings[name] = Recording(data, status, content_type)

    def reset_state(self) -> None:
        """Back to the capture as recorded: undo writes and overlays, forget the log."""
        self._restore_capture()
        self.writes.clear()
        self.refusals.clear()

    # -- control ------------------------------------------------------------------
    def refuse_writes(self, path: str, status: int = 401, times: int | None = None) -> None:
        """Answer writes to ``path`` with ``status`` (the next ``times``, or until accepted)."""
        self.refusals[path] = _Refusal(status, times)

    def accept_writes(self, path: str | None = None) -> None:
        """Stop refusing writes to ``path`` (every path when None)."""
        if path is None:
            self.refusals.clear()
        else:
            self.refusals.pop(path, None)

    def clear_writes(self) -> None:
        """Forget the write log."""
        self.writes.clear()

    async def set_firmware(self, firmware: str, **hardware: int | bool) -> None:
        """Install another firmware (reboots); the hardware is what the capture recorded."""
        if hardware:
            raise ValueError("a replay gateway's hardware is what its capture recorded")
        await super().set_firmware(firmware)

    # -- HTTP -------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/info", self._replay_info)
        app.router.add_get("/info.xml", self._replay_info)
        app.router.add_get("/auth/check_jwt", self._check_jwt)
        for (method, path), write in self._write_routes.items():
            app.router.add_route(method, path, self._write_endpoint(write))
        app.router.add_route("*", "/{tail:.*}", self._replay)
        return app

    def _unauthorized(self, recording: Recording | None = None) -> web.Response:
        headers = {}
        if not self.profile.uses_token_auth and (recording is None or recording.digest_challenge):
            headers["WWW-Authenticate"] = self._digest.challenge()
        if recording is None:
            return web.Response(status=401, text="Unauthorized", headers=headers)
        return web.Response(
            status=401,
            body=recording.body,
            headers=headers | {"Content-Type": recording.content_type},
        )

    def _lookup(self, request: web.Request) -> Recording | None:
        recordings = self._state.recordings
        query = list(request.rel_url.query.items())
        if (found := recordings.get(file_name(request.path, query))) is not None:
            return found
        return recordings.get(file_name(request.path)) if query else None

    async def _replay(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._unauthorized()
        recording = self._lookup(request) if request.method in ("GET", "HEAD") else None
        if recording is None:
            raise web.HTTPNotFound
        if recording.status == 401:
            return self._unauthorized(recording)
        return web.Response(
            status=recording.status,
            body=recording.body,
            headers={"Content-Type": recording.content_type},
        )

    async def _replay_info(self, request: web.Request) -> web.Response:
        recording = self._state.recordings["info"]
        body = recording.body
        if self.profile.firmware != self.capture.firmware:
            prefix = b"D" if self.profile.uses_token_auth else b"R"
            software = prefix + self.profile.firmware.encode()
            body = _SOFTWARE.sub(b"<software>" + software + b"</software>", body, count=1)
            tokens = b"true" if self.profile.uses_token_auth else b"false"
            body = _WEB_TOKENS.sub(b"<web-tokens>" + tokens + b"</web-tokens>", body, count=1)
        return web.Response(
            status=recording.status, body=body, headers={"Content-Type": recording.content_type}
        )

    def _write_endpoint(
        self, write: WriteHandler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            if not self._authorized(request):
                return self._unauthorized()
            log = WriteRecord(request.method, request.path, body, 200)
            self.writes.append(log)
            if (refusal := self.refusals.get(request.path)) is not None:
                log.status = refusal.status
                if refusal.remaining is not None:
                    refusal.remaining -= 1
                    if refusal.remaining <= 0:
                        del self.refusals[request.path]
                if refusal.status == 401:
                    return self._unauthorized()
                return web.Response(status=refusal.status, text="Simulated refusal")
            if not isinstance(body, dict):
                log.status = 400
                return web.json_response({"error": "expected a JSON object"}, status=400)
            try:
                answer = write(body)
            except WriteRefused as refused:
                log.status = refused.status
                return web.json_response({"error": str(refused)}, status=refused.status)
            return web.json_response(answer)

        return handler

    # -- writes -------------------------------------------------------------------------
    def _devices(self, kind: str) -> list[dict[str, Any]]:
        inventory = self.document("ivp_ensemble_inventory")
        if not isinstance(inventory, list):
            return []
        return [
            device
            for item in inventory
            if isinstance(item, dict) and item.get("type") == kind
            for device in item.get("devices") or []
        ]

    def _edit_inventory(self, kind: str, edit: Callable[[dict[str, Any]], None]) -> None:
        inventory = self.document("ivp_ensemble_inventory")
        for item in inventory:
            if item.get("type") == kind:
                for device in item.get("devices") or []:
                    edit(device)
        self._store("ivp_ensemble_inventory", inventory)

    def _grid_outage(self) -> bool:
        recorded = self.capture.recordings.get("ivp_ensemble_inventory")
        inventory = recorded.json() if recorded else None
        return any(
            device.get("mains_admin_state") == "closed" and device.get("mains_oper_state") == "open"
            for item in inventory or []
            if isinstance(item, dict) and item.get("type") == "ENPOWER"
            for device in item.get("devices") or []
        )

    def _write_relay(self, body: dict[str, Any]) -> dict[str, Any]:
        admin = body.get("mains_admin_state")
        if admin not in ("open", "closed"):
            raise WriteRefused(400, "mains_admin_state must be open or closed")
        if not self._devices("ENPOWER"):
            raise WriteRefused(404, "no IQ System Controller (ENPOWER) on this gateway")
        oper = "open" if admin == "open" or self._grid_outage() else "closed"

        def switch(relay: dict[str, Any]) -> None:
            relay["mains_admin_state"] = admin
            if "mains_oper_state" in relay:
                relay["mains_oper_state"] = oper

        self._edit_inventory("ENPOWER", switch)
        if isinstance(relay := self.document("ivp_ensemble_relay"), dict):
            switch(relay)
            self._store("ivp_ensemble_relay", relay)
        status = self.document("ivp_ensemble_status")
        if isinstance(status, dict) and isinstance(status.get("relay"), dict):
            switch(status["relay"])
            self._store("ivp_ensemble_status", status)
        return {}

    def _relay_entry(self, name: str, relay_id: Any) -> tuple[Any, dict[str, Any]]:
        document = self.document(name)
        if not isinstance(document, dict) or not isinstance(document.get("dry_contacts"), list):
            raise WriteRefused(404, "no dry contacts on this gateway")
        for entry in document["dry_contacts"]:
            if isinstance(entry, dict) and entry.get("id") == relay_id:
                return document, entry
        raise WriteRefused(400, f"unknown dry contact {relay_id!r}")

    def _write_dry_contact_status(self, body: dict[str, Any]) -> Any:
        contact = body.get("dry_contacts")
        if not isinstance(contact, dict) or contact.get("status") not in ("open", "closed"):
            raise WriteRefused(400, "expected dry_contacts: {id, status: open|closed}")
        document, entry = self._relay_entry("ivp_ensemble_dry_contacts", contact.get("id"))
        entry["status"] = contact["status"]
        self._store("ivp_ensemble_dry_contacts", document)
        return document

    def _write_dry_contact_settings(self, body: dict[str, Any]) -> Any:
        settings = body.get("dry_contacts")
        if not isinstance(settings, dict) or "id" not in settings:
            raise WriteRefused(400, "expected dry_contacts: {id, ...settings}")
        settings = dict(settings)
        for flag in ("override", "manual_override"):
            if isinstance(settings.get(flag), bool):
                settings[flag] = "true" if settings[flag] else "false"
        document, entry = self._relay_entry("ivp_ss_dry_contact_settings", settings["id"])
        entry.update(settings)
        self._store("ivp_ss_dry_contact_settings", document)
        listing = self.document("ivp_ss")
        if isinstance(listing, dict):
            for other in listing.get("dry_contacts") or []:
                if isinstance(other, dict) and other.get("id") == settings["id"]:
                    other.update(settings)
                    self._store("ivp_ss", listing)
        return document

    def _settings_document(self, name: str, what: str) -> dict[str, Any]:
        document = self.document(name)
        if not isinstance(document, dict) or not document:
            raise WriteRefused(404, f"no {what} on this gateway")
        return document

    def _write_gen_config(self, body: dict[str, Any]) -> dict[str, Any]:
        document = self._settings_document("ivp_ss_gen_config", "generator configuration")
        _merge(document, body)
        if not self._devices("ENCHARGE"):
            document["charge_from_generator"] = True
        self._store("ivp_ss_gen_config", document)
        return document

    def _write_gen_schedule(self, body: dict[str, Any]) -> dict[str, Any]:
        document = self._settings_document("ivp_ss_gen_schedule", "generator schedule")
        old = dict(document.get("default_soc") or {})
        _merge(document, body)
        new = document.get("default_soc") or {}
        generator = self.document("ivp_ensemble_generator")
        if (
            isinstance(generator, dict)
            and old
            and generator.get("start_soc") == old.get("start_soc")
            and generator.get("stop_soc") == old.get("stop_soc")
        ):
            generator["start_soc"] = new.get("start_soc", generator["start_soc"])
            generator["stop_soc"] = new.get("stop_soc", generator["stop_soc"])
            self._store("ivp_ensemble_generator", generator)
        self._store("ivp_ss_gen_schedule", document)
        return document

    def _write_gen_mode(self, body: dict[str, Any]) -> dict[str, Any]:
        document = self._settings_document("ivp_ss_gen_mode", "generator mode endpoint")
        if body.get("gen_cmd") not in GENERATOR_MODES:
            raise WriteRefused(400, "gen_cmd must be off, on or auto")
        document["gen_cmd"] = body["gen_cmd"]
        self._store("ivp_ss_gen_mode", document)
        return {}

    def _write_tariff(self, body: dict[str, Any]) -> dict[str, Any]:
        document = self._settings_document("admin_lib_tariff", "tariff")
        tariff = body.get("tariff")
        if not isinstance(tariff, dict) or not isinstance(document.get("tariff"), dict):
            raise WriteRefused(400, "expected tariff: {...}")
        storage = tariff.get("storage_settings")
        if isinstance(storage, dict):
            soc = storage.get("reserved_soc", 0)
            if not isinstance(soc, int | float) or not 0 <= soc <= 100:
                raise WriteRefused(400, "reserved_soc must be 0-100")
            if storage.get("mode") not in (*STORAGE_MODES, None):
                raise WriteRefused(400, f"unknown storage mode {storage.get('mode')!r}")
        _merge(document["tariff"], tariff)
        self._store("admin_lib_tariff", document)
        return document

    def _acb_devices(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for name in INVENTORY_FILES:
            inventory = self.document(name)
            for item in inventory if isinstance(inventory, list) else []:
                if isinstance(item, dict) and item.get("type") == "ACB":
                    for device in item.get("devices") or []:
                        # pyenphase: admin_state 0 is decommissioned
                        if isinstance(device, dict) and device.get("admin_state") != 0:
                            seen.setdefault(str(device.get("serial_num")), device)
        return list(seen.values())

    def _edit_acb(self, serial: str, changes: dict[str, Any]) -> None:
        for name in INVENTORY_FILES:
            inventory = self.document(name)
            if not isinstance(inventory, list):
                continue
            for item in inventory:
                if isinstance(item, dict) and item.get("type") == "ACB":
                    for device in item.get("devices") or []:
                        if isinstance(device, dict) and str(device.get("serial_num")) == serial:
                            device.update(changes)
            self._store(name, inventory)

    def _acb_entries(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        entries = body.get("acb_sleep")
        known = {str(device["serial_num"]) for device in self._acb_devices()}
        if not known and "admin_lib_acb_config" not in self._state.recordings:
            raise WriteRefused(404, "no AC Batteries on this gateway")
        if not isinstance(entries, list) or not entries:
            raise WriteRefused(400, "expected acb_sleep: [...]")
        for entry in entries:
            if not isinstance(entry, dict) or str(entry.get("serial_num")) not in known:
                raise WriteRefused(400, "unknown ACB serial number")
        return entries

    def _acb_config(self) -> dict[str, Any]:
        document = {"acb_sleep": copy.deepcopy(self._state.acb_sleep)}
        if "admin_lib_acb_config" in self._state.recordings:
            self._store("admin_lib_acb_config", document)
        return document

    def _write_acb_sleep(self, body: dict[str, Any]) -> dict[str, Any]:
        entries = self._acb_entries(body)
        for entry in entries:
            low, high = entry.get("sleep_min_soc"), entry.get("sleep_max_soc")
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 100):
                raise WriteRefused(400, "need 0 <= sleep_min_soc <= sleep_max_soc <= 100")
        for entry in entries:
            serial = str(entry["serial_num"])
            self._edit_acb(
                serial,
                {
                    "sleep_enabled": True,
                    "sleep_min_soc": entry["sleep_min_soc"],
                    "sleep_max_soc": entry["sleep_max_soc"],
                },
            )
            self._state.acb_sleep = [
                e for e in self._state.acb_sleep if str(e.get("serial_num")) != serial
            ]
            self._state.acb_sleep.append(
                {
                    "serial_num": serial,
                    "sleep_min_soc": entry["sleep_min_soc"],
                    "sleep_max_soc": entry["sleep_max_soc"],
                }
            )
        return self._acb_config()

    def _clear_acb_sleep(self, body: dict[str, Any]) -> dict[str, Any]:
        serials = {str(entry["serial_num"]) for entry in self._acb_entries(body)}
        for serial in serials:
            self._edit_acb(serial, {"sleep_enabled": False})
        self._state.acb_sleep = [
            e for e in self._state.acb_sleep if str(e.get("serial_num")) not in serials
        ]
        return self._acb_config()


def _merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Merge ``source`` into ``target``: nested objects key by key, anything else replaced."""
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
