"""Local chains for development, tests and the demo: anvil (from npm) and the in-process eth-tester.

``start_anvil()`` runs the native anvil binary that ``npm ci`` put in node_modules/@foundry-rs on a
free loopback port and returns a handle whose ``stop()`` (or ``with`` block) always ends the process.
anvil's output goes to a file (``Anvil.log_path``), never to a pipe nobody reads: a full pipe (64 KiB)
would stop anvil at its next write, and with it every answer and every block.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from web3 import HTTPProvider, Web3

from flexunity.errors import ChainError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"


def anvil_binary() -> str:
    """The anvil executable: the native binary of the project's npm copy first, then PATH.

    Not node_modules/.bin/anvil: that npm wrapper neither passes on anvil's exit status nor stops
    the native process when it is itself stopped (an orphaned devnet).
    """
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")
    system = platform.system().lower()
    local = PROJECT_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{machine}" / "bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if not found:
        raise ChainError("anvil not found: run `make setup` (it installs @foundry-rs/anvil from npm)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Anvil:
    """A running anvil process; ``stop()`` ends it (idempotent)."""

    process: subprocess.Popen[bytes]
    port: int
    chain_id: int
    accounts: int
    block_time: float | None
    log_path: Path | None = None  # anvil's stdout and stderr (a temporary file, removed by stop())
    _stopped: bool = field(default=False, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def web3(self, timeout: float = 60.0) -> Web3:
        return Web3(HTTPProvider(self.rpc_url, request_kwargs={"timeout": timeout}))

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def log_tail(self, limit: int = 2000) -> str:
        """The end of anvil's output (for an error message)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes()[-limit:].decode(errors="replace").strip()

    def __enter__(self) -> Anvil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_anvil(
    *,
    chain_id: int = 31337,
    accounts: int = 10,
    balance_eth: int = 10_000,
    block_time: float | None = None,
    gas_limit: int | None = None,
    startup_timeout: float = 20.0,
    state: Path | None = None,
    port: int | None = None,
) -> Anvil:
    """Start anvil on a free loopback port (or ``port``) and wait until it answers JSON-RPC.

    ``state``: anvil loads its chain from this file if it exists and writes it there when stopped
    (``--state``; a restarted devnet keeps its blocks but not its ``evm_increaseTime`` offset)."""
    port = port or free_port()
    command = [
        anvil_binary(),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", str(chain_id),
        "--accounts", str(accounts),
        "--balance", str(balance_eth),
        "--mnemonic", DEFAULT_MNEMONIC,
        "--silent",
    ]  # fmt: skip
    if block_time is not None:
        command += ["--block-time", str(block_time)]
    if gas_limit is not None:
        command += ["--gas-limit", str(gas_limit)]
    if state is not None:
        command += ["--state", str(state)]
    handle, log_name = tempfile.mkstemp(prefix=f"anvil-{port}-", suffix=".log")
    with os.fdopen(handle, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    node = Anvil(process, port, chain_id, accounts, block_time, Path(log_name))
    try:
        _wait_until_ready(node, startup_timeout)
    except BaseException:
        node.stop()
        raise
    return node


def _wait_until_ready(node: Anvil, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    w3 = node.web3(timeout=2)
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise ChainError(f"anvil exited with code {node.process.returncode}: {node.log_tail()}")
        with contextlib.suppress(Exception):
            if w3.eth.chain_id == node.chain_id:
                return
        time.sleep(0.1)
    raise ChainError(f"anvil did not answer on {node.rpc_url} within {timeout:.0f} s")


@contextlib.contextmanager
def anvil(**kwargs: object) -> Iterator[Anvil]:
    """``with anvil() as node:`` a devnet that is stopped whatever happens inside the block."""
    node = start_anvil(**kwargs)  # type: ignore[arg-type]
    try:
        yield node
    finally:
        node.stop()


def eth_tester_web3() -> Web3:
    """A web3 on a fresh in-process py-evm chain (eth-tester), ten funded unlocked accounts."""
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    backend = PyEVMBackend(genesis_parameters=PyEVMBackend.generate_genesis_params({"gas_limit": 60_000_000}))
    return Web3(EthereumTesterProvider(EthereumTester(backend=backend)))
