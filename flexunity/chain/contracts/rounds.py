"""Client of RoundBook: rounds bound to their config, direct and relayed EIP-712 orders, the book."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak
from web3.logs import DISCARD
from web3.types import TxReceipt

from flexunity.chain.contracts.base import Call, ContractClient, Signer
from flexunity.chain.contracts.records import OrderBook, OrderRecord, RoundInfo, SignedOrder
from flexunity.chain.contracts.registry import RegistryClient
from flexunity.chain.eip712 import (
    ROUND_BOOK_NAME,
    Domain,
    Order,
    chain_order_digest,
    order_typed_data,
    recover_signer,
)
from flexunity.chain.rpc import Mined
from flexunity.errors import ChainError

# Orders per relayOrders call: a batch of 50 orders of a day's payload stays well below a block's gas
# limit; more peers take more batches, sent together.
RELAY_BATCH_SIZE = 50


class RoundBookClient(ContractClient):
    def domain(self) -> Domain:
        return Domain(ROUND_BOOK_NAME, self.w3.eth.chain_id, self.address)

    def open_round(
        self,
        sender: Signer,
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

    def submit_order(self, order: Order, payload: bytes, peer: Signer | None = None) -> TxReceipt:
        """The peer's own order, sent by the peer (``peer``: its Sender; default the node's key)."""
        fn = self.contract.functions.submitOrder(order.as_tuple(), payload)
        return self._send(fn, peer or order.peer, f"order for round {order.round_id}")

    def relay_orders(self, sender: Signer, orders: Sequence[SignedOrder]) -> TxReceipt:
        """Relay one batch; an invalid order is skipped on chain (``OrderSkipped``), the rest land."""
        return self._send(self._relay_call(orders)[0], sender, f"relaying {len(orders)} orders")

    def relay_all(
        self, sender: Signer, orders: Sequence[SignedOrder], *, batch_size: int = RELAY_BATCH_SIZE
    ) -> list[Mined]:
        """Relay every order in batches sent together; the skipped ones are in ``skipped_orders``."""
        batches = [orders[i : i + batch_size] for i in range(0, len(orders), batch_size)]
        return self._transact([self._relay_call(batch) for batch in batches], sender)

    def _relay_call(self, orders: Sequence[SignedOrder]) -> Call:
        fn = self.contract.functions.relayOrders(
            [s.order.as_tuple() for s in orders], [s.payload for s in orders], [s.signature for s in orders]
        )
        return fn, f"relay {len(orders)} orders"

    def skipped_orders(self, receipt: TxReceipt) -> list[tuple[str, int, str]]:
        """The orders a relayed batch skipped: (peer, nonce, the reason in words)."""
        events = self.contract.events.OrderSkipped().process_receipt(receipt, errors=DISCARD)
        return [
            (
                str(e["args"]["peer"]),
                int(e["args"]["nonce"]),
                self.decoder.describe(bytes(e["args"]["reason"])),
            )
            for e in events
        ]

    def order_problems(self, orders: Sequence[SignedOrder], registry: RegistryClient) -> list[str | None]:
        """Why each order would be rejected if relayed now, in batch order (None: it would pass).

        Checks what the contract checks, with the nonces of earlier orders in the batch counted, so the
        CM can drop bad orders first (the contract skips them anyway, with an ``OrderSkipped`` event).
        """
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        domain, rounds = self.domain(), {}
        nonces: dict[str, int] = {}
        problems: list[str | None] = []
        for signed in orders:
            order = signed.order
            if order.round_id not in rounds:
                info = self.find_round(order.round_id)
                rounds[order.round_id] = info.gate_closure if info else 0
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

    def invalidate_nonce(self, peer: Signer, nonce: int) -> TxReceipt:
        return self._send(
            self.contract.functions.invalidateNonce(nonce), peer, f"raising the nonce to {nonce}"
        )

    def hash_order(self, order: Order) -> bytes:
        return bytes(self.contract.functions.hashOrder(order.as_tuple()).call())

    def round(self, round_id: int) -> RoundInfo:
        info = self.find_round(round_id)
        if info is None:
            raise ChainError(f"round {round_id} does not exist")
        return info

    def find_round(self, round_id: int) -> RoundInfo | None:
        """The round as opened on chain (None: no such round; its gate closure reads 0)."""
        raw = self.contract.functions.round(round_id).call()
        start, gate, seconds, count, orders, paused_before, digest, config = raw
        if gate == 0:
            return None
        return RoundInfo(
            round_id, start, gate, seconds, count, orders, bytes(digest), bytes(config), int(paused_before)
        )

    def orders_of(self, peer: str, from_block: int = 0) -> list[object]:
        """Every ``OrderAccepted`` event of ``peer`` (any round), as web3 returns them."""
        event = self.contract.events.OrderAccepted()
        return list(event.get_logs(from_block=from_block, argument_filters={"peer": peer}))

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
            order = Order.for_payload(round_id, a["peer"], a["nonce"], a["deadline"], payload, a["maxDebit"])
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
                    max_debit=order.max_debit,
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
