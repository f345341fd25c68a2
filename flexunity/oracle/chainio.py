"""The oracle's view of and hand on the contracts: the ``ChainPort`` the runner drives.

A thin adapter over the chain room's typed clients (flexunity.chain.contracts): reads return the
clients' records, writes go through the clients, signed locally by the community manager's key with
``flexunity.chain.rpc.Sender`` (explicit nonces, batches, resends, reverts explained), so the node
needs no unlocked account. Batch sizes are the clients' (``SETTLE_BATCH_SIZE``, ``RELAY_BATCH_SIZE``).

The round configuration lives in the document store under its keccak256 and is bound to the round on
chain: ``RoundBook.openRound`` takes that hash (``configHash``) and ``round(r)`` returns it, so the
round's view carries the hash the chain holds. See docs/oracle.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from flexunity.chain.accounts import LocalAccount
from flexunity.chain.addresses import checksum
from flexunity.chain.contracts import ContractClients, PeerKind, ResultStatus, RoundResult, SignedOrder
from flexunity.chain.contracts.escrow import SETTLE_BATCH_SIZE
from flexunity.chain.contracts.rounds import RELAY_BATCH_SIZE
from flexunity.chain.eip712 import (
    WALLET_NO_DEBIT_CAP,
    Order,
    chain_order_digest,
    order_typed_data,
    result_typed_data,
    sign_typed_data,
)
from flexunity.chain.manifest import Manifest, deployment_of
from flexunity.chain.node import Web3, block_hash, latest_time
from flexunity.chain.retry import retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.rpc import Mined, Sender
from flexunity.chain.settlement import SettlementLeaf, SettlementTree, settlement_tree
from flexunity.errors import ChainError
from flexunity.oracle.port import Posted, RoundView
from flexunity.oracle.result_struct import clearing_result
from flexunity.oracle.runner import crash_point
from flexunity.record import orders as codec
from flexunity.record.store import FolderStore

STEP_POST = "oracle: verify, clear, store, post"  # gas is counted under the demo's step names
STEP_SETTLE = "oracle: settle"
Reporter = Callable[[str], None]
T = TypeVar("T")
# A result in one of these has been posted (and not rejected): its document hash is on chain.
POSTED_STATES = (ResultStatus.POSTED, ResultStatus.DISPUTED, ResultStatus.ACCEPTED)


class OracleChain:
    """ChainPort for one deployment, acting as the community manager ``account``."""

    def __init__(
        self,
        w3: Web3,
        manifest: Manifest,
        account: LocalAccount,
        *,
        report: Reporter = lambda _: None,
        store: FolderStore | None = None,
    ) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.account = account
        self.report = report
        self.store = store
        self.clients = ContractClients(w3, deployment_of(manifest), on_mined=self._on_mined)
        self.decoder = ErrorDecoder(list(self.clients.abis.values()))
        self.sender = Sender(w3, account, self.decoder, report=report)
        self.chain_id = self.sender.chain_id
        self.settle_batch_size = SETTLE_BATCH_SIZE
        self.relay_batch_size = RELAY_BATCH_SIZE
        self.gas: dict[str, int] = {}
        self.txs: dict[str, int] = {}
        self._step: str | None = None
        self._result_timeout: int | None = None

    @classmethod
    def from_manifest(
        cls,
        w3: Web3,
        manifest: Manifest,
        account: LocalAccount,
        *,
        report: Reporter = lambda _: None,
        store: FolderStore | None = None,
    ) -> OracleChain:
        if int(w3.eth.chain_id) != manifest.chain_id:
            raise ChainError(f"the node is chain {w3.eth.chain_id}, the manifest says {manifest.chain_id}")
        chain = cls(w3, manifest, account, report=report, store=store)
        problems = chain._read(chain.clients.wiring_problems, "the deployment's contracts")
        if problems:
            raise ChainError(f"the manifest is not this chain's deployment: {'; '.join(problems)}")
        return chain

    def _read(self, call: Callable[[], T], what: str) -> T:
        return retrying(call, what=what, report=self.report)

    def _count(self, step: str, mined: Sequence[Mined]) -> None:
        self.gas[step] = self.gas.get(step, 0) + sum(m.gas_used for m in mined)
        self.txs[step] = self.txs.get(step, 0) + len(mined)

    @contextmanager
    def _counting(self, step: str) -> Iterator[None]:
        """Count the gas of every transaction the clients mine meanwhile under ``step``."""
        self._step = step
        try:
            yield
        finally:
            self._step = None

    def _on_mined(self, mined: Sequence[Mined]) -> None:
        if self._step is not None:
            self._count(self._step, mined)

    # --- ChainPort: reads ------------------------------------------------------------------------

    def identity(self) -> str:
        """chain id / RoundBook address / hash of its deployment block: unique even across devnet runs."""
        roundbook = self.manifest.contracts["RoundBook"]
        return f"{self.chain_id}/{roundbook.address.lower()}/0x{block_hash(self.w3, roundbook.block).hex()}"

    def addresses(self) -> dict[str, str]:
        return {k: c.address for k, c in self.manifest.contracts.items()}

    def cm_address(self) -> str:
        return self._read(self.clients.registry.fee_recipient, "feeRecipient").lower()

    def supplier_address(self) -> str:
        return self._read(self.clients.registry.supplier, "supplier").lower()

    def token_decimals(self) -> int:
        return self._read(self.clients.token.decimals, "decimals")

    def token_symbol(self) -> str:
        return self._read(self.clients.token.symbol, "symbol")

    def now(self) -> int:
        return latest_time(self.w3)

    def open_rounds(self) -> list[int]:
        count = self._read(self.clients.rounds.round_count, "roundCount")
        return list(range(1, count + 1))

    def view(self, round_id: int) -> RoundView:
        info = self._read(lambda: self.clients.rounds.find_round(round_id), "round")
        if info is None:
            return RoundView(round_id, False, False, "", "", 0)
        result = self.result_state(round_id)
        posted = result.status in POSTED_STATES
        rejected = result.status is ResultStatus.REJECTED
        clearing = self.clients.clearing
        final = posted and self._read(lambda: clearing.is_final(round_id, result), "isFinal")
        applied = self._read(lambda: self.clients.escrow.progress(round_id), "progress").applied
        return RoundView(
            round_id=round_id,
            exists=True,
            gate_closed=self.now() >= info.gate_closure,
            config_hash="0x" + info.config_hash.hex(),
            order_digest="0x" + info.digest.hex(),
            order_count=info.order_count,
            result_posted=posted,
            result_hash=self.posted_document_hash(round_id) if posted or rejected else "",
            merkle_root="0x" + result.results_root.hex(),
            window_ends=result.challenge_ends,
            gate_closure=info.gate_closure,
            disputed=result.status is ResultStatus.DISPUTED,
            finalized=final,
            settled_leaves=applied,
            fully_settled=posted and applied == result.leaf_count and applied > 0,
            interval_count=info.interval_count,
            interval_seconds=info.interval_seconds,
            status=result.status.name,
            voidable_from=info.gate_closure + self.result_timeout(),
        )

    def result_timeout(self) -> int:
        """Seconds after gate closure from which anyone may void a round without a result (read once)."""
        if self._result_timeout is None:
            self._result_timeout = self._read(self.clients.clearing.config, "config").result_timeout
        return self._result_timeout

    def result_state(self, round_id: int) -> RoundResult:
        """The round's result state, rebuilt from events and checked against the stored commitment."""
        clearing = self.clients.clearing
        return self._read(lambda: clearing.round_result(round_id, self.manifest.first_block), "result state")

    def posted_document_hash(self, round_id: int) -> str:
        """The documentHash of the round's latest ResultPosted event ("" if none)."""
        clearing, first = self.clients.clearing, self.manifest.first_block
        found = self._read(lambda: clearing.posted_document_hash(round_id, first), "ResultPosted logs")
        return "0x" + found.hex() if found is not None else ""

    def orders(self, round_id: int) -> list[codec.AcceptedOrder]:
        records = self._read(
            lambda: self.clients.rounds.order_records(round_id, self.manifest.first_block),
            "OrderAccepted logs",
        )
        out = []
        for r in records:
            if r.order.struct_hash() != r.order_hash:
                raise ChainError(
                    f"round {round_id}: the order event of {r.peer} (nonce {r.nonce}) does not match its hash"
                )
            out.append(
                codec.AcceptedOrder(
                    r.peer.lower(),
                    r.nonce,
                    r.payload,
                    r.deadline,
                    "0x" + r.order_hash.hex(),
                    r.block_number,
                    r.log_index,
                    r.max_debit,
                )
            )
        return out

    def running_digest(self, round_id: int, orders: list[codec.AcceptedOrder]) -> str:
        hashes = [
            Order.for_payload(
                round_id, o.peer_address, o.nonce, o.deadline, o.payload, o.max_debit
            ).struct_hash()
            for o in orders
        ]
        return "0x" + chain_order_digest(hashes).hex()

    def distribution_created(self, tx_hash: str) -> tuple[int, int]:
        """(distribution id, carried-in amount) of the ``DistributionCreated`` event of a transaction."""
        revenue = self.clients.revenue
        (event,) = revenue.events_in(revenue.receipt_of(tx_hash), "DistributionCreated")
        return int(event["args"]["distributionId"]), int(event["args"]["carriedIn"])

    def await_pending(self) -> int:
        """Let transactions of the CM's key broadcast earlier (before a crash) land first."""
        return self.sender.await_pending()

    def leaf_settled(self, round_id: int, leaves: list[SettlementLeaf]) -> list[bool]:
        escrow = self.clients.escrow
        applied = self._read(lambda: escrow.progress(round_id), "progress").applied
        if applied == 0:
            return [False] * len(leaves)
        if applied == self.result_state(round_id).leaf_count:
            return [True] * len(leaves)
        return [self._read(partial(escrow.is_applied, round_id, leaf.index), "isApplied") for leaf in leaves]

    def merkle_root(self, round_id: int, leaves: list[SettlementLeaf]) -> str:
        return "0x" + self._tree(round_id, leaves).root.hex()

    def _tree(self, round_id: int, leaves: list[SettlementLeaf]) -> SettlementTree:
        return settlement_tree(round_id, leaves)

    # --- community manager writes ----------------------------------------------------------------

    def enrol(self, peers: Sequence[tuple[str, PeerKind, bytes]]) -> list[Mined]:
        with self._counting("enrol peers"):
            return self.clients.registry.enrol_many(self.sender, peers)

    def open_round(self, start: int, gate: int, interval_seconds: int, count: int, config_hash: str) -> int:
        """Open a round bound on chain to its config (``config_hash``: the stored config's keccak256)."""
        with self._counting("open round"):
            return self.clients.rounds.open_round(
                self.sender, start, gate, interval_seconds, count, config_hash
            )

    def relay(self, signed: Sequence[SignedOrder]) -> list[Mined]:
        rounds = self.clients.rounds
        with self._counting("orders"):
            mined = rounds.relay_all(self.sender, signed, batch_size=self.relay_batch_size)
        for m in mined:  # an invalid order is skipped on chain (OrderSkipped); the others landed
            for peer, nonce, reason in rounds.skipped_orders(rounds.receipt(m)):
                self.report(f"order of {peer} (nonce {nonce}) skipped by the round book: {reason}")
        return mined

    def post_result(self, round_id: int, data: dict[str, Any]) -> Posted:
        leaves = [SettlementLeaf.from_dict(round_id, x) for x in data["leaves"]]
        result = clearing_result(
            round_id,
            data,
            leaves,
            cm=self.cm_address(),
            supplier=self.supplier_address(),
            # A corrected result after a rejection carries the next attempt number; a result names the
            # signer set in force (a rejected result can never be posted again).
            attempt=self._read(lambda: self.clients.clearing.rejections(round_id), "rejections"),
            signer_epoch=self._read(self.clients.registry.signer_epoch, "signerEpoch"),
        )
        clearing = self.clients.clearing
        signature = sign_typed_data(self.account.key, result_typed_data(clearing.domain(), result))
        with self._counting(STEP_POST):
            mined = clearing.post_result_mined(
                self.sender,
                result,
                [signature],
                # tests: killed with the post in the node's pool, unmined
                after_broadcast=lambda: crash_point("POSTED:broadcast"),
            )
        return Posted(mined.tx_hash, mined.gas_used, mined.block)

    def settle(
        self, round_id: int, leaves: list[SettlementLeaf], all_leaves: list[SettlementLeaf]
    ) -> list[Posted]:
        """Apply ``leaves`` (EscrowClient.apply_settlements: debits first, then credits)."""
        tree = self._tree(round_id, all_leaves)
        with self._counting(STEP_SETTLE):
            mined = self.clients.escrow.apply_settlements(
                self.sender,
                tree,
                self.result_state(round_id),
                batch_size=self.settle_batch_size,
                leaves=[tree.leaves[x.index] for x in leaves],
                between_waves=lambda wave: crash_point(f"SETTLING:{wave}"),
            )
        return [Posted(m.tx_hash, m.gas_used, m.block) for m in mined]

    def finish(self, round_id: int) -> None:
        """Release the commitments of the round's peers (the round is settled, closed or void), so that
        what they committed to it becomes withdrawable. Idempotent: released peers are skipped."""
        escrow = self.clients.escrow
        if not self._read(lambda: escrow.is_finished(round_id), "isFinished"):
            return
        peers = sorted({o.peer_address for o in self.orders(round_id)})
        pending = [p for p in peers if not self._released(p, round_id)]
        with self._counting(STEP_SETTLE):
            escrow.release_each(self.sender, pending, round_id)

    def _released(self, peer: str, round_id: int) -> bool:
        registry = self.clients.registry
        _ordered, released, _cap = self._read(
            lambda: registry.order_status(checksum(peer), round_id), "orderStatus"
        )
        return released

    # --- peers ------------------------------------------------------------------------------------

    def sign_order(
        self, peer: LocalAccount, round_id: int, nonce: int, deadline: int, payload: bytes
    ) -> SignedOrder:
        order = Order.for_payload(round_id, peer.address, nonce, deadline, payload)
        typed = order_typed_data(self.clients.rounds.domain(), order)
        return SignedOrder(order, payload, sign_typed_data(peer.key, typed))

    def order_typed_data(
        self, peer: str, round_id: int, nonce: int, deadline: int, payload: bytes
    ) -> dict[str, Any]:
        """The typed data a browser wallet signs (``WALLET_NO_DEBIT_CAP``: exact in JavaScript)."""
        order = Order.for_payload(round_id, peer, nonce, deadline, payload, WALLET_NO_DEBIT_CAP)
        return order_typed_data(self.clients.rounds.domain(), order)
