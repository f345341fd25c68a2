"""What the oracle needs from the chain, as a protocol: the web3 adapter (``chainio``) implements it.

Keeping the oracle's steps behind this small interface keeps them readable and lets the state machine
be tested without a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flexunity.chain.settlement import SettlementLeaf
from flexunity.record.orders import AcceptedOrder


@dataclass(frozen=True)
class RoundView:
    """A round as the chain sees it now."""

    round_id: int
    exists: bool
    gate_closed: bool
    config_hash: str
    order_digest: str
    order_count: int
    result_posted: bool = False
    result_hash: str = ""
    merkle_root: str = ""
    window_ends: int = 0  # chain timestamp when the challenge window ends (0: no result yet)
    gate_closure: int = 0  # chain timestamp of the round's gate closure
    disputed: bool = False
    finalized: bool = False  # the chain says settlement may start
    settled_leaves: int = 0
    fully_settled: bool = False
    interval_count: int = 0  # the round's schedule as opened on chain
    interval_seconds: int = 0
    status: str = "NONE"  # the result's status: NONE, POSTED, DISPUTED, ACCEPTED, REJECTED, VOID
    voidable_from: int = 0  # chain time from which anyone may void the round while it has no result


@dataclass(frozen=True)
class Posted:
    tx_hash: str
    gas_used: int
    block: int


class ChainPort(Protocol):
    chain_id: int

    def identity(self) -> str: ...
    def addresses(self) -> dict[str, str]: ...
    def view(self, round_id: int) -> RoundView: ...
    def open_rounds(self) -> list[int]: ...
    def orders(self, round_id: int) -> list[AcceptedOrder]: ...
    def running_digest(self, round_id: int, orders: list[AcceptedOrder]) -> str: ...
    def now(self) -> int: ...
    def cm_address(self) -> str: ...
    def supplier_address(self) -> str: ...
    def token_decimals(self) -> int: ...
    def merkle_root(self, round_id: int, leaves: list[SettlementLeaf]) -> str: ...
    def await_pending(self) -> int: ...
    def post_result(self, round_id: int, result: dict[str, Any]) -> Posted: ...
    def leaf_settled(self, round_id: int, leaves: list[SettlementLeaf]) -> list[bool]: ...
    def settle(
        self, round_id: int, leaves: list[SettlementLeaf], all_leaves: list[SettlementLeaf]
    ) -> list[Posted]: ...
    def finish(self, round_id: int) -> None: ...
