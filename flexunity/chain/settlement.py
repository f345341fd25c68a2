"""Settlement and revenue leaves: building a round's results tree from integer bills.

A round's tree has one leaf per account with money or energy in the round: every peer that had an
order (zero amounts included), the CM's fee account (fees) and the supplier (supplier charges).
Bills follow docs/conventions.md (positive: the account pays); leaves carry the unsigned amount and
``isCredit``. A round sums to zero: the sum of debits equals the sum of credits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from flexunity.chain.merkle import (
    EMPTY_ROOT,
    REVENUE_LEAF_ENCODING,
    SETTLEMENT_LEAF_ENCODING,
    StandardMerkleTree,
)
from flexunity.chain.units import bill_to_leaf_amount


@dataclass(frozen=True)
class EnergyWh:
    """An account's community purchases and sales and its grid import and export in a round (Wh)."""

    bought_wh: int = 0
    sold_wh: int = 0
    import_wh: int = 0
    export_wh: int = 0


@dataclass(frozen=True)
class SettlementLeaf:
    """contracts/libraries/FlexTypes.sol ``SettlementLeaf``."""

    round_id: int
    index: int
    account: str
    amount: int
    is_credit: bool
    bought_wh: int = 0
    sold_wh: int = 0
    import_wh: int = 0
    export_wh: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.round_id, self.index, to_checksum_address(self.account), self.amount, self.is_credit,
            self.bought_wh, self.sold_wh, self.import_wh, self.export_wh,
        )  # fmt: skip

    @property
    def bill(self) -> int:
        """Signed: positive when the account pays."""
        return -self.amount if self.is_credit else self.amount


@dataclass(frozen=True)
class RevenueLeaf:
    """contracts/libraries/FlexTypes.sol ``RevenueLeaf``."""

    distribution_id: int
    index: int
    account: str
    amount: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.distribution_id, self.index, to_checksum_address(self.account), self.amount)


@dataclass(frozen=True)
class SettlementTree:
    """A round's leaves and their tree (None when the round has no leaf)."""

    round_id: int
    leaves: tuple[SettlementLeaf, ...]
    tree: StandardMerkleTree | None

    @property
    def root(self) -> bytes:
        return self.tree.root if self.tree else EMPTY_ROOT

    @property
    def total_debit(self) -> int:
        return sum(leaf.amount for leaf in self.leaves if not leaf.is_credit)

    @property
    def total_credit(self) -> int:
        return sum(leaf.amount for leaf in self.leaves if leaf.is_credit)

    def proof(self, index: int) -> list[bytes]:
        if self.tree is None:
            raise IndexError("the round has no leaves")
        return self.tree.proof(index)


def settlement_leaves(
    round_id: int, bills: Mapping[str, int], energy: Mapping[str, EnergyWh] | None = None
) -> list[SettlementLeaf]:
    """Leaves from signed integer bills (base units; positive: pays), indexed in the given order.

    Raises ValueError unless the bills sum to zero.
    """
    if sum(bills.values()) != 0:
        raise ValueError(f"a round's bills must sum to zero, not {sum(bills.values())}")
    energy = energy or {}
    leaves = []
    for index, (account, bill) in enumerate(bills.items()):
        amount, is_credit = bill_to_leaf_amount(bill)
        e = energy.get(account, EnergyWh())
        leaves.append(
            SettlementLeaf(
                round_id, index, account, amount, is_credit, e.bought_wh, e.sold_wh, e.import_wh, e.export_wh
            )
        )
    return leaves


def settlement_tree(round_id: int, leaves: Sequence[SettlementLeaf]) -> SettlementTree:
    """The round's tree; leaves must carry this round and indices 0..n-1 in order."""
    for position, leaf in enumerate(leaves):
        if leaf.round_id != round_id or leaf.index != position:
            raise ValueError(f"leaf {position} has round {leaf.round_id} and index {leaf.index}")
    tree = (
        StandardMerkleTree.of([leaf.as_tuple() for leaf in leaves], SETTLEMENT_LEAF_ENCODING)
        if leaves
        else None
    )
    return SettlementTree(round_id, tuple(leaves), tree)


def revenue_leaves(distribution_id: int, shares: Mapping[str, int]) -> list[RevenueLeaf]:
    return [
        RevenueLeaf(distribution_id, i, account, amount) for i, (account, amount) in enumerate(shares.items())
    ]


def revenue_tree(leaves: Sequence[RevenueLeaf]) -> StandardMerkleTree:
    return StandardMerkleTree.of([leaf.as_tuple() for leaf in leaves], REVENUE_LEAF_ENCODING)
