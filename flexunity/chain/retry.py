"""Retries of a call while the node cannot be reached.

``retrying(call)`` repeats a call while the node cannot be reached (connection refused, timeout,
HTTP 5xx), waiting 0.5 s, 1 s, 2 s, ... and reporting each failure; after the last attempt it raises
a ``ChainError`` saying which node is dead (``NodeDown``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests
from web3.exceptions import TimeExhausted

from flexunity.errors import ChainError

T = TypeVar("T")
Reporter = Callable[[str], None]
TRANSIENT = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError, TimeExhausted)


def _ignore(_: str) -> None:
    pass


class NodeDown(ChainError):
    """The node did not answer (connection refused, timeouts, HTTP 5xx) through every retry."""


ATTEMPTS = 6
BASE_DELAY = 0.5  # seconds; waits are 0.5, 1, 2, 4, 8 s (about 15 s in all before giving up)


def retrying(
    call: Callable[[], T],
    *,
    what: str = "RPC call",
    attempts: int | None = None,
    base_delay: float | None = None,
    report: Reporter = _ignore,
) -> T:
    """Run ``call``; on a transient node failure wait base·2^k seconds and try again."""
    attempts = ATTEMPTS if attempts is None else attempts
    base_delay = BASE_DELAY if base_delay is None else base_delay
    for attempt in range(attempts):
        try:
            return call()
        except TRANSIENT as exc:
            if attempt == attempts - 1:
                raise NodeDown(
                    f"{what}: the node did not answer after {attempts} attempts ({str(exc)[:160]})"
                ) from None
            delay = base_delay * 2**attempt
            report(f"{what}: node unreachable ({type(exc).__name__}); retry {attempt + 1} in {delay:.1f} s")
            time.sleep(delay)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status < 500:
                raise ChainError(f"{what}: the node answered HTTP {status}") from None
            if attempt == attempts - 1:
                raise NodeDown(f"{what}: the node answered HTTP {status} {attempts} times") from None
            time.sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")
