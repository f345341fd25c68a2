"""A settlement leaf as the result document and the contracts carry it (one party's signed amount).

The amounts themselves are computed by the oracle (flexunity.oracle.settlement, docs/oracle.md) and
re-derived by the audit with its own code (flexunity.audit.derive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flexunity.chain.hashing import checksum_address

EnergyWh = tuple[int, int, int, int]  # bought, sold, grid import, grid export (Wh, ≥ 0)


@dataclass(frozen=True)
class Leaf:
    """One party's settlement: ``amount`` base units, credited (paid to it) or debited."""

    index: int
    account: str
    amount: int
    is_credit: bool
    bought_wh: int = 0
    sold_wh: int = 0
    import_wh: int = 0
    export_wh: int = 0

    @property
    def signed(self) -> int:
        """Positive = the party pays (money sign of conventions.md)."""
        return -self.amount if self.is_credit else self.amount

    def to_dict(self) -> dict[str, object]:
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
    def from_dict(cls, x: Mapping[str, Any]) -> Leaf:
        return cls(
            int(x["index"]),
            str(x["account"]),
            int(x["amount"]),
            bool(x["isCredit"]),
            int(x.get("boughtWh", 0)),
            int(x.get("soldWh", 0)),
            int(x.get("importWh", 0)),
            int(x.get("exportWh", 0)),
        )

    def values(self, round_id: int) -> tuple[Any, ...]:
        """The leaf as the contracts' ``SettlementLeaf`` tuple (flexunity.chain.merkle encoding)."""
        return (
            round_id,
            self.index,
            checksum_address(self.account),
            self.amount,
            self.is_credit,
            self.bought_wh,
            self.sold_wh,
            self.import_wh,
            self.export_wh,
        )
