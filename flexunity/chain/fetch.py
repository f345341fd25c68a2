"""Reading a published file over HTTP(S) (``flexunity serve``): one GET, errors in words.

Used for manifests given by URL (flexunity.chain.manifest) and by the record room's ``HttpStore``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from flexunity.errors import ChainError, InputError

HTTP_TIMEOUT_S = 30.0


def is_url(spec: str | Path) -> bool:
    return str(spec).startswith(("http://", "https://"))


def fetch_url(url: str, timeout: float = HTTP_TIMEOUT_S, *, missing: str = "not found") -> bytes:
    """The body of ``GET url``; a 404 is an InputError (``missing``), an unreachable server a ChainError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise InputError(missing, where=url) from None
        raise InputError(f"the server answered HTTP {exc.code} {exc.reason}", where=url) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChainError(f"cannot fetch {url}: {reason}") from None
