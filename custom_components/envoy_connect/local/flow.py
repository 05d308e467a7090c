"""Config flow steps of a local gateway: add, discover, reconfigure, reauthenticate.

Every path validates the same way before anything is saved (``form``); the
token obtained on the way is stored, so the first start needs no cloud
round-trip. The reauth steps come from the outcome table: one form per reason.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import probatio as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from ..api import LOCAL_ACCOUNTS
from ..const import (
    CONF_AUTH_STATE,
    CONF_GATEWAY_KEY,
    CONF_MFA,
    DOMAIN,
)
from ..outcomes import (
    FIRMWARE_NEEDS_ENLIGHTEN,
    LOCAL_REAUTH_REASONS,
    MFA_ERROR,
    MFA_TOKEN_REQUIRED,
    REAUTH_REASON,
    TOKEN_REJECTED,
)
from .form import (
    TEXT,
    Validation,
    async_validate_for_form,
    credentials_schema,
    token_field,
)
from .identity import async_trusted_move
from .mfa import PendingLogin


def _gateway_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TEXT}
        | credentials_schema(defaults)
    )


def _keep_stored_secrets(
    user_input: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """Blank secret fields mean "unchanged" when reconfiguring.

    Secrets are never shown in a form, so a user who only changes the host leaves
    them empty: keep the stored password (same username) and the stored token,
    which also spares an Enlighten login.
    """
    merged = dict(user_input)
    same_user = (merged.get(CONF_USERNAME) or None) == stored.get(CONF_USERNAME)
    if merged.get(CONF_PASSWORD) or not same_user:
        return merged  # new credentials: validate exactly those, never a stored token
    if stored.get(CONF_PASSWORD):
        merged[CONF_PASSWORD] = stored[CONF_PASSWORD]
    if not merged.get(CONF_TOKEN):
        merged[CONF_TOKEN] = (stored.get(CONF_AUTH_STATE) or {}).get("token")
    return merged


class LocalFlow(ConfigFlow):
    """The local steps of the one Envoy Connect config flow."""

    def __init__(self) -> None:
        """Start with nothing discovered."""
        super().__init__()
        self._discovered_host: str | None = None
        self._discovered_serial: str | None = None
        self._mfa_input: dict[str, Any] = {}
        #: A multi-factor login waiting for its one-time code (lives with the flow only).
        self._pending: PendingLogin | None = None
        #: A TLS key the user confirmed for the entry's gateway in this flow.
        self._confirmed_key: str | None = None
        #: The step to return to once the user confirms a changed key, and the key.
        self._resume: Callable[[], Coroutine[Any, Any, ConfigFlowResult]] | None = None
        self._identity: dict[str, str] = {}

    async def async_step_local(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host and credentials, validate, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result, errors = await self._async_validate_and_create(user_input)
            if result is not None:
                return result
            if self._pending is not None:
                return await self.async_step_mfa_code()
            if errors.get("base") == MFA_ERROR:
                self._mfa_input = {
                    CONF_HOST: user_input[CONF_HOST],
                    CONF_USERNAME: user_input.get(CONF_USERNAME),
                }
                return await self.async_step_mfa_token()
        defaults = user_input or {CONF_HOST: self._discovered_host}
        return self.async_show_form(
            step_id="local",
            data_schema=_gateway_schema(defaults),
            errors=errors,
            description_placeholders={"serial": self._discovered_serial or ""},
        )

    async def async_step_mfa_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A multi-factor account: Enlighten gives us no token, so the user pastes one."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # An MFA account: its reauth asks for a code or token, never a password.
            result, errors = await self._async_validate_and_create(
                {**self._mfa_input, **user_input, CONF_MFA: True}
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="mfa_token",
            data_schema=vol.Schema(token_field(required=True)),
            errors=errors,
            description_placeholders={"username": str(self._mfa_input.get(CONF_USERNAME))},
        )

    async def async_step_mfa_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The one-time code Enphase emailed (or a new one, or a pasted token)."""
        pending = self._pending
        assert pending is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            answer, errors = await pending.async_answer(self.hass, user_input)
            if answer is not None:
                if self.source == SOURCE_REAUTH:
                    result = await self._async_validate_for_entry(answer)
                    if result.validated:
                        entry = self._get_reauth_entry()
                        return self.async_update_reload_and_abort(entry, data=result.validated.data)
                    errors = result.errors
                else:
                    created, errors = await self._async_validate_and_create(answer)
                    if created is not None:
                        return created
        return self.async_show_form(**pending.form(errors))

    async def _async_validate_and_create(
        self, user_input: dict[str, Any]
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        result = await async_validate_for_form(self.hass, user_input, self._discovered_serial)
        validated, errors = result.validated, result.errors
        if result.mfa is not None:
            self._pending = PendingLogin(dict(user_input), result.mfa)
        if validated is None:
            return None, errors
        await self.async_set_unique_id(validated.serial, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_HOST: validated.data[CONF_HOST]})
        return self.async_create_entry(title=f"Envoy {validated.serial}", data=validated.data), {}

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A gateway announced itself; a known one that moved gets its new address, if trusted.

        The serial in an announcement is public: anyone on the LAN can announce
        it. A new address is taken only when it presents the gateway's trusted
        TLS key (or, for firmware < 7, where nothing secret is ever sent).
        """
        if discovery_info.ip_address.version != 4:
            return self.async_abort(reason="not_ipv4_address")
        serial = discovery_info.properties.get("serialnum")
        if not serial:
            return self.async_abort(reason="no_serial")
        await self.async_set_unique_id(serial)
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, serial)
        if entry is not None and entry.data.get(CONF_HOST) != discovery_info.host:
            updates = await async_trusted_move(self.hass, entry, discovery_info.host)
            if updates is None:
                return self.async_abort(reason="already_configured")
            self._abort_if_unique_id_configured(updates=updates)
        self._abort_if_unique_id_configured()
        self._discovered_host = discovery_info.host
        self._discovered_serial = serial
        self.context["title_placeholders"] = {"name": f"Envoy {serial}"}
        return await self.async_step_local()

    async def _async_reconfigure_local(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or credentials of a gateway."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            merged = _keep_stored_secrets(user_input, entry.data)
            result = await self._async_validate_for_entry(merged)
            if result.presented_key:
                return await self._async_ask_to_confirm(
                    merged[CONF_HOST],
                    result.presented_key,
                    self._async_reconfigure_local,
                    user_input,
                )
            validated, errors = result.validated, result.errors
            if validated:
                await self.async_set_unique_id(validated.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                return self.async_update_reload_and_abort(entry, data=validated.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_gateway_schema(user_input or entry.data),
            errors=errors,
        )

    async def _async_start_local_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Credentials stopped working: open the form that explains why."""
        reason = str(entry_data.get(REAUTH_REASON) or TOKEN_REJECTED)
        if reason not in LOCAL_REAUTH_REASONS:
            reason = TOKEN_REJECTED
        if reason == TOKEN_REJECTED and entry_data.get(CONF_MFA):
            reason = MFA_TOKEN_REQUIRED  # its form says why: a code, not a stored password
        return await self._async_reauth_form(reason, None)

    async def _async_reauth_form(
        self, reason: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """New Enlighten credentials or a pasted token, validated before saving.

        A multi-factor account can only paste a token, so its form asks for
        nothing else, and typed credentials of such an account lead there.
        """
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            # The token-only form keeps the stored username (for the next form's pre-fill).
            known = {CONF_HOST: entry.data[CONF_HOST], CONF_USERNAME: entry.data.get(CONF_USERNAME)}
            result = await self._async_validate_for_entry({**known, **user_input})
            if result.presented_key:
                saved = user_input

                async def resume(_input: dict[str, Any] | None) -> ConfigFlowResult:
                    return await self._async_reauth_form(reason, saved)

                return await self._async_ask_to_confirm(
                    entry.data[CONF_HOST], result.presented_key, resume, user_input
                )
            validated, errors = result.validated, result.errors
            if validated:
                await self.async_set_unique_id(validated.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                return self.async_update_reload_and_abort(entry, data=validated.data)
            if result.mfa is not None:
                self._pending = PendingLogin({**known, **user_input}, result.mfa)
                return await self.async_step_mfa_code()
            if errors.get("base") == MFA_ERROR:
                reason, user_input, errors = MFA_TOKEN_REQUIRED, None, {}
        defaults: Mapping[str, Any] = user_input or entry.data
        if reason == FIRMWARE_NEEDS_ENLIGHTEN and defaults.get(CONF_USERNAME) in LOCAL_ACCOUNTS:
            # The gateway's own account cannot work any more: do not offer it again.
            defaults = {k: v for k, v in defaults.items() if k != CONF_USERNAME}
        schema = credentials_schema(defaults)
        return self.async_show_form(
            step_id=f"reauth_{reason}",
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders={
                "name": entry.title,
                "host": entry.data[CONF_HOST],
                "username": str(entry.data.get(CONF_USERNAME) or ""),
            },
        )

    def _target_entry(self) -> ConfigEntry[Any]:
        """The entry this reauth or reconfigure flow changes."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    async def _async_validate_for_entry(self, user_input: Mapping[str, Any]) -> Validation:
        """Validate for the entry of this reconfigure or reauth, with its trusted key."""
        entry = self._target_entry()
        trusted = self._confirmed_key or entry.data.get(CONF_GATEWAY_KEY)
        return await async_validate_for_form(self.hass, user_input, entry.unique_id, trusted)

    async def _async_ask_to_confirm(
        self, host: str, presented: str, resume: _Resume, user_input: dict[str, Any]
    ) -> ConfigFlowResult:
        """The address presents another TLS key than the trusted one: nothing was sent yet."""
        entry = self._target_entry()
        self._identity = {
            "host": host,
            "trusted": str(entry.data.get(CONF_GATEWAY_KEY) or ""),
            "presented": presented,
        }

        async def again() -> ConfigFlowResult:
            return await resume(user_input)

        self._resume = again
        return await self.async_step_confirm_identity()

    async def async_step_confirm_identity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user confirms the gateway at this address is theirs; then the step goes on."""
        if user_input is not None and self._resume is not None:
            self._confirmed_key = self._identity["presented"]
            return await self._resume()
        return self.async_show_form(
            step_id="confirm_identity", description_placeholders=self._identity
        )


type _Resume = Callable[[dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]]
type _Step = Callable[[LocalFlow, dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]]


def _reauth_step(reason: str) -> _Step:
    async def step(flow: LocalFlow, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await flow._async_reauth_form(reason, user_input)  # noqa: SLF001

    step.__doc__ = f"The reauth form that explains {reason!r}."
    return step


# One step per reason of the outcome table, so each form carries its own explanation.
for _reason in LOCAL_REAUTH_REASONS:
    setattr(LocalFlow, f"async_step_reauth_{_reason}", _reauth_step(_reason))
