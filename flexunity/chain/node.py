"""The node: connecting to it (chain id and contracts checked) and the few plain reads of blocks and
balances the rooms above ask for, so that they never touch web3 themselves."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from web3 import HTTPProvider, Web3
from web3.types import Wei

from flexunity.chain.manifest import Manifest
from flexunity.chain.retry import NodeDown, retrying
from flexunity.errors import ChainError

__all__ = [
    "MAX_BACKOFF_S", "Web3", "advance_time", "balance", "block_hash", "connect", "http_web3", "latest_time",
    "pay_from_node",
]  # fmt: skip

MAX_BACKOFF_S = 60.0  # the longest wait between two tries to reach a node that went away
RPC_TIMEOUT_S = 60  # seconds one JSON-RPC request may take


def http_web3(rpc_url: str, timeout: float = RPC_TIMEOUT_S) -> Web3:
    """A web3 on a JSON-RPC endpoint over HTTP (no check made)."""
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


def connect(
    rpc_url: str, manifest: Manifest, report: Callable[[str], None] = lambda _: None, *, wait: bool = False
) -> Web3:
    """A web3 on ``rpc_url`` whose chain id is the manifest's and which holds the manifest's contracts.

    ``wait``: a node that does not answer is waited for (watch mode) instead of failing (NodeDown)."""
    from flexunity.chain.deploy import check_deployed

    w3 = http_web3(rpc_url)
    delay = 1.0
    while True:
        try:
            chain_id = retrying(lambda: w3.eth.chain_id, what=f"connect to {rpc_url}", report=report)
            break
        except NodeDown as exc:
            if not wait:
                raise
            delay = min(delay * 2, MAX_BACKOFF_S)
            report(f"{exc}; waiting {delay:.0f} s for the node (watch mode)")
            time.sleep(delay)
    if chain_id != manifest.chain_id:
        raise ChainError(
            f"{rpc_url} is chain {chain_id}, the manifest was deployed on chain {manifest.chain_id}"
        )
    addresses = {name: c.address for name, c in manifest.contracts.items()}
    retrying(lambda: check_deployed(w3, addresses, chain_id), what="eth_getCode", report=report)
    return w3


def latest_time(w3: Web3) -> int:
    """The latest block's timestamp (the chain's now)."""
    return int(retrying(lambda: w3.eth.get_block("latest")["timestamp"], what="latest block"))


def block_hash(w3: Web3, number: int) -> bytes:
    return bytes(retrying(lambda: w3.eth.get_block(number)["hash"], what=f"block {number}"))


def balance(w3: Web3, address: str) -> int:
    """Ether held by ``address`` (wei)."""
    return int(retrying(lambda: w3.eth.get_balance(address), what="eth_getBalance"))  # type: ignore[arg-type]


def advance_time(w3: Web3, seconds: int) -> int:
    """Move a devnet's clock forward by ``seconds`` and mine a block; return the new block time."""
    if hasattr(w3.provider, "endpoint_uri"):
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    else:
        now = int(w3.eth.get_block("latest")["timestamp"])
        w3.provider.make_request("testing_timeTravel", [now + seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])


def pay_from_node(w3: Web3, payments: Sequence[tuple[str, int]]) -> None:
    """The node's first (unlocked) account pays each (address, wei): a devnet's funding of fresh keys."""
    rich = w3.eth.accounts[0]
    for address, amount in payments:
        tx = w3.eth.send_transaction({"from": rich, "to": address, "value": Wei(amount)})  # type: ignore[typeddict-item]
        w3.eth.wait_for_transaction_receipt(tx)
