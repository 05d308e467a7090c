"""Values of pyenphase's models checked against their declared types, once per update.

pyenphase copies JSON values into its dataclasses as they arrive: a gateway (or
a host pretending to be one) can send text where a number belongs, and Home
Assistant raises when a sensor shows it, or a comparison in an entity fails.
Checking each field against its annotation catches every such case in one
place, for models pyenphase adds later too. A value of the wrong type, or a
number no gateway can report, becomes None (unknown in Home Assistant) and is
counted. A whole number where text belongs (serial numbers in recordings that
pyenphase anonymised) becomes that text, and 0/1 where a flag belongs becomes
the flag: the same meaning in another JSON type.
"""

from __future__ import annotations

import logging
import types
import typing
from dataclasses import fields, is_dataclass

_LOGGER = logging.getLogger(__name__)

#: Far beyond any real reading (1 PWh, or a millisecond timestamp in the year 33658).
ABSURD = 1e15
_SCALARS = (bool, int, float, str)
#: Raw answers as received: no model, nothing to check.
_SKIPPED_FIELDS = frozenset({"raw"})


class ModelScrubber:
    """Checks every model object of an update; remembers what it reported."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        #: Values replaced by None since start-up (diagnostics).
        self.replaced = 0
        self._reported: set[str] = set()

    def scrub(self, data: object) -> int:
        """Check ``data`` and everything it holds; return how many values were replaced."""
        before = self.replaced
        self._walk(data)
        return self.replaced - before

    def _walk(self, value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                self._walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self._walk(item)
        elif is_dataclass(value) and not isinstance(value, type):
            self._check_model(value)

    def _check_model(self, model: object) -> None:
        cls = type(model)
        expected = _expected_kinds(cls)
        for name in _model_fields(cls):
            value = getattr(model, name)
            kinds = expected.get(name)
            if kinds is None:
                self._walk(value)
                continue
            if _plainly_fits(value, kinds):
                continue
            fixed = _conform(value, kinds)
            if fixed is not value:
                object.__setattr__(model, name, fixed)  # some models are frozen
                if fixed is None:
                    self._count(cls.__name__, name, value)

    def _count(self, model: str, name: str, value: object) -> None:
        """Count every replacement; log each field once (a bad gateway repeats itself)."""
        self.replaced += 1
        where = f"{model}.{name}"
        if where not in self._reported:
            self._reported.add(where)
            _LOGGER.warning(
                "The gateway reported an implausible %s (%s); shown as unknown",
                where,
                type(value).__name__,
            )


def _plainly_fits(value: object, kinds: frozenset[type]) -> bool:
    """The common case, checked cheaply (a few hundred fields every minute)."""
    kind = type(value)
    if kind is int or kind is float:
        # False for NaN and infinities too.
        return kind in kinds and -ABSURD <= value <= ABSURD  # type: ignore[operator]
    return value is None or kind in kinds


def _conform(value: object, kinds: frozenset[type]) -> object:
    """A value that does not plainly fit: kept, its meaning in the declared type, or None.

    A subclass of a declared type is kept (pyenphase puts StrEnums in text
    fields). A number declared as a number gets here only beyond any real reading.
    """
    if isinstance(value, bool):
        return None  # a flag where no flag belongs (a declared flag fits plainly)
    if isinstance(value, str):
        return value if str in kinds else None
    if isinstance(value, int | float) and int in kinds:  # int and float come together
        return value if -ABSURD <= value <= ABSURD else None
    if type(value) is int:
        if bool in kinds and value in (0, 1):
            return bool(value)  # a flag sent as 0/1
        if str in kinds:
            return str(value)  # an anonymised serial number
    return None


_FIELDS: dict[type, tuple[str, ...]] = {}
_KINDS: dict[type, dict[str, frozenset[type]]] = {}


def _model_fields(cls: type) -> tuple[str, ...]:
    if (names := _FIELDS.get(cls)) is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls) if f.name not in _SKIPPED_FIELDS)
    return names


def _expected_kinds(cls: type) -> dict[str, frozenset[type]]:
    """Fields whose annotation is scalars only (``int``, ``float | None``, ``str``...)."""
    if (known := _KINDS.get(cls)) is not None:
        return known
    expected: dict[str, frozenset[type]] = {}
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError) as err:  # an annotation we cannot resolve: trust it
        _LOGGER.debug("Cannot read the annotations of %s: %s", cls.__name__, err)
        hints = {}
    for name in _model_fields(cls):
        hint = hints.get(name)
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        args = typing.get_args(hint) if union else (hint,)
        kinds = [a for a in args if a is not type(None)]
        if kinds and all(a in _SCALARS for a in kinds):
            if int in kinds or float in kinds:
                kinds += [int, float]  # JSON does not tell 5 from 5.0
            expected[name] = frozenset(kinds)
    _KINDS[cls] = expected
    return expected
