"""One oracle per deployment: an exclusive, non-blocking lock held for the process's lifetime.

Two locks are taken with ``fcntl.flock`` (released by the kernel when the process dies, even by
SIGKILL, so a crash never leaves a stale lock): one beside the state file (``<state>.lock``: two
oracles sharing a state file) and one per deployment in the machine's temporary folder
(``flexunity-oracle-<sha256 of the deployment identity>.lock``, the identity being chain id,
RoundBook address and deployment block hash, as the state file is bound to: two oracles with their
own state files on one machine). A second oracle is refused at once with ``OracleBusy`` (exit
code 6), naming the lock and the process holding it. Oracles on different machines are not seen by
these locks; for them the chain checks of every step and the deterministic result document keep
each effect single
(docs/oracle.md, "Exactly once").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from flexunity.errors import UserError


class OracleBusy(UserError):
    """Another oracle holds the lock of this state file or deployment."""

    exit_code = 6


class OracleLock:
    """Hold ``<state>.lock`` and the deployment's lock until ``release`` (or process exit)."""

    def __init__(self, state: Path, deployment: str) -> None:
        folder = Path(os.environ.get("FLEXUNITY_LOCK_DIR") or tempfile.gettempdir())
        tag = hashlib.sha256(deployment.lower().encode()).hexdigest()[:16]
        self.paths = [state.with_name(state.name + ".lock"), folder / f"flexunity-oracle-{tag}.lock"]
        self._files: list[IO[str]] = []

    def acquire(self) -> OracleLock:
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")  # noqa: SIM115 (held open for the lock's lifetime)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                self.release()
                raise OracleBusy(
                    f"another oracle ({holder}) is running for this deployment or state file "
                    f"(lock {path}); stop it first, only one oracle may drive a deployment"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            self._files.append(handle)
        return self

    def release(self) -> None:
        for handle in self._files:
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        self._files = []
