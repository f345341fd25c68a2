"""The oracle's view of and hand on the contracts: the ``ChainPort`` the runner drives, on web3.

Reads go through the chain room's typed clients (flexunity.chain.contracts); writes are signed
locally by the community manager's key and sent by ``flexunity.chain.rpc.Sender`` (explicit nonces,
batches, reverts explained), so the node needs no unlocked account.

The round configuration lives in the document store under its keccak256 and is bound to the round on
chain: ``RoundBook.openRound`` takes that hash (``configHash``) and ``round(r)`` returns it, so the
round's view carries the hash the chain holds. See docs/oracle.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3

from flexunity.chain.contracts import Community as Clients
from flexunity.chain.contracts import PeerKind, ResultStatus, SignedOrder
from flexunity.chain.eip712 import (
    WALLET_NO_DEBIT_CAP,
    ClearingResult,
    Order,
    order_typed_data,
    result_typed_data,
    sign_typed_data,
)
from flexunity.chain.manifest import Manifest, deployment_of
from flexunity.chain.rpc import ErrorDecoder, Mined, Sender, retrying
from flexunity.chain.settlement import SettlementLeaf, settlement_tree
from flexunity.errors import ChainError, InputError
from flexunity.oracle.port import Posted, RoundView
from flexunity.oracle.runner import crash_point
from flexunity.record import orders as codec
from flexunity.record.settlement import Leaf
from flexunity.record.store import FolderStore

STEP_POST = "oracle: verify, clear, store, post"  # gas is counted under the demo's step names
STEP_SETTLE = "oracle: settle"
Reporter = Callable[[str], None]


class OracleChain:
    """ChainPort on web3 for one deployment, acting as the community manager ``account``."""

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
        self.clients = Clients(w3, deployment_of(manifest))
        abis = [c.contract.abi for c in self._all_clients()]
        self.decoder = ErrorDecoder.from_abis(abis)
        self.sender = Sender(w3, account, self.decoder, report=report)
        self.chain_id = self.sender.chain_id
        self.settle_batch_size = 100
        self.relay_batch_size = 50
        self.gas: dict[str, int] = {}
        self.txs: dict[str, int] = {}

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

    def _all_clients(self) -> list[Any]:
        c = self.clients
        return [c.registry, c.rounds, c.clearing, c.escrow, c.revenue, c.token]

    def _read(self, call: Callable[[], Any], what: str) -> Any:
        return retrying(call, what=what, report=self.report)

    def _count(self, step: str, mined: Sequence[Mined]) -> None:
        self.gas[step] = self.gas.get(step, 0) + sum(m.gas_used for m in mined)
        self.txs[step] = self.txs.get(step, 0) + len(mined)

    # --- ChainPort: reads ------------------------------------------------------------------------

    def identity(self) -> str:
        """chain id / RoundBook address / hash of its deployment block: unique even across devnet runs."""
        roundbook = self.manifest.contracts["RoundBook"]
        block = self._read(lambda: self.w3.eth.get_block(roundbook.block), "deployment block")
        return f"{self.chain_id}/{roundbook.address.lower()}/0x{bytes(block['hash']).hex()}"

    def addresses(self) -> dict[str, str]:
        return {k: c.address for k, c in self.manifest.contracts.items()}

    def cm_address(self) -> str:
        return str(self._read(self.clients.registry.fee_recipient, "feeRecipient")).lower()

    def supplier_address(self) -> str:
        return str(self._read(self.clients.registry.supplier, "supplier")).lower()

    def token_decimals(self) -> int:
        return int(self._read(self.clients.token.decimals, "decimals"))

    def token_symbol(self) -> str:
        token = self.clients.token.contract.functions
        return str(self._read(lambda: token.symbol().call(), "symbol"))

    def now(self) -> int:
        return int(self._read(lambda: self.w3.eth.get_block("latest")["timestamp"], "latest block"))

    def open_rounds(self) -> list[int]:
        count = int(self._read(self.clients.rounds.round_count, "roundCount"))
        return list(range(1, count + 1))

    def view(self, round_id: int) -> RoundView:
        rounds = self.clients.rounds.contract.functions
        _start, gate, interval_seconds, interval_count, order_count, _paused, digest, config = self._read(
            lambda: rounds.round(round_id).call(), "round"
        )
        if gate == 0:
            return RoundView(round_id, False, False, "", "", 0)
        result = self.result_state(round_id)
        posted = result.status in (ResultStatus.POSTED, ResultStatus.DISPUTED, ResultStatus.ACCEPTED)
        rejected = result.status is ResultStatus.REJECTED
        is_final = self.clients.clearing.contract.functions.isFinal
        final = posted and bool(self._read(lambda: is_final(round_id, result.as_tuple()).call(), "isFinal"))
        applied = int(
            self._read(
                lambda: self.clients.escrow.contract.functions.progress(round_id).call()[2], "progress"
            )
        )
        return RoundView(
            round_id=round_id,
            exists=True,
            gate_closed=self.now() >= gate,
            config_hash="0x" + bytes(config).hex(),
            order_digest="0x" + bytes(digest).hex(),
            order_count=int(order_count),
            result_posted=posted,
            result_hash=self.posted_document_hash(round_id) if posted or rejected else "",
            merkle_root="0x" + result.results_root.hex(),
            window_ends=int(result.challenge_ends),
            gate_closure=int(gate),
            disputed=result.status is ResultStatus.DISPUTED,
            finalized=final,
            settled_leaves=applied,
            fully_settled=posted and applied == result.leaf_count and applied > 0,
            interval_count=int(interval_count),
            interval_seconds=int(interval_seconds),
            status=result.status.name,
            voidable_from=int(gate) + self._result_timeout(),
        )

    def _result_timeout(self) -> int:
        if not hasattr(self, "_timeout"):
            config = self.clients.clearing.contract.functions.config
            self._timeout = int(self._read(lambda: config().call()[1], "config"))
        return self._timeout

    def result_state(self, round_id: int) -> Any:
        """The round's result state, rebuilt from events and checked against the stored commitment."""
        clearing = self.clients.clearing
        return self._read(lambda: clearing.round_result(round_id, self.manifest.first_block), "result state")

    def posted_document_hash(self, round_id: int) -> str:
        """The documentHash of the round's latest ResultPosted event."""
        event = self.clients.clearing.contract.events.ResultPosted()
        logs = self._read(
            lambda: event.get_logs(
                from_block=self.manifest.first_block, argument_filters={"roundId": round_id}
            ),
            "ResultPosted logs",
        )
        if not logs:
            return ""
        return "0x" + bytes(logs[-1]["args"]["result"]["documentHash"]).hex()

    def orders(self, round_id: int) -> list[codec.Order]:
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
                codec.Order(
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

    def running_digest(self, round_id: int, orders: list[codec.Order]) -> str:
        from flexunity.chain.eip712 import chain_order_digest

        hashes = [
            Order.for_payload(
                round_id, o.peer_address, o.nonce, o.deadline, o.payload, o.max_debit
            ).struct_hash()
            for o in orders
        ]
        return "0x" + chain_order_digest(hashes).hex()

    def distribution_created(self, tx_hash: str) -> tuple[int, int]:
        """(distribution id, carried-in amount) of the ``DistributionCreated`` event of a transaction."""
        from web3.logs import DISCARD

        receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        created = self.clients.revenue.contract.events.DistributionCreated()
        (event,) = created.process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["distributionId"]), int(event["args"]["carriedIn"])

    def await_pending(self) -> int:
        """Let transactions of the CM's key broadcast earlier (before a crash) land first."""
        return self.sender.await_pending()

    def leaf_settled(self, round_id: int, leaves: list[Leaf]) -> list[bool]:
        fn = self.clients.escrow.contract.functions
        applied = int(self._read(lambda: fn.progress(round_id).call(), "progress")[2])
        if applied == 0:
            return [False] * len(leaves)
        if applied == self.result_state(round_id).leaf_count:
            return [True] * len(leaves)
        return [bool(self._read(fn.isApplied(round_id, leaf.index).call, "isApplied")) for leaf in leaves]

    def merkle_root(self, round_id: int, leaves: list[Leaf]) -> str:
        return "0x" + self._tree(round_id, leaves).root.hex()

    def _tree(self, round_id: int, leaves: list[Leaf]) -> Any:
        return settlement_tree(
            round_id, [SettlementLeaf(round_id, *leaf.values(round_id)[1:]) for leaf in leaves]
        )

    # --- community manager writes ----------------------------------------------------------------

    def enrol(self, peers: Sequence[tuple[str, PeerKind, bytes]]) -> list[Mined]:
        fn = self.clients.registry.contract.functions.enrol
        calls = [(fn(to_checksum_address(a), int(k), h), f"enrol {a}") for a, k, h in peers]
        mined = self.sender.transact_many(calls, estimate_each=False)
        self._count("enrol peers", mined)
        return mined

    def open_round(self, start: int, gate: int, interval_seconds: int, count: int, config_hash: str) -> int:
        """Open a round bound on chain to its config (``config_hash``: the stored config's keccak256)."""
        rounds = self.clients.rounds.contract
        fn = rounds.functions.openRound(start, gate, interval_seconds, count, _b32(config_hash))
        mined = self.sender.transact(fn, "open round")
        receipt = self.w3.eth.get_transaction_receipt(mined.tx_hash)  # type: ignore[arg-type]
        (event,) = rounds.events.RoundOpened().process_receipt(receipt)
        self._count("open round", [mined])
        return int(event["args"]["roundId"])

    def relay(self, signed: Sequence[SignedOrder]) -> list[Mined]:
        fn = self.clients.rounds.contract.functions.relayOrders
        calls = []
        for start in range(0, len(signed), self.relay_batch_size):
            batch = signed[start : start + self.relay_batch_size]
            args = (
                [s.order.as_tuple() for s in batch],
                [s.payload for s in batch],
                [s.signature for s in batch],
            )
            calls.append((fn(*args), f"relay {len(batch)} orders"))
        mined = self.sender.transact_many(calls)
        self._count("orders", mined)
        for m in mined:  # an invalid order is skipped on chain (OrderSkipped); the others landed
            receipt = self.w3.eth.get_transaction_receipt(m.tx_hash)  # type: ignore[arg-type]
            for peer, nonce, reason in self.clients.rounds.skipped_orders(receipt):
                self.report(f"order of {peer} (nonce {nonce}) skipped by the round book: {reason}")
        return mined

    def result_struct(self, round_id: int, data: dict[str, Any]) -> ClearingResult:
        leaves = [Leaf.from_dict(x) for x in data["leaves"]]
        cm, supplier = self.cm_address(), self.supplier_address()
        fees = sum(x.amount for x in leaves if x.account.lower() == cm and x.is_credit)
        # One account may be both (a small pilot): its single leaf then counts as fees only.
        charges = (
            0
            if supplier == cm
            else sum(x.amount for x in leaves if x.account.lower() == supplier and x.is_credit)
        )
        return ClearingResult(
            round_id,
            _b32(data["order_digest"]),
            _b32(data["merkle_root"]),
            _b32(data["result_hash"]),
            len(leaves),
            int(data["total_debit"]),
            int(data["total_credit"]),
            fees,
            charges,
            sum(x.import_wh for x in leaves),
            sum(x.export_wh for x in leaves),
            sum(x.bought_wh for x in leaves),
            # A corrected result after a rejection carries the next attempt number; a result names the
            # signer set in force (a rejected result can never be posted again).
            attempt=int(self._read(lambda: self.clients.clearing.rejections(round_id), "rejections")),
            signer_epoch=int(self._read(self.clients.registry.signer_epoch, "signerEpoch")),
        )

    def post_result(self, round_id: int, data: dict[str, Any]) -> Posted:
        result = self.result_struct(round_id, data)
        typed = result_typed_data(self.clients.clearing.domain(), result)
        signature = sign_typed_data(self.account.key, typed)
        fn = self.clients.clearing.contract.functions.postResult(result.as_tuple(), [signature])
        label = f"post result of round {round_id}"
        self.sender.reset_nonce()
        raw, nonce = self.sender.sign(fn, label)
        sent = self.sender.send_raw_many([(raw, label, nonce)])
        crash_point("POSTED:broadcast")  # tests: killed with the post in the node's pool, unmined
        (mined,) = self.sender.wait_all(sent)
        self._count(STEP_POST, [mined])
        return Posted(mined.tx_hash, mined.gas_used, mined.block)

    def settle(self, round_id: int, leaves: list[Leaf], all_leaves: list[Leaf]) -> list[Posted]:
        """Apply ``leaves`` in batches: every debit batch first, then the credits they cover.

        The batch that completes the round is sent alone, last, once the others are mined: it also
        marks the round settled and advances the finished-rounds mark, gas that an estimate made
        while other batches of its wave are still unmined does not see (it ran out of gas, found by
        the fault tier: killed between the waves, restarted, credits in two batches)."""
        tree = self._tree(round_id, all_leaves)
        state = self.result_state(round_id).as_tuple()
        fn = self.clients.escrow.contract.functions.applySettlements
        posted: list[Posted] = []
        waves = [[x for x in leaves if not x.is_credit], [x for x in leaves if x.is_credit]]
        for k, wave in enumerate(waves):
            calls = []
            for start in range(0, len(wave), self.settle_batch_size):
                batch = wave[start : start + self.settle_batch_size]
                values = [tree.leaves[x.index].as_tuple() for x in batch]
                proofs = [tree.proof(x.index) for x in batch]
                calls.append((fn(round_id, state, values, proofs), f"settle {len(batch)} leaves"))
            last_wave = not any(waves[k + 1 :])
            groups = [calls[:-1], calls[-1:]] if last_wave and len(calls) > 1 else [calls]
            for group in groups:
                mined = self.sender.transact_many(group, estimate_each=True) if group else []
                self._count(STEP_SETTLE, mined)
                posted += [Posted(m.tx_hash, m.gas_used, m.block) for m in mined]
            crash_point("SETTLING:debits" if wave and not wave[0].is_credit else "SETTLING:credits")
        return posted

    def finish(self, round_id: int) -> None:
        """Release the commitments of the round's peers (the round is settled, closed or void), so that
        what they committed to it becomes withdrawable. Idempotent: released peers are skipped."""
        escrow, registry = self.clients.escrow, self.clients.registry
        if not bool(self._read(lambda: escrow.is_finished(round_id), "isFinished")):
            return
        peers = sorted({o.peer_address for o in self.orders(round_id)})
        pending = [p for p in peers if not self._released(registry, p, round_id)]
        fn = escrow.contract.functions.release
        calls = [
            (fn(to_checksum_address(p), [round_id]), f"release {p} from round {round_id}") for p in pending
        ]
        mined = self.sender.transact_many(calls, estimate_each=False) if calls else []
        self._count(STEP_SETTLE, mined)

    def _released(self, registry: Any, peer: str, round_id: int) -> bool:
        status = self._read(lambda: registry.order_status(to_checksum_address(peer), round_id), "orderStatus")
        return bool(status[1])

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


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise InputError(f"expected 32 bytes, got {len(raw)}: {value}")
    return raw
