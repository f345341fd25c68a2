"""Domain objects the contract clients read and return: peer kinds, result status, rounds, orders,
results, escrow accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak

from flexunity.chain.eip712 import Order


class PeerKind(IntEnum):
    CONSUMER = 0
    PROSUMER = 1
    PRODUCER = 2
    STORAGE = 3


class ResultStatus(IntEnum):
    NONE = 0
    POSTED = 1
    DISPUTED = 2
    ACCEPTED = 3
    REJECTED = 4
    VOID = 5


@dataclass(frozen=True)
class RoundInfo:
    round_id: int
    start_time: int
    gate_closure: int
    interval_seconds: int
    interval_count: int
    order_count: int
    digest: bytes
    config_hash: bytes  # keccak256 of the round's config document (flexunity-round-config/1)
    paused_before: int = 0  # registry.pausedTime() at opening: the clock at gate is >= gate - this


@dataclass(frozen=True)
class SignedOrder:
    order: Order
    payload: bytes
    signature: bytes


@dataclass(frozen=True)
class OrderRecord:
    """One ``OrderAccepted`` event, with the order's struct hash and the running digest after it
    (both rebuilt off chain from the event's fields)."""

    round_id: int
    peer: str
    nonce: int
    deadline: int
    order_hash: bytes
    digest: bytes
    payload: bytes
    block_number: int
    log_index: int
    max_debit: int = 0

    @property
    def order(self) -> Order:
        return Order.for_payload(
            self.round_id, self.peer, self.nonce, self.deadline, self.payload, self.max_debit
        )

    @property
    def is_cancellation(self) -> bool:
        return not self.payload


@dataclass(frozen=True)
class OrderBook:
    """A round's accepted orders from events, checked against the on-chain digest."""

    round_id: int
    records: tuple[OrderRecord, ...]
    digest: bytes

    def effective(self) -> dict[str, OrderRecord]:
        """Each peer's last accepted order (highest nonce), cancellations removed."""
        latest: dict[str, OrderRecord] = {}
        for record in self.records:
            latest[record.peer] = record
        return {peer: r for peer, r in latest.items() if not r.is_cancellation}


#: ``IClearingHouse.RoundResult``'s fields in struct order (events carry it by these names)
ROUND_RESULT_FIELDS = (
    "resultsRoot",
    "totalDebit",
    "challengeEnds",
    "deadline",
    "leafCount",
    "attempt",
    "status",
)


@dataclass(frozen=True)
class RoundResult:
    """A round's result state (``IClearingHouse.RoundResult``), rebuilt from the clearing house's events
    and checked against its on-chain commitment. Times are on the community clock (registry.clock()).
    ``deadline``: the time by which the state must be left (settlement, ruling, or corrected result)."""

    results_root: bytes
    total_debit: int
    challenge_ends: int
    leaf_count: int
    status: ResultStatus
    deadline: int = 0
    attempt: int = 0

    @classmethod
    def from_event(cls, raw: object) -> RoundResult:
        """From an event's ``state`` argument (a mapping or a tuple in struct order)."""
        values = [raw[k] for k in ROUND_RESULT_FIELDS] if hasattr(raw, "keys") else list(raw)  # type: ignore[index, call-overload]
        root, total, ends, deadline, count, attempt, status = values
        return cls(bytes(root), int(total), int(ends), int(count), ResultStatus(int(status)), int(deadline),
                   int(attempt))  # fmt: skip

    def as_tuple(self) -> tuple[bytes, int, int, int, int, int, int]:
        """The ``IClearingHouse.RoundResult`` struct the contracts take as calldata."""
        return (
            self.results_root, self.total_debit, self.challenge_ends, self.deadline, self.leaf_count,
            self.attempt, int(self.status),
        )  # fmt: skip

    def commitment(self) -> bytes:
        if self.status is ResultStatus.NONE:
            return b"\0" * 32
        types = ["bytes32", "uint128", "uint64", "uint64", "uint32", "uint32", "uint8"]
        return keccak(encode(types, list(self.as_tuple())))


NO_RESULT = RoundResult(b"\0" * 32, 0, 0, 0, ResultStatus.NONE)


@dataclass(frozen=True)
class EscrowAccount:
    balance: int
    debt: int


@dataclass(frozen=True)
class Membership:
    """``ICommunityRegistry.Member``: a peer's enrolment (rounds ``from_round``..``until_round``)."""

    kind: PeerKind
    from_round: int  # 0: never enrolled
    until_round: int
    index: int
    nonce: int
    open_rounds: int
    debit_cap: int
    metadata_hash: bytes

    @classmethod
    def from_call(cls, raw: Sequence[object]) -> Membership:
        kind, from_round, until_round, index, nonce, open_rounds, cap, metadata = raw
        return cls(PeerKind(int(kind)), int(from_round), int(until_round), int(index), int(nonce),  # type: ignore[call-overload]
                   int(open_rounds), int(cap), bytes(metadata))  # type: ignore[call-overload, arg-type]  # fmt: skip


@dataclass(frozen=True)
class SettlementProgress:
    """``ISettlementEscrow.Progress``: how far a round's settlement went."""

    debited: int  # sum of the debit leaves applied
    credited: int  # sum of the credit leaves applied
    applied: int  # number of leaves applied
    complete: bool  # every leaf applied (or the round had none)
    closed: bool  # closed after its settlement deadline without completing

    @classmethod
    def from_call(cls, raw: Sequence[object]) -> SettlementProgress:
        debited, credited, applied, complete, closed = raw
        return cls(int(debited), int(credited), int(applied), bool(complete), bool(closed))  # type: ignore[call-overload]


@dataclass(frozen=True)
class ClearingConfig:
    """``IClearingHouse.Config``: the clearing house's windows (seconds) and dispute bond."""

    challenge_window: int
    result_timeout: int  # after gate closure (or a rejection), a round with no result may be voided
    ruling_timeout: int
    settlement_window: int
    dispute_bond: int

    @classmethod
    def from_call(cls, raw: Sequence[object]) -> ClearingConfig:
        return cls(*(int(x) for x in raw))  # type: ignore[call-overload]
