"""An in-memory ChainPort for testing the oracle's state machine without a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from flexunity.chain.settlement import SettlementLeaf
from flexunity.oracle.port import Posted, RoundView
from flexunity.record.orders import AcceptedOrder


@dataclass
class FakeChain:
    chain_id: int = 999
    config_hash: str = ""
    interval_count: int = 4  # the schedule openRound was called with
    interval_seconds: int = 3600
    orders_: list[AcceptedOrder] = field(default_factory=list)
    gate_closed: bool = True
    time: int = 1_000
    window: int = 60
    posted: dict[str, Any] | None = None
    posted_at: int = 0
    settled: set[int] = field(default_factory=set)
    post_calls: int = 0
    settle_calls: int = 0
    settle_log: list[int] = field(default_factory=list)
    status: str = ""  # "" follows the posted result (NONE/POSTED); else DISPUTED, ACCEPTED, REJECTED, VOID
    last_hash: str = ""  # the latest posted document hash (kept after a rejection)
    posts: list[str] = field(default_factory=list)
    voidable_from: int = 0

    def reject(self) -> None:
        self.status, self.posted = "REJECTED", None

    def await_pending(self) -> int:
        return 0

    def identity(self) -> str:
        return f"{self.chain_id}/fake"

    def addresses(self) -> dict[str, str]:
        return {"Fake": "0x" + "11" * 20}

    def cm_address(self) -> str:
        return "0x" + "cc" * 20

    def supplier_address(self) -> str:
        return "0x" + "55" * 20

    def token_decimals(self) -> int:
        return 6

    def now(self) -> int:
        return self.time

    def open_rounds(self) -> list[int]:
        return [1]

    def running_digest(self, round_id: int, orders: list[AcceptedOrder]) -> str:
        digest = b"\0" * 32
        for order in orders:
            digest = keccak(digest + keccak(order.payload))
        return "0x" + digest.hex()

    def view(self, round_id: int) -> RoundView:
        return RoundView(
            round_id=round_id,
            exists=True,
            gate_closed=self.gate_closed,
            config_hash=self.config_hash,
            order_digest=self.running_digest(round_id, self.orders_),
            order_count=len(self.orders_),
            result_posted=self.posted is not None and self.status in ("", "DISPUTED", "ACCEPTED"),
            result_hash=self.last_hash,
            status=self.status or ("POSTED" if self.posted else "NONE"),
            disputed=self.status == "DISPUTED",
            voidable_from=self.voidable_from,
            window_ends=self.posted_at + self.window if self.posted else 0,
            interval_count=self.interval_count,
            interval_seconds=self.interval_seconds,
        )

    def orders(self, round_id: int) -> list[AcceptedOrder]:
        return list(self.orders_)

    def merkle_root(self, round_id: int, leaves: list[SettlementLeaf]) -> str:
        return "0x" + keccak(repr(leaves).encode()).hex()

    def post_result(self, round_id: int, result: dict[str, Any]) -> Posted:
        assert self.posted is None, "posted twice"
        self.post_calls += 1
        self.posted = dict(result)
        self.last_hash = result["result_hash"]
        self.posts.append(self.last_hash)
        self.status = ""
        self.posted_at = self.time
        return Posted("0xpost", 90_000, 1)

    def leaf_settled(self, round_id: int, leaves: list[SettlementLeaf]) -> list[bool]:
        return [leaf.index in self.settled for leaf in leaves]

    def settle(
        self, round_id: int, leaves: list[SettlementLeaf], all_leaves: list[SettlementLeaf]
    ) -> list[Posted]:
        out = []
        for start in range(0, len(leaves), 2):
            batch = leaves[start : start + 2]
            for leaf in batch:
                assert leaf.index not in self.settled, "settled twice"
                self.settled.add(leaf.index)
                self.settle_log.append(leaf.index)
            self.settle_calls += 1
            out.append(Posted(f"0xsettle{self.settle_calls}", 30_000 * len(batch), 2))
        return out

    def finish(self, round_id: int) -> None:
        self.finished = True
