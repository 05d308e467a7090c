"""Time platform: forwarded for local gateways only (cloud systems have none)."""

from .local.time import PARALLEL_UPDATES, async_setup_entry

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
