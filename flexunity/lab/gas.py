"""On-chain cost of settling one day of a market design: transactions and gas.

Per-operation figures are those measured on our contracts by ``flexunity bench gas`` (eth-tester,
50 peers, 24 intervals; docs/benchmarks.md, "Gas"). The community design uses them as the contracts
do today (**measured**). The other designs have no contract here: their cost applies the same
per-operation figures (and the ERC-20 transfer of ../shared/REFERENCES.md) to the transactions the
design would need (**estimated**); every figure says which.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

#: gas per operation, measured by ``flexunity bench gas`` (docs/benchmarks.md, 2026-12-01);
#: tests/chain/test_gas_report.py fails when the contracts' figures move more than 2 % from these
ROUND_OPEN = 90_193
ORDER_RELAYED = 34_275  # one EIP-712 order (FXO1 payload) in a relayed batch of 50
ORDER_DIRECT = 65_078  # one order sent by its peer
RESULT_POST = 97_561  # CM-signed result (Merkle root), independent of the number of peers
SETTLE_PER_PEER = 26_600  # settlement per peer, leaves batched 26 per transaction
#: an ERC-20 transfer to an existing holder (measured here, ../shared/REFERENCES.md)
TRANSFER = 34_000
ORDER_BATCH = 50
SETTLE_BATCH = 26


@dataclass(frozen=True)
class ChainCost:
    """Transactions and gas of one settlement, and whether the figures are measured or estimated."""

    transactions: int
    gas: int
    basis: str  # "measured", "estimated" or "none"
    method: str  # the transactions counted, in words

    def __add__(self, other: ChainCost) -> ChainCost:
        basis = self.basis if self.basis == other.basis else "estimated"
        return ChainCost(self.transactions + other.transactions, self.gas + other.gas, basis, self.method)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return asdict(self)


NO_CHAIN = ChainCost(0, 0, "none", "nothing on chain: each peer is billed by its retailer")


def community_round(peers: int) -> ChainCost:
    """One community round as our contracts run it: open, one relayed order per peer, the posted
    result, settlement per peer (measured per-operation figures)."""
    tx = 1 + math.ceil(peers / ORDER_BATCH) + 1 + math.ceil(peers / SETTLE_BATCH)
    gas = ROUND_OPEN + peers * ORDER_RELAYED + RESULT_POST + peers * SETTLE_PER_PEER
    return ChainCost(
        tx, gas, "measured", "round opening, one relayed order per peer, result post, settlement"
    )


def periodic_auction(orders: int, intervals: int, peers: int) -> ChainCost:
    """A call market cleared on chain every interval (estimated): one relayed order per active peer
    and interval, one posted clearing per interval, settlement per peer at the end of the day."""
    tx = 1 + math.ceil(orders / ORDER_BATCH) + intervals + math.ceil(peers / SETTLE_BATCH)
    gas = ROUND_OPEN + orders * ORDER_RELAYED + intervals * RESULT_POST + peers * SETTLE_PER_PEER
    return ChainCost(
        tx, gas, "estimated", "one relayed order per active peer and interval, one result post per interval"
    )


def continuous_auction(shouts: int, trades: int) -> ChainCost:
    """An on-chain order book (estimated): every shout is a transaction sent by its peer, every
    match moves tokens once."""
    return ChainCost(
        shouts,
        shouts * ORDER_DIRECT + trades * TRANSFER,
        "estimated",
        "every shout a direct order transaction, one token transfer per match",
    )


def bilateral_contracts(contracts: int) -> ChainCost:
    """Bilateral trades (estimated): each contract signed by both peers (two relayed orders) and
    settled by one token transfer."""
    tx = math.ceil(2 * contracts / ORDER_BATCH) + contracts
    return ChainCost(
        tx,
        contracts * (2 * ORDER_RELAYED + TRANSFER),
        "estimated",
        "two relayed signatures and one transfer per bilateral contract",
    )


def hybrid(sub_sizes: list[int]) -> ChainCost:
    """One community round per sub-community (measured figures) plus an upper-level round whose
    members are the sub-communities (estimated: our contracts have no nested round)."""
    cost = ChainCost(0, 0, "measured", "")
    for n in sub_sizes:
        cost = cost + community_round(n)
    upper = community_round(len(sub_sizes))
    total = cost + upper
    return ChainCost(
        total.transactions,
        total.gas,
        "estimated",
        "one community round per sub-community and one for the upper level",
    )
