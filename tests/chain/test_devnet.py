"""The devnet helpers start real chains and always stop them."""

from __future__ import annotations

import pytest

from flexunity.chain.devnet import anvil, free_port, start_anvil
from flexunity.errors import ChainError


@pytest.mark.devnet
def test_anvil_starts_on_free_port_and_stops() -> None:
    with anvil(chain_id=4242) as node:
        w3 = node.web3()
        assert w3.eth.chain_id == 4242
        assert len(w3.eth.accounts) == 10
        process = node.process
    assert process.poll() is not None, "anvil must be stopped when the block ends"
    # The process started is anvil itself, not the npm wrapper (which would orphan the native anvil
    # when stopped): once stopped, nothing answers on its port any more.
    assert "@foundry-rs" in str(process.args[0]) and "/.bin/" not in str(process.args[0])
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed connection may linger
        sock.bind(("127.0.0.1", node.port))
        sock.listen()


@pytest.mark.devnet
def test_anvil_is_stopped_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), anvil() as node:
        process = node.process
        raise RuntimeError("a failing test")
    assert process.poll() is not None


@pytest.mark.devnet
def test_anvil_block_time_mines_on_its_own() -> None:
    node = start_anvil(block_time=0.5)
    try:
        w3 = node.web3()
        first = w3.eth.block_number
        import time

        time.sleep(1.6)
        assert w3.eth.block_number >= first + 2
    finally:
        node.stop()


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_missing_anvil_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import flexunity.chain.devnet as devnet

    monkeypatch.setattr(devnet, "PROJECT_ROOT", devnet.PROJECT_ROOT / "does-not-exist")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ChainError, match="make setup"):
        devnet.anvil_binary()


@pytest.mark.devnet
def test_anvil_writes_to_a_file_not_a_pipe_and_an_early_exit_quotes_it() -> None:
    """A pipe nobody reads stops anvil once 64 KiB wait in it; its output goes to a file instead."""
    node = start_anvil()
    log = node.log_path
    try:
        assert node.process.stdout is None and node.process.stderr is None
        assert log is not None and log.exists()
    finally:
        node.stop()
    assert not log.exists()
    with pytest.raises(ChainError, match="anvil exited with code 2: error: unexpected argument '-1'"):
        start_anvil(accounts=-1)
