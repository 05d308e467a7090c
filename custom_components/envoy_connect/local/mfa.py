"""The one-time-code step of a multi-factor Enlighten login, shared by flows and repairs.

Enphase emails a code when such an account logs in; the user types it here (or
asks for a new one, or pastes a token instead). The code, the login's cookies
and its nonce live only as long as the form: nothing of them is stored or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import probatio as vol
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import BooleanSelector

from ..api import EnvoyConnectError, MfaChallenge
from ..const import CONF_MFA
from ..outcomes import form_error
from .form import TEXT, token_field
from .session import enlighten_login

CONF_CODE = "code"
CONF_RESEND = "resend"
STEP_ID = "mfa_code"


def code_schema() -> vol.Schema:
    """The code, "send a new code", or a pasted token."""
    return vol.Schema(
        {
            vol.Optional(CONF_CODE): TEXT,
            vol.Optional(CONF_RESEND, default=False): BooleanSelector(),
            **token_field(required=False),
        }
    )


class CodeForm(TypedDict):
    """``async_show_form`` arguments of the code step."""

    step_id: str
    data_schema: vol.Schema
    errors: dict[str, str]
    description_placeholders: dict[str, str]


@dataclass(slots=True)
class PendingLogin:
    """What the form continues: the validated input without a token, and the challenge."""

    user_input: dict[str, Any]
    challenge: MfaChallenge

    def __post_init__(self) -> None:
        """The password is not kept: an MFA account never logs in unattended."""
        self.user_input.pop(CONF_PASSWORD, None)

    def form(self, errors: dict[str, str]) -> CodeForm:
        """The code form, in config and repair flows alike; it names where the code went."""
        return CodeForm(
            step_id=STEP_ID,
            data_schema=code_schema(),
            errors=errors,
            description_placeholders={"username": self.challenge.username},
        )

    async def async_answer(
        self, hass: HomeAssistant, answer: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The input to validate (with a token), or None and the form's errors.

        A new code keeps the form open without an error.
        """
        login = enlighten_login(hass)
        try:
            if token := str(answer.get(CONF_TOKEN) or "").strip():
                return {**self.user_input, CONF_TOKEN: token, CONF_MFA: True}, {}
            if answer.get(CONF_RESEND):
                self.challenge = await login.async_resend_code(self.challenge)
                return None, {}
            if not (code := str(answer.get(CONF_CODE) or "").strip()):
                return None, {"base": "code_missing"}
            token = await login.async_obtain_token_with_code(self.challenge, code)
        except EnvoyConnectError as err:
            return None, form_error(err, "checking the one-time code")
        return {**self.user_input, CONF_TOKEN: token, CONF_MFA: True}, {}
