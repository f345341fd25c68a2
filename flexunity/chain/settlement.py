"""Settlement and revenue leaves: building a round's results tree from integer bills.

A round's tree has one leaf per account with money or energy in the round: every peer that had an
order (zero amounts included), the CM's fee account (fees) and the supplier (supplier charges).
Bills follow docs/conventions.md (positive: the account pays); leaves carry the unsigned amount and
``isCredit``. A round sums to zero: the sum of debits equals the sum of credits. The result document
lists the same leaves without their round (``to_dict`` / ``from_dict``; docs/oracle.md); the oracle
computes their amounts and the audit re-derives them with its own code, both as ``SettlementLeaf``.
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
from flexunity.units import bill_to_leaf_amount, leaf_amount_to_bill

EnergyWh = tuple[int, int, int, int]  # an account's community purchases, sales, grid import, export (Wh ≥ 0)
NO_ENERGY: EnergyWh = (0, 0, 0, 0)


@dataclass(frozen=True)
class SettlementLeaf:
    """One party's settlement in a round (contracts/libraries/FlexTypes.sol ``SettlementLeaf``):
    ``amount`` base units, credited (paid to it) or debited."""

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
        """Signed: positive when the account pays (money sign of conventions.md)."""
        return leaf_amount_to_bill(self.amount, self.is_credit)

    def to_dict(self) -> dict[str, object]:
        """The leaf as the result document lists it (its round is the document's)."""
        return {
            "index": self.index,
            "account": self.account,
            "amount": self.amount,
            "isCredit": self.is_credit,
            "boughtWh": self.bought_wh,
            "soldWh": self.sold_wh,
            "importWh": self.import_wh,
            "exportWh": self.export_wh,
        }

    @classmethod
    def from_dict(cls, round_id: int, x: Mapping[str, Any]) -> SettlementLeaf:
        """A leaf of round ``round_id`` from its result-document form (energy fields default to 0)."""
        energy = (int(x.get(key, 0)) for key in ("boughtWh", "soldWh", "importWh", "exportWh"))
        return cls(
            round_id, int(x["index"]), str(x["account"]), int(x["amount"]), bool(x["isCredit"]), *energy
        )


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
        leaves.append(
            SettlementLeaf(round_id, index, account, amount, is_credit, *energy.get(account, NO_ENERGY))
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
