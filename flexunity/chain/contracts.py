"""Typed clients around FlexUnity's contracts.

``Community(w3, deployment)`` gathers one client per contract. Every state-changing call is first
estimated: a call that would revert raises :class:`~flexunity.errors.ChainError` with the contract's
custom error in words, before any transaction is sent. Reads return domain objects.
Transactions go ``{"from": sender}``: the node holds the key (eth-tester, anvil), or web3 carries a
signing middleware (a pilot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from flexunity.chain.deploy import Deployment
from flexunity.chain.eip712 import (
    CLEARING_HOUSE_NAME,
    ROUND_BOOK_NAME,
    ClearingResult,
    Domain,
    Order,
    chain_order_digest,
    order_typed_data,
    recover_signer,
)
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.settlement import RevenueLeaf, SettlementLeaf, SettlementTree
from flexunity.errors import ChainError

GAS_MARGIN = 1.25
REVERTS: tuple[type[Exception], ...] = (ContractLogicError,)
try:  # eth-tester reports reverts with its own exception
    from eth_tester.exceptions import TransactionFailed

    REVERTS = (ContractLogicError, TransactionFailed)
except ImportError:  # pragma: no cover - eth-tester is a test-only dependency on a pilot
    pass


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

    @property
    def order(self) -> Order:
        return Order.for_payload(self.round_id, self.peer, self.nonce, self.deadline, self.payload)

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


@dataclass(frozen=True)
class RoundResult:
    """A round's result state, rebuilt from the clearing house's events and checked against its
    on-chain commitment. ``status`` is REJECTED (client-side) when the last result was rejected and no
    corrected one is posted yet; on chain that state is "no result"."""

    results_root: bytes
    total_debit: int
    challenge_ends: int
    leaf_count: int
    status: ResultStatus

    def as_tuple(self) -> tuple[bytes, int, int, int, int]:
        """The ``IClearingHouse.RoundResult`` struct the contracts take as calldata."""
        on_chain = ResultStatus.NONE if self.status is ResultStatus.REJECTED else self.status
        return (self.results_root, self.total_debit, self.challenge_ends, self.leaf_count, int(on_chain))

    def commitment(self) -> bytes:
        return keccak(encode(["bytes32", "uint128", "uint64", "uint32", "uint8"], list(self.as_tuple())))


NO_RESULT = RoundResult(b"\0" * 32, 0, 0, 0, ResultStatus.NONE)


@dataclass(frozen=True)
class EscrowAccount:
    balance: int
    debt: int


class _Client:
    def __init__(self, w3: Web3, contract: Contract, decoder: ErrorDecoder) -> None:
        self.w3, self.contract, self.decoder = w3, contract, decoder

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _send(self, fn: Any, sender: str, action: str) -> TxReceipt:
        tx = {"from": to_checksum_address(sender)}
        try:
            gas = fn.estimate_gas(tx)
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None
        tx_hash = fn.transact({**tx, "gas": int(gas * GAS_MARGIN)})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise ChainError(f"{action} reverted in transaction 0x{bytes(tx_hash).hex()}")
        return receipt

    def _call(self, fn: Any, action: str) -> Any:
        try:
            return fn.call()
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None


class RegistryClient(_Client):
    def enrol(self, sender: str, peer: str, kind: PeerKind, metadata_hash: bytes = b"\0" * 32) -> TxReceipt:
        return self._send(
            self.contract.functions.enrol(peer, int(kind), metadata_hash), sender, f"enrolling {peer}"
        )

    def remove(self, sender: str, peer: str) -> TxReceipt:
        return self._send(self.contract.functions.remove(peer), sender, f"removing {peer}")

    def leave(self, peer: str) -> TxReceipt:
        return self._send(self.contract.functions.leave(), peer, f"{peer} leaving")

    def set_signers(self, sender: str, signers: Sequence[str], threshold: int) -> TxReceipt:
        fn = self.contract.functions.setSigners([to_checksum_address(s) for s in signers], threshold)
        return self._send(fn, sender, "rotating the clearing signers")

    def pause(self, sender: str) -> TxReceipt:
        return self._send(self.contract.functions.pause(), sender, "pausing")

    def unpause(self, sender: str) -> TxReceipt:
        return self._send(self.contract.functions.unpause(), sender, "unpausing")

    def is_member(self, peer: str, round_id: int) -> bool:
        return bool(self.contract.functions.isMember(peer, round_id).call())

    def signers(self) -> list[str]:
        return [to_checksum_address(s) for s in self.contract.functions.signers().call()]

    def threshold(self) -> int:
        return int(self.contract.functions.signerThreshold().call())

    def fee_recipient(self) -> str:
        return str(self.contract.functions.feeRecipient().call())

    def supplier(self) -> str:
        return str(self.contract.functions.supplier().call())

    def paused(self) -> bool:
        return bool(self.contract.functions.paused().call())


class RoundBookClient(_Client):
    def domain(self) -> Domain:
        return Domain(ROUND_BOOK_NAME, self.w3.eth.chain_id, self.address)

    def open_round(
        self,
        sender: str,
        start_time: int,
        gate_closure: int,
        interval_seconds: int,
        interval_count: int,
        config_hash: bytes | str,
    ) -> int:
        """Open a round bound to its config document (``config_hash``: its keccak256, 32 bytes or 0x-hex)."""
        raw = bytes.fromhex(config_hash.removeprefix("0x")) if isinstance(config_hash, str) else config_hash
        if len(raw) != 32:
            raise ChainError(f"a config hash is 32 bytes, not {len(raw)}: {config_hash!r}")
        fn = self.contract.functions.openRound(
            start_time, gate_closure, interval_seconds, interval_count, raw
        )
        receipt = self._send(fn, sender, "opening a round")
        (event,) = self.contract.events.RoundOpened().process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["roundId"])

    def submit_order(self, order: Order, payload: bytes) -> TxReceipt:
        fn = self.contract.functions.submitOrder(order.as_tuple(), payload)
        return self._send(fn, order.peer, f"submitting {order.peer}'s order for round {order.round_id}")

    def relay_orders(self, sender: str, orders: Sequence[SignedOrder]) -> TxReceipt:
        fn = self.contract.functions.relayOrders(
            [s.order.as_tuple() for s in orders], [s.payload for s in orders], [s.signature for s in orders]
        )
        return self._send(fn, sender, f"relaying {len(orders)} orders")

    def order_problems(self, orders: Sequence[SignedOrder], registry: RegistryClient) -> list[str | None]:
        """Why each order would be rejected if relayed now, in batch order (None: it would pass).

        Checks what the contract checks, with the nonces of earlier orders in the batch counted, so
        the CM can drop bad orders instead of losing the whole all-or-nothing batch.
        """
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        domain, rounds = self.domain(), {}
        nonces: dict[str, int] = {}
        problems: list[str | None] = []
        for signed in orders:
            order = signed.order
            if order.round_id not in rounds:
                rounds[order.round_id] = self.contract.functions.round(order.round_id).call()[1]
            gate = rounds[order.round_id]
            last = nonces.get(order.peer, self.nonce_of(order.peer))
            problem = None
            if gate == 0:
                problem = f"round {order.round_id} does not exist"
            elif now + 1 >= gate:
                problem = f"round {order.round_id} closes at {gate}"
            elif now + 1 > order.deadline:
                problem = f"the order's deadline {order.deadline} has passed"
            elif keccak(signed.payload) != order.payload_hash:
                problem = "the payload does not hash to payloadHash"
            elif recover_signer(order_typed_data(domain, order), signed.signature) != order.peer:
                problem = f"the signature is not {order.peer}'s"
            elif not registry.is_member(order.peer, order.round_id):
                problem = f"{order.peer} is not a member for round {order.round_id}"
            elif order.nonce <= last:
                problem = f"nonce {order.nonce} is not above {order.peer}'s last nonce {last}"
            else:
                nonces[order.peer] = order.nonce
            problems.append(problem)
        return problems

    def invalidate_nonce(self, peer: str, nonce: int) -> TxReceipt:
        return self._send(self.contract.functions.invalidateNonce(nonce), peer, f"raising {peer}'s nonce")

    def hash_order(self, order: Order) -> bytes:
        return bytes(self.contract.functions.hashOrder(order.as_tuple()).call())

    def round(self, round_id: int) -> RoundInfo:
        start, gate, seconds, count, orders, digest, config = self.contract.functions.round(round_id).call()
        if gate == 0:
            raise ChainError(f"round {round_id} does not exist")
        return RoundInfo(round_id, start, gate, seconds, count, orders, bytes(digest), bytes(config))

    def round_count(self) -> int:
        return int(self.contract.functions.roundCount().call())

    def nonce_of(self, peer: str) -> int:
        return int(self.contract.functions.nonceOf(peer).call())

    def order_records(self, round_id: int, from_block: int = 0) -> list[OrderRecord]:
        """The round's ``OrderAccepted`` events in chain order, with hashes and running digest rebuilt."""
        logs = self.contract.events.OrderAccepted().get_logs(
            from_block=from_block, argument_filters={"roundId": round_id}
        )
        records, digest = [], b"\0" * 32
        for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"])):
            a = log["args"]
            payload = bytes(a["payload"])
            order = Order.for_payload(round_id, a["peer"], a["nonce"], a["deadline"], payload)
            order_hash = order.struct_hash()
            digest = chain_order_digest([order_hash], start=digest)
            records.append(
                OrderRecord(
                    round_id=round_id,
                    peer=order.peer,
                    nonce=order.nonce,
                    deadline=order.deadline,
                    order_hash=order_hash,
                    digest=digest,
                    payload=payload,
                    block_number=log["blockNumber"],
                    log_index=log["logIndex"],
                )
            )
        return records

    def order_book(self, round_id: int, from_block: int = 0) -> OrderBook:
        """The round's orders rebuilt from events alone; the rebuilt digest must equal the chain's."""
        records = self.order_records(round_id, from_block)
        digest = records[-1].digest if records else b"\0" * 32
        on_chain = self.round(round_id).digest
        if digest != on_chain:
            raise ChainError(
                f"round {round_id}: the events' digest 0x{digest.hex()} is not the chain's 0x{on_chain.hex()}"
            )
        return OrderBook(round_id, tuple(records), digest)


class ClearingClient(_Client):
    def domain(self) -> Domain:
        return Domain(CLEARING_HOUSE_NAME, self.w3.eth.chain_id, self.address)

    def post_result(self, sender: str, result: ClearingResult, signatures: Sequence[bytes]) -> TxReceipt:
        fn = self.contract.functions.postResult(result.as_tuple(), list(signatures))
        return self._send(fn, sender, f"posting the result of round {result.round_id}")

    def hash_result(self, result: ClearingResult) -> bytes:
        return bytes(self.contract.functions.hashResult(result.as_tuple()).call())

    def dispute(self, sender: str, round_id: int, reason_hash: bytes) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.dispute(round_id, state, reason_hash)
        return self._send(fn, sender, f"disputing round {round_id}")

    def resolve(self, arbiter: str, round_id: int, uphold: bool) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.resolveDispute(round_id, state, uphold)
        return self._send(fn, arbiter, f"resolving the dispute of round {round_id}")

    def void(self, sender: str, round_id: int) -> TxReceipt:
        return self._send(self.contract.functions.voidRound(round_id), sender, f"voiding round {round_id}")

    def round_result(self, round_id: int, from_block: int = 0) -> RoundResult:
        """The round's current result state from events, checked against the stored commitment."""
        filters = {"roundId": round_id}
        events = self.contract.events
        posted = events.ResultPosted().get_logs(from_block=from_block, argument_filters=filters)
        changed = events.ResultStateChanged().get_logs(from_block=from_block, argument_filters=filters)
        logs = sorted([*posted, *changed], key=lambda log: (log["blockNumber"], log["logIndex"]))
        state = NO_RESULT
        if logs:
            last = logs[-1]
            if last["event"] == "ResultPosted":
                r = last["args"]["result"]
                state = RoundResult(
                    bytes(r["resultsRoot"]), r["totalDebit"], last["args"]["challengeEnds"], r["leafCount"],
                    ResultStatus.POSTED,
                )  # fmt: skip
            else:
                a = last["args"]["state"]
                status = ResultStatus(a["status"])
                if status is ResultStatus.NONE:
                    status = ResultStatus.REJECTED
                state = RoundResult(
                    bytes(a["resultsRoot"]), a["totalDebit"], a["challengeEnds"], a["leafCount"], status
                )
        stored = bytes(self.contract.functions.commitmentOf(round_id).call())
        expected = (
            b"\0" * 32 if state.status in (ResultStatus.NONE, ResultStatus.REJECTED) else state.commitment()
        )
        if stored != expected:
            raise ChainError(f"round {round_id}: the result events do not match the stored commitment")
        return state

    def is_final(self, round_id: int) -> bool:
        state = self.round_result(round_id)
        return bool(self.contract.functions.isFinal(round_id, state.as_tuple()).call())

    def dispute_bond(self) -> int:
        return int(self.contract.functions.config().call()[2])

    def challenge_window(self) -> int:
        return int(self.contract.functions.config().call()[0])


class EscrowClient(_Client):
    def deposit(self, sender: str, amount: int, account: str | None = None) -> TxReceipt:
        account = account or sender
        return self._send(
            self.contract.functions.deposit(account, amount), sender, f"depositing {amount} for {account}"
        )

    def withdraw(self, sender: str, amount: int, to: str | None = None) -> TxReceipt:
        available = self.withdrawable(sender)
        if amount > available:
            raise ChainError(f"{sender} can withdraw {available} now, not {amount} (committed or too small)")
        fn = self.contract.functions.withdraw(amount, to or sender)
        return self._send(fn, sender, f"withdrawing {amount}")

    def apply_settlements(
        self,
        sender: str,
        tree: SettlementTree,
        state: RoundResult,
        *,
        batch_size: int = 50,
        leaves: Sequence[SettlementLeaf] | None = None,
    ) -> list[TxReceipt]:
        """Apply the round's pending leaves in batches, debits first (credits need applied debits).

        ``state`` is ``ClearingClient.round_result(round_id)``. A round without leaves is completed
        by one call with no leaves.
        """
        chosen = tree.leaves if leaves is None else leaves
        pending = [leaf for leaf in chosen if not self.is_applied(tree.round_id, leaf.index)]
        pending.sort(key=lambda leaf: (leaf.is_credit, leaf.index))
        batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
        if not tree.leaves and not self.progress_complete(tree.round_id):
            batches = [[]]
        receipts = []
        for batch in batches:
            fn = self.contract.functions.applySettlements(
                tree.round_id,
                state.as_tuple(),
                [leaf.as_tuple() for leaf in batch],
                [tree.proof(leaf.index) for leaf in batch],
            )
            receipts.append(self._send(fn, sender, f"applying {len(batch)} leaves of round {tree.round_id}"))
        return receipts

    def progress_complete(self, round_id: int) -> bool:
        return bool(self.contract.functions.progress(round_id).call()[3])

    def advance(self, sender: str, max_rounds: int = 64) -> int:
        self._send(self.contract.functions.advance(max_rounds), sender, "advancing finished rounds")
        return self.finished_through()

    def account(self, account: str) -> EscrowAccount:
        balance, debt = self.contract.functions.accountOf(account).call()
        return EscrowAccount(balance, debt)

    def withdrawable(self, account: str) -> int:
        return int(self.contract.functions.withdrawable(account).call())

    def is_applied(self, round_id: int, index: int) -> bool:
        return bool(self.contract.functions.isApplied(round_id, index).call())

    def finished_through(self) -> int:
        return int(self.contract.functions.finishedThrough().call())


class RevenueClient(_Client):
    def create_distribution(
        self, sender: str, root: bytes, total: int, claim_deadline: int, document_hash: bytes
    ) -> int:
        """Create a distribution of ``total``; the contract takes min(carry, total) from its carry pool
        and pulls the rest from ``sender`` (approve at least :meth:`to_pull` first)."""
        fn = self.contract.functions.createDistribution(root, total, claim_deadline, document_hash)
        receipt = self._send(fn, sender, "creating a revenue distribution")
        (event,) = self.contract.events.DistributionCreated().process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["distributionId"])

    def claim(self, sender: str, leaf: RevenueLeaf, proof: Sequence[bytes]) -> TxReceipt:
        fn = self.contract.functions.claim(leaf.as_tuple(), list(proof))
        return self._send(fn, sender, f"claiming share {leaf.index} of distribution {leaf.distribution_id}")

    def sweep(self, sender: str, distribution_id: int) -> TxReceipt:
        return self._send(
            self.contract.functions.sweep(distribution_id), sender, f"sweeping {distribution_id}"
        )

    def is_claimed(self, distribution_id: int, index: int) -> bool:
        return bool(self.contract.functions.isClaimed(distribution_id, index).call())

    def carry(self) -> int:
        """Swept rests held for later distributions (base units)."""
        return int(self.contract.functions.carry().call())

    def to_pull(self, total: int) -> int:
        """What a distribution of ``total`` created now pulls from the CM: total − min(carry, total)."""
        return total - min(self.carry(), total)


class TokenClient(_Client):
    def mint(self, sender: str, to: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.mint(to, amount), sender, f"minting {amount} for {to}")

    def approve(self, owner: str, spender: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.approve(spender, amount), owner, "approving")

    def balance_of(self, account: str) -> int:
        return int(self.contract.functions.balanceOf(account).call())

    def decimals(self) -> int:
        return int(self.contract.functions.decimals().call())


class Community:
    """Every client of one deployment."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3, self.deployment = w3, deployment
        abis = deployment.abis
        if not abis:
            from flexunity.chain.compiler import compile_contracts

            compiled = compile_contracts()
            abis = {
                key: compiled[key if key != "SettlementToken" else "FlexTestToken"].abi
                for key in deployment.addresses
            }
        decoder = ErrorDecoder(abis.values())

        def contract(key: str) -> Contract:
            return w3.eth.contract(address=to_checksum_address(deployment.addresses[key]), abi=abis[key])

        self.registry = RegistryClient(w3, contract("CommunityRegistry"), decoder)
        self.rounds = RoundBookClient(w3, contract("RoundBook"), decoder)
        self.clearing = ClearingClient(w3, contract("ClearingHouse"), decoder)
        self.escrow = EscrowClient(w3, contract("SettlementEscrow"), decoder)
        self.revenue = RevenueClient(w3, contract("RevenueDistributor"), decoder)
        self.token = TokenClient(w3, contract("SettlementToken"), decoder)
