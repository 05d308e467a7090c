"""Enlighten login: the two web calls that produce an Envoy token (local mode).

pyenphase can do this too, but it opens its own session, retries without end
on connection errors and reports a 503 as an authentication error. We need an
injected session and a clear verdict: rejected, MFA, or merely unavailable.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from .errors import (
    EnlightenAccountBlocked,
    EnlightenClientRefused,
    EnlightenCodeBlocked,
    EnlightenCodeRejected,
    EnlightenError,
    EnlightenGatewayNotLinked,
    EnlightenMfaRequired,
    EnlightenRejected,
    EnlightenTooManySessions,
    EnlightenUnavailable,
    MfaChallenge,
)
from .http import read_bounded

_LOGGER = logging.getLogger(__name__)

ENLIGHTEN_URL = "https://enlighten.enphaseenergy.com"
ENTREZ_URL = "https://entrez.enphaseenergy.com"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
PROBE_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True, slots=True)
class EnlightenEndpoints:
    """Where the login and token services live (the simulator replaces both)."""

    login_base: str = ENLIGHTEN_URL
    token_base: str = ENTREZ_URL

    @classmethod
    def single(cls, base: str) -> EnlightenEndpoints:
        """Both services on one base URL, as the simulator serves them."""
        return cls(login_base=base.rstrip("/"), token_base=base.rstrip("/"))


class EnlightenLogin:
    """Obtains Envoy tokens with an Enlighten account, on the caller's session."""

    def __init__(
        self, session: aiohttp.ClientSession, endpoints: EnlightenEndpoints | None = None
    ) -> None:
        """Use ``session`` (which must verify TLS) for every call."""
        self._session = session
        self._endpoints = endpoints or EnlightenEndpoints()

    async def async_obtain_token(self, username: str, password: str, serial: str) -> str:
        """Log in and request a token for ``serial``.

        :raises EnlightenRejected: Enlighten refused the credentials or the gateway.
        :raises EnlightenMfaRequired: the account needs a one-time code.
        :raises EnlightenUnavailable: Enlighten gave no verdict (down, slow, garbage).
        """
        cookies: dict[str, str] = {}
        login = await self._post(
            f"{self._endpoints.login_base}/login/login.json",
            data={"user[email]": username, "user[password]": password},
            cookies_out=cookies,
        )
        try:
            session_id = _session_of(login)
        except EnlightenMfaRequired:
            _LOGGER.debug("Enlighten asks this account for a one-time code")
            raise EnlightenMfaRequired(
                "the account needs a one-time code",
                challenge=MfaChallenge(username, serial, cookies) if cookies else None,
            ) from None
        return await self._token_for(session_id, username, serial)

    async def async_obtain_token_with_code(self, challenge: MfaChallenge, code: str) -> str:
        """Finish an MFA login with the emailed one-time code; the token for its gateway.

        :raises EnlightenCodeRejected: the code is wrong or expired.
        :raises EnlightenCodeBlocked: Enlighten blocks further codes for now.
        :raises EnlightenRejected: Enlighten no longer knows the login (start again).
        :raises EnlightenUnavailable: Enlighten gave no verdict.
        """
        answer = await self._post(
            f"{self._endpoints.login_base}/app-api/validate_login_otp",
            data={
                "email": _b64(challenge.username),
                "otp": _b64(code.strip()),
                "xhrFields[withCredentials]": "true",
            },
            cookies_in=challenge.cookies,
            too_many=EnlightenCodeBlocked,
        )
        if isinstance(answer, dict) and answer.get("isBlocked") is True:
            raise EnlightenCodeBlocked("Enlighten blocks the one-time code")
        if isinstance(answer, dict) and answer.get("isValid") is False:
            raise EnlightenCodeRejected("Enlighten did not accept the one-time code")
        session_id = _session_of(answer)
        return await self._token_for(session_id, challenge.username, challenge.serial)

    async def async_resend_code(self, challenge: MfaChallenge) -> MfaChallenge:
        """Ask Enphase to email a new one-time code; the login continues with the result.

        :raises EnlightenCodeBlocked: no more codes for now.
        :raises EnlightenRejected: Enlighten no longer knows the login (start again).
        :raises EnlightenUnavailable: Enlighten gave no verdict.
        """
        cookies = dict(challenge.cookies)
        answer = await self._post(
            f"{self._endpoints.login_base}/app-api/generate_mfa_login_otp",
            data={"locale": "en"},
            cookies_in=challenge.cookies,
            cookies_out=cookies,
            too_many=EnlightenCodeBlocked,
        )
        if isinstance(answer, dict) and (
            answer.get("isBlocked") is True or answer.get("success") is False
        ):
            raise EnlightenCodeBlocked("Enlighten sends no new code for now")
        return replace(challenge, cookies=cookies)

    async def _token_for(self, session_id: str, username: str, serial: str) -> str:
        try:
            token = await self._post(
                f"{self._endpoints.token_base}/tokens",
                json={"session_id": session_id, "serial_num": serial, "username": username},
                expect_json=False,
            )
        except EnlightenRejected as err:
            if err.status == 403:  # a valid session, and still no token: not this account's
                raise EnlightenGatewayNotLinked(
                    "the token service refused this gateway for the account"
                ) from None
            raise
        if not isinstance(token, str) or token.count(".") != 2:
            raise EnlightenUnavailable("token service answered something that is not a JWT")
        return token

    async def async_is_reachable(self) -> bool:
        """True when Enlighten answers at all; the request carries no credentials.

        While Enlighten is down we check it often, so data returns soon after it
        does, without spending a login (and the account's patience) on each check.
        Real Enlighten redirects ``/`` to its login page; any answer below 500 is "up".
        Never raises: no answer is False.
        """
        try:
            async with self._session.get(
                f"{self._endpoints.login_base}/", timeout=PROBE_TIMEOUT, allow_redirects=False
            ) as resp:
                return resp.status < 500
        except TimeoutError, aiohttp.ClientError:
            return False

    async def _post(
        self,
        url: str,
        *,
        expect_json: bool = True,
        cookies_in: dict[str, str] | None = None,
        cookies_out: dict[str, str] | None = None,
        too_many: type[EnlightenError] | None = None,
        **kwargs: Any,
    ) -> Any:
        """POST and read the answer; Enlighten's cookies travel explicitly, never in a jar.

        Each login's cookies belong to that login only: the shared session must not
        carry one account's pending MFA login into another's requests. ``too_many``
        is what a 429 means for this call (else: Enlighten unavailable).
        """
        service = url.rsplit("/", 1)[-1]
        if cookies_in:
            cookie = "; ".join(f"{k}={v}" for k, v in cookies_in.items())
            kwargs["headers"] = {"Cookie": cookie}
        try:
            async with self._session.post(url, timeout=REQUEST_TIMEOUT, **kwargs) as resp:
                if cookies_out is not None:
                    cookies_out.update({k: m.value for k, m in resp.cookies.items()})
                if resp.status == 429 and too_many is not None:
                    raise too_many(f"Enlighten {service} answered 429")
                if resp.status in (401, 403):
                    _LOGGER.debug("Enlighten %s rejected the request (%s)", service, resp.status)
                    raise EnlightenRejected(
                        f"Enlighten {service} answered {resp.status}", status=resp.status
                    )
                if resp.status == 406:
                    raise EnlightenClientRefused(f"Enlighten {service} refused this client (406)")
                if resp.status != 200:
                    raise EnlightenUnavailable(f"Enlighten {service} answered {resp.status}")
                body = await read_bounded(resp)
                if expect_json:
                    return json.loads(body)
                return body.decode(errors="replace").strip()
        except TimeoutError as err:
            raise EnlightenUnavailable(f"Enlighten {service} timed out") from err
        except aiohttp.ClientError as err:
            raise EnlightenUnavailable(
                f"Enlighten {service} unreachable: {type(err).__name__}"
            ) from err
        except ValueError as err:  # JSON decoding
            raise EnlightenUnavailable(f"Enlighten {service} answered invalid JSON") from err


def _b64(text: str) -> str:
    """Enlighten's web login sends the email and the code base64-encoded."""
    return base64.b64encode(text.encode()).decode("ascii")


def _session_of(login: Any) -> str:
    """The session id of a login answer, or the error its answer means.

    Real answers: a session (``session_id``); MFA accounts get
    ``{"success":true,"isBlocked":false}`` and a ``login_otp_nonce`` cookie;
    a blocked account ``"isBlocked": true``; a login beyond the account's
    session limit a message saying "too many active sessions".

    :raises EnlightenAccountBlocked: the account is blocked.
    :raises EnlightenTooManySessions: too many sessions are open.
    :raises EnlightenMfaRequired: the account needs a one-time code.
    :raises EnlightenUnavailable: not an answer we can read.
    """
    if not isinstance(login, dict):
        raise EnlightenUnavailable("login answer is not an object")
    if session_id := login.get("session_id"):
        return str(session_id)
    if login.get("isBlocked") is True:
        raise EnlightenAccountBlocked("Enlighten reports the account as blocked")
    if "too many" in str(login.get("message", "")).lower():
        raise EnlightenTooManySessions("Enlighten refused another session")
    if login.get("success") is True:
        raise EnlightenMfaRequired("the account needs a one-time code")
    raise EnlightenUnavailable("login answered neither a session nor a challenge")
