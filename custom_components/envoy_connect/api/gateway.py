"""One Envoy gateway on the local network, with recovery built in.

pyenphase does the protocol. This wrapper decides *how* to authenticate for
the firmware the gateway runs right now, re-reads ``/info`` whenever the
gateway may have rebooted (a firmware update always reboots it), and walks the
recovery ladder before it calls anything a rejection:

1. re-read ``/info`` and re-validate the same token (a reboot forgets validated tokens);
2. obtain a new token when Enlighten credentials are stored;
3. only then raise ``EnvoyTokenRejected``.

Only a 401/403 is a refusal. A 5xx, a timeout or a lost connection is a busy
or rebooting gateway: ``GatewayUnreachable``, retried at the next poll with no
login and no prompt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from awesomeversion import AwesomeVersion
from pyenphase import EnvoyData
from pyenphase.const import AUTH_TOKEN_MIN_VERSION
from pyenphase.exceptions import (
    EnvoyAuthenticationError,
    EnvoyAuthenticationRequired,
    EnvoyProbeFailed,
)

from .cadence import Cadence, CadencedEnvoy
from .controls import GatewayControls
from .errors import (
    EnvoyConnectError,
    EnvoyTokenRejected,
    GatewayAuthRejected,
    GatewayBadData,
    GatewayMismatch,
    GatewayUnreachable,
    GatewayUnsupported,
)
from .failures import BAD_DATA_ERRORS, TRANSPORT_ERRORS, runaway_cause
from .http import SessionGuard
from .key_trust import KeyTrust
from .probing import GatewayCapabilities, ProbeSchedule
from .sanitize import ModelScrubber
from .token import EnvoyToken, TokenKind
from .token_manager import AuthState, TokenManager

_LOGGER = logging.getLogger(__name__)

LOCAL_ACCOUNTS = ("installer", "envoy")
#: Upper bound for each step (``/info``, authentication, probe, update): pyenphase
#: retries ``/auth/check_jwt`` on connection errors without a stop of its own, and
#: a gateway that accepts a connection and never answers would hold a poll for minutes.
STEP_TIMEOUT = 60
#: Safety net: re-read ``/info`` this often even when nothing looked wrong.
FIRMWARE_CHECK_INTERVAL = 6 * 3600
#: Multiplier of pyenphase's random exponential wait between request retries.
REQUEST_WAIT_MULTIPLIER = 1.0
CHECK_JWT = "/auth/check_jwt"


class _AuthRequired(Exception):
    """The gateway answered 401/403 to a data request."""


class EnvoyGateway(GatewayControls):
    """Connects to, authenticates with, reads and (see ``GatewayControls``) writes one gateway."""

    def __init__(
        self,
        host: str,
        session: aiohttp.ClientSession,
        tokens: TokenManager,
        *,
        guard: SessionGuard,
        expected_serial: str | None = None,
        username: str | None = None,
        password: str | None = None,
        request_attempts: int = 2,
    ) -> None:
        """Prepare the gateway; nothing is sent before ``async_connect``.

        ``session`` must carry ``guard``'s trace config and middleware; the
        guard's pin is the TLS key trusted for this gateway (None: trust on
        first use). ``expected_serial`` (when known) makes a host that answers
        as another gateway an error.
        """
        self.host = host
        self.session = session
        self._tokens = tokens
        self._guard = guard
        self._expected_serial = expected_serial
        self._username = username or ""
        self._password = password or ""
        # AC Batteries get their own devices, not a place among the inverters.
        self.envoy = CadencedEnvoy(host, session, v2_acb_mode=False, cadence=Cadence())
        self.envoy.set_retry_policy(
            max_attempts=request_attempts, max_delay=30, wait_multiplier=REQUEST_WAIT_MULTIPLIER
        )
        self.capabilities: GatewayCapabilities | None = None
        #: Answers that could not be read since start (for diagnostics).
        self.bad_answers = 0
        #: Values of the wrong type or beyond reason, shown as unknown (diagnostics).
        self.scrubber = ModelScrubber()
        self.trust = KeyTrust(guard, host)
        self._needs_setup = True
        self._probes = ProbeSchedule(host)
        self._last_setup = 0.0
        self._firmware: str | None = None
        self._token_in_use: str | None = None
        #: A token the gateway refused right after we obtained it: no login will help.
        self._refused_fresh: str | None = None

    # -- what the gateway told us ----------------------------------------------
    @property
    def serial(self) -> str | None:
        """Serial number from ``/info``."""
        return self.envoy.serial_number

    @property
    def firmware(self) -> str | None:
        """Firmware version from the last ``/info`` read."""
        return self._firmware

    @property
    def part_number(self) -> str | None:
        """Part number from ``/info``."""
        return self.envoy.part_number

    @property
    def model(self) -> str | None:
        """Pyenphase's description of the gateway (phases, CTs), once probed."""
        return self.envoy.envoy_model if self.capabilities else None

    @property
    def identity(self) -> str | None:
        """The TLS key this gateway is trusted by (pinned, else the one first seen)."""
        return self.trust.identity

    @property
    def auth_state(self) -> AuthState:
        """The token state to persist (token, renewal bookkeeping)."""
        return self._tokens.state

    @property
    def uses_token_auth(self) -> bool:
        """True when the running firmware wants a JWT."""
        return bool(self._firmware) and AwesomeVersion(self._firmware) >= AUTH_TOKEN_MIN_VERSION

    @property
    def has_read(self) -> bool:
        """True once connected and read (probed): nothing to repeat before the next update."""
        return self.capabilities is not None

    def diagnostics(self) -> dict[str, Any]:
        """What the gateway told us and how its answers fared; nothing secret."""
        caps = self.capabilities
        return {
            "firmware": self.firmware,
            "part_number": self.part_number,
            "model": self.model,
            "uses_token_auth": self.uses_token_auth,
            "supported_features": str(caps.features) if caps else None,
            "meters": list(caps.meters) if caps else None,
            "unreadable_answers": self.bad_answers,
            "implausible_values": self.scrubber.replaced,
            "tls_key_pinned": self.identity is not None,
            "tls_key_changes_after_restart": self.trust.key_changes,
        }

    def close(self) -> None:
        """Let go of the session; its connector is the caller's (HA's), so it stays open."""
        self.session.detach()

    def use_tokens(self, tokens: TokenManager) -> None:
        """Authenticate from now on with ``tokens`` (the entry's, after a flow validated)."""
        self._tokens = tokens

    # -- lifecycle -----------------------------------------------------------
    async def async_connect(self) -> None:
        """Read ``/info`` and authenticate the way the firmware wants.

        A stored token the gateway refuses is replaced when Enlighten
        credentials are stored, exactly as during updates. The probe is left
        to the first update, which reads each endpoint once for both.

        :raises GatewayUnreachable: the gateway is offline or busy.
        :raises GatewayBadData: the gateway answered something unreadable.
        :raises GatewayIdentityChanged: the address presents another TLS key.
        :raises GatewayMismatch: the host answers as another gateway.
        :raises EnvoyTokenRejected: the gateway refuses every token we can get.
        :raises GatewayAuthRejected: firmware < 7 refuses the local account.
        :raises CredentialsRequired: firmware >= 7 and neither token nor credentials.
        :raises InvalidToken: the token is for another gateway, or unreadable.
        :raises EnlightenError: a token was needed and Enlighten gave none.
        """
        await self._setup()
        try:
            await self._authenticate()
        except EnvoyTokenRejected:
            await self._replace_refused_token()

    async def async_read_mac(self) -> str | None:
        """The MAC of the gateway's active interface (``/home``), or None when it has none.

        Read once per entry: legacy firmware answers 404, and the MAC does not change.
        Never raises: no readable answer is None.
        """
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                interface = await self.envoy.interface_settings()
        except (*TRANSPORT_ERRORS, *BAD_DATA_ERRORS) as err:
            _LOGGER.debug("Gateway %s: no interface settings (%s)", self.host, type(err).__name__)
            return None
        if interface is None or interface.mac == "unknown":
            return None
        return interface.mac.lower()

    async def async_identify(self) -> str | None:
        """Read only ``/info``, which needs no credentials: the serial this host reports.

        :raises GatewayUnreachable: no answer.
        :raises GatewayBadData: an unreadable answer.
        :raises GatewayIdentityChanged: a key is pinned and the host presents another.
        :raises GatewayMismatch: a serial is expected and the host reports another.
        """
        await self._setup()
        return self.serial

    async def async_update(self) -> EnvoyData:
        """Fetch data, recovering from reboots and lost sessions on the way.

        After a firmware change (``firmware`` differs afterwards, also when
        this raises) the gateway is probed again and ``capabilities`` updated.

        :raises GatewayUnreachable: the gateway is offline or busy.
        :raises GatewayBadData: the gateway answered something unreadable.
        :raises GatewayIdentityChanged: the address presents another TLS key.
        :raises GatewayMismatch: the host answers as another gateway.
        :raises GatewayUnsupported: no production endpoint pyenphase can read.
        :raises EnvoyTokenRejected: the gateway refuses every token we can get.
        :raises GatewayAuthRejected: firmware < 7 refuses the local account.
        :raises CredentialsRequired: firmware >= 7 and neither token nor credentials.
        :raises InvalidToken: the token is for another gateway, or unreadable.
        :raises EnlightenError: a new token was needed and Enlighten gave none.
        """
        try:
            if self._needs_setup or time.monotonic() - self._last_setup > FIRMWARE_CHECK_INTERVAL:
                await self._resetup()
            else:
                if self._token_renewed():
                    # Use a proactively renewed token at once, while the old one still works.
                    await self._authenticate()
                if self._probes.due:
                    await self._probe()
            return await self._fetch()
        except _AuthRequired, EnvoyTokenRejected:
            _LOGGER.debug("Gateway %s refuses our authentication; recovering", self.host)
        return await self._recover()

    async def _recover(self) -> EnvoyData:
        """The recovery ladder: same token after a fresh /info, then a new token."""
        try:
            await self._resetup()
            return await self._fetch()
        except _AuthRequired, EnvoyTokenRejected:
            if not self.uses_token_auth:
                raise GatewayAuthRejected("the gateway refused the local credentials") from None
        await self._replace_refused_token()
        if self._probes.due:  # a firmware update that also refused the old token
            await self._probe()
        try:
            return await self._fetch()
        except _AuthRequired:
            self._refused_fresh = self._token_in_use
            raise EnvoyTokenRejected("the gateway refused a fresh token") from None

    # -- steps -------------------------------------------------------------
    async def _setup(self) -> None:
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                await self.envoy.setup()
        except TRANSPORT_ERRORS as err:
            raise self._unreachable("/info", err) from err
        except BAD_DATA_ERRORS as err:
            raise self._bad_data("/info", err) from err
        if self.trust.refused:
            # HTTPS refused the key; pyenphase read /info over plain HTTP instead.
            raise self._unreachable("/info", KeyError("key"))
        if self._expected_serial is None:
            self._expected_serial = self.serial
        elif self.serial != self._expected_serial:
            self._needs_setup = True
            raise GatewayMismatch("the host answers with another gateway's serial number")
        self.trust.trust_first_key()
        previous, self._firmware = self._firmware, str(self.envoy.firmware or "") or None
        if previous and self._firmware != previous:
            _LOGGER.info(
                "Gateway %s firmware changed from %s to %s", self.host, previous, self._firmware
            )
            self._probes.need()
        self._needs_setup = False
        self._last_setup = time.monotonic()

    async def _replace_refused_token(self) -> None:
        """The gateway refuses the token: authenticate with a new one, if we can get one."""
        token = self._tokens.token
        if not self._tokens.can_renew or (token is not None and token.raw == self._refused_fresh):
            raise EnvoyTokenRejected("the gateway refused the token")
        fresh = await self._tokens.async_renew(self._serial(), seen=token)
        try:
            await self._authenticate(fresh)
        except EnvoyTokenRejected:
            # Refused even fresh: another login would be refused too; the user decides.
            self._refused_fresh = fresh.raw
            raise

    def _token_renewed(self) -> bool:
        token = self._tokens.token
        return self.uses_token_auth and token is not None and token.raw != self._token_in_use

    async def _resetup(self) -> None:
        """Re-read ``/info``; authenticate, and probe again after a firmware change."""
        await self._setup()
        await self._authenticate()
        if self._probes.due:
            await self._probe()

    async def _authenticate(self, token: EnvoyToken | None = None) -> None:
        self._guard.forget(CHECK_JWT)
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                if not self.uses_token_auth:
                    await self.envoy.authenticate(*self._local_credentials())
                    return
                if token is None:
                    token = await self._tokens.async_get_token(self._serial())
                token.check_serial(self.serial)
                await self.envoy.authenticate(token=token.raw)
                self._token_in_use = token.raw
        except EnvoyAuthenticationError as err:
            # pyenphase raises this for any non-200 of check_jwt: read what the gateway said.
            if (status := self._guard.status(CHECK_JWT)) in (401, 403):
                raise EnvoyTokenRejected("the gateway refused the token") from err
            self._needs_setup = True
            raise GatewayUnreachable(f"token check answered {status or 'nothing'}") from err
        except EnvoyAuthenticationRequired as err:
            raise GatewayAuthRejected("no usable local credentials") from err
        except TRANSPORT_ERRORS as err:
            raise self._unreachable("authentication", err) from err

    def _serial(self) -> str:
        """The serial tokens are requested for: the one ``/info`` reported."""
        if not self.serial:
            raise GatewayUnreachable("the gateway did not report a serial number")
        return self.serial

    def _token_kind(self) -> TokenKind | None:
        token = self._tokens.token
        return token.kind if self.uses_token_auth and token is not None else None

    def _local_credentials(self) -> tuple[str, str | None]:
        """Digest account for firmware < 7; pyenphase derives blank passwords."""
        if self._username in LOCAL_ACCOUNTS:
            return self._username, self._password or None
        return "installer", None

    async def _probe(self) -> None:
        """Probe again (after a firmware change): what we kept may be gone or moved."""
        self.envoy.forget()
        self._guard.take_busy()
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                await self.envoy.probe()
        except EnvoyAuthenticationRequired as err:
            raise GatewayAuthRejected("the gateway refused the credentials") from err
        except EnvoyProbeFailed as err:
            raise self._probe_failed(err) from err
        except TRANSPORT_ERRORS as err:
            raise self._unreachable("probe", err) from err
        except BAD_DATA_ERRORS as err:
            raise self._bad_data("probe", err) from err
        self._take_probe()

    def _take_probe(self) -> None:
        """Adopt what the probe found, unless the gateway was busy (see ``probing``)."""
        if self._probes.done(self._guard.take_busy(), first=self.capabilities is None):
            self.capabilities = GatewayCapabilities.of(self.envoy)

    def _probe_failed(self, err: EnvoyProbeFailed) -> EnvoyConnectError:
        """No production endpoint: unsupported firmware, or one that answered 503 or nothing."""
        if self._guard.take_busy():
            self._probes.need()
            return GatewayUnreachable("the production endpoints were busy while probed")
        return GatewayUnsupported("no production endpoint pyenphase can read")

    async def _fetch(self) -> EnvoyData:
        """One update; the first one probes (pyenphase does, reading each endpoint once)."""
        envoy = self.envoy
        if probing := self.capabilities is None:
            self._guard.take_busy()
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                envoy.cadence.begin()
                data = await envoy.update()
        except EnvoyAuthenticationRequired as err:
            raise _AuthRequired from err
        except EnvoyProbeFailed as err:
            raise self._probe_failed(err) from err
        except TRANSPORT_ERRORS as err:
            raise self._unreachable("update", err) from err
        except BAD_DATA_ERRORS as err:
            raise self._bad_data("update", err) from err
        self.scrubber.scrub(data)
        envoy.cadence.observe(data, envoy.take_read())
        if probing:
            self._take_probe()
        self.trust.answered()
        return data

    def _unreachable(self, step: str, err: BaseException) -> EnvoyConnectError:
        """The gateway did not answer, or answered with another TLS key (see ``KeyTrust``)."""
        self._needs_setup = True
        if (verdict := self.trust.failed()) is not None:
            return verdict
        if runaway := runaway_cause(err):
            _LOGGER.warning("Gateway %s: %s; treated as an outage", self.host, runaway)
        return GatewayUnreachable(f"{step} failed: {type(err).__name__}")

    def _bad_data(self, step: str, err: Exception) -> GatewayBadData:
        """Count an unreadable answer; the next poll starts again from /info."""
        self._needs_setup = True
        self.bad_answers += 1
        return GatewayBadData(f"{step}: unreadable answer ({type(err).__name__})")
