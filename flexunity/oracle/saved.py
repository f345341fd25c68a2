"""What the oracle saves of a round, field by field: each step's outputs and the typed view of a row.

The state file keeps one JSON object per round (flexunity.oracle.state, column ``data``); each step
returns one of the ``Saved`` records below and its fields are merged into that object under their own
names. The names are the keys the state file always had, so a file written before these types
existed reads the same, and one written now reads the same with an older oracle. :class:`RoundData`
reads the object back with types; keys it does not know (``revenue``, which
flexunity.oracle.distribution keeps there) stay in ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from flexunity.chain.settlement import SettlementLeaf

Json = dict[str, Any]


@dataclass(frozen=True)
class Saved:
    """A step's outputs; fields left at ``None`` are not written."""

    def updates(self) -> Json:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class GateClosed(Saved):
    config_hash: str  # the round config the chain bound the round to (openRound)
    gate_closed_at: float  # wall time the oracle saw the gate closed


@dataclass(frozen=True)
class OrdersVerified(Saved):
    order_digest: str
    order_count: int


@dataclass(frozen=True)
class Cleared(Saved):
    clearing_hash: str  # the store's copy of {"scenario", "clearing"}
    leaves: list[Json]  # SettlementLeaf.to_dict() of each settlement leaf, in index order
    rejected_orders: list[Json]  # order reference + "reason"
    orders: list[Json]  # order references (peer, nonce, payload_hash) of the orders cleared
    clearing_timings: dict[str, float]  # wall times of the clearing (not in the hashed document)


@dataclass(frozen=True)
class DocumentStored(Saved):
    result_hash: str
    merkle_root: str
    total_debit: int
    total_credit: int


@dataclass(frozen=True)
class Posted(Saved):
    post_tx: str  # the transaction, or "(found on chain)"
    gas_post: int
    post_block: int | None = None


@dataclass(frozen=True)
class WindowPassed(Saved):
    window_ends: int
    outcome: str  # Outcome.FINAL or Outcome.UPHELD, by name


@dataclass(frozen=True)
class Settled(Saved):
    gas_settle: int
    settle_txs: int
    leaves_settled: int


@dataclass(frozen=True)
class Finished(Saved):
    finished_at: float


@dataclass(frozen=True)
class Voided(Saved):
    voided: bool = True


@dataclass(frozen=True)
class Retry(Saved):
    """The arbiter rejected our result: clear again as the next attempt."""

    attempt: int
    rejected_results: list[str]


@dataclass(frozen=True)
class Rebuilt(Saved):
    """A round restored at POSTED from the chain and the store's result document."""

    config_hash: str
    order_digest: str
    orders: list[Json]
    rejected_orders: list[Json]
    leaves: list[Json]
    merkle_root: str
    total_debit: int
    total_credit: int
    result_hash: str
    attempt: int
    rebuilt: bool = True

    @classmethod
    def from_document(cls, document: Mapping[str, Any], result_hash: str) -> Rebuilt:
        settlement = document["settlement"]
        return cls(
            config_hash=document["config_hash"],
            order_digest=document["order_digest"],
            orders=document["orders"],
            rejected_orders=document["rejected_orders"],
            leaves=settlement["leaves"],
            merkle_root=settlement["merkle_root"],
            total_debit=settlement["total_debit"],
            total_credit=settlement["total_credit"],
            result_hash=result_hash,
            attempt=int(document.get("attempt", 1)),
        )


@dataclass(frozen=True)
class RoundData:
    """A round's saved state, read back with types (defaults: not reached yet)."""

    config_hash: str = ""
    gate_closed_at: float | None = None
    order_digest: str = ""
    order_count: int = 0
    clearing_hash: str = ""
    leaves: tuple[SettlementLeaf, ...] = ()
    orders: list[Json] = field(default_factory=list)
    rejected_orders: list[Json] = field(default_factory=list)
    clearing_timings: dict[str, float] = field(default_factory=dict)
    result_hash: str = ""
    merkle_root: str = ""
    total_debit: int = 0
    total_credit: int = 0
    post_tx: str = ""
    gas_post: int = 0
    post_block: int | None = None
    window_ends: int | None = None
    outcome: str = ""
    gas_settle: int = 0
    settle_txs: int = 0
    leaves_settled: int = 0
    finished_at: float | None = None
    attempt: int = 1
    rejected_results: list[str] = field(default_factory=list)
    voided: bool = False
    rebuilt: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step reached
    other: Json = field(default_factory=dict)  # keys of other rooms (``revenue``)

    @classmethod
    def of(cls, data: Mapping[str, Any], round_id: int) -> RoundData:
        """Round ``round_id``'s saved ``data`` with types."""
        known = {f.name for f in fields(cls)} - {"other"}
        values = {k: v for k, v in data.items() if k in known}
        if "leaves" in values:
            values["leaves"] = tuple(SettlementLeaf.from_dict(round_id, x) for x in values["leaves"])
        return cls(**values, other={k: v for k, v in data.items() if k not in known})
