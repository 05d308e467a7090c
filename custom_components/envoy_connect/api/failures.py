"""What a failed step against the gateway raised, sorted into "no answer" and "unreadable answer".

pyenphase, aiohttp and the parsers under them raise many types; these two
groups are all the gateway wrapper and its controls need to tell apart.
"""

from __future__ import annotations

import aiohttp
from pyenphase.exceptions import EnvoyClientClosedError, EnvoyError

from .http import ResponseTooLarge, ResponseTooSlow

#: Whatever the transport or pyenphase raise when the gateway cannot be read.
#: ``EnvoyClientClosedError`` is a RuntimeError, outside ``EnvoyError``.
TRANSPORT_ERRORS = (EnvoyError, EnvoyClientClosedError, aiohttp.ClientError, TimeoutError)
#: What pyenphase's parsers raise on an answer they cannot read (lxml's XML errors
#: are SyntaxErrors, orjson's are ValueErrors; an inventory without its Enpower
#: entry leaves a local unbound); never a reason for a traceback.
BAD_DATA_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    SyntaxError,
    UnboundLocalError,
)


def runaway_cause(err: BaseException) -> str | None:
    """What our bounded read said, when it is why pyenphase gave up (huge or endless answer)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ResponseTooLarge | ResponseTooSlow):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return None
