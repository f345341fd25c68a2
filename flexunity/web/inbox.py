"""The order inbox: peers POST wallet-signed orders; the server checks them and the CM relays them.

``POST /inbox/orders`` takes ``{"order": {roundId, peer, nonce, deadline, payloadHash}, "payload": "0x..",
"signature": "0x.."}``: the EIP-712 message the wallet signed with ``eth_signTypedData_v4``, the
payload bytes and the 65-byte signature. Before anything reaches the chain the inbox checks what the
contract will check (the chain room's ``RoundBookClient.order_problems``: round open, gate closure,
deadline, payload hash, signature, membership, nonce) and what the oracle will check (the payload
decodes to an order of the round's shape: interval count and length, a tariff of the round's config),
and answers 4xx with the reason. An accepted order replaces that peer's pending order for the round
and nothing else: a request can change nothing but its signer's own pending order.

Limits: a body of at most ``MAX_BODY_BYTES``; per client address at most ``RATE_PER_MINUTE`` posts a
minute (429 beyond). Accepted orders wait in memory (a restart loses them; the peer page shows each
order's status, so the peer sends again): the relayer (:meth:`Inbox.relay_pending`, run every few
seconds by the app when the CM's key is given) checks them again and relays them in one batch, so an
order that went stale cannot sink the others.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flexunity.chain.addresses import checksum, is_address
from flexunity.chain.contracts import SignedOrder
from flexunity.chain.eip712 import NO_DEBIT_CAP, Order
from flexunity.chain.hashing import keccak
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.record.orders import decode_payload
from flexunity.record.store import FolderStore

MAX_BODY_BYTES = 64 * 1024
MAX_PAYLOAD_BYTES = 48 * 1024
RATE_PER_MINUTE = 20
RELAY_ATTEMPTS = 3
UINT64 = 2**64


class Refused(Exception):
    """An order the inbox will not take; ``status`` is the HTTP status, the message the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Entry:
    """One order the inbox has seen, and what became of it."""

    round_id: int
    peer: str
    nonce: int
    status: str  # pending | relayed | dropped | refused
    reason: str = ""
    tx_hash: str = ""
    at: float = field(default_factory=time.time)
    signed: SignedOrder | None = None
    attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_id, "peer": self.peer, "nonce": self.nonce, "status": self.status,
            "reason": self.reason, "tx": self.tx_hash, "at": int(self.at),
        }  # fmt: skip


class RateLimit:
    """At most ``per_minute`` events per key in any sliding minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] > 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        return True


def parse(body: bytes) -> SignedOrder:
    """The signed order in a request body; ``Refused(400)`` says what is malformed."""
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"the request has {len(body)} bytes; an order is at most {MAX_BODY_BYTES}")
    try:
        data = json.loads(body)
        message, payload_hex, signature_hex = data["order"], data["payload"], data["signature"]
        peer = str(message["peer"])
        if not is_address(peer):
            raise ValueError(f"peer {peer[:60]!r} is not an address")
        numbers = [int(message[k]) for k in ("roundId", "nonce", "deadline")]
        if any(not 0 <= n < UINT64 for n in numbers):
            raise ValueError("roundId, nonce and deadline are unsigned 64-bit integers")
        payload = _hex_bytes(payload_hex, "payload")
        signature = _hex_bytes(signature_hex, "signature")
        payload_hash = _hex_bytes(message["payloadHash"], "payloadHash")
        max_debit = int(message.get("maxDebit", NO_DEBIT_CAP))
        if not 0 <= max_debit <= NO_DEBIT_CAP:
            raise ValueError(f"maxDebit is between 0 and {NO_DEBIT_CAP} base units")
    except json.JSONDecodeError:
        raise Refused(400, "the body is not JSON") from None
    except (KeyError, TypeError) as exc:
        raise Refused(400, f"the body needs order{{roundId, peer, nonce, deadline, payloadHash}}, "
                      f"payload and signature (missing or wrong: {exc})") from None  # fmt: skip
    except ValueError as exc:
        raise Refused(400, str(exc)) from None
    if len(payload_hash) != 32:
        raise Refused(400, "payloadHash is 32 bytes")
    if len(signature) != 65:
        raise Refused(400, f"a signature is 65 bytes, not {len(signature)}")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Refused(413, f"the payload has {len(payload)} bytes; at most {MAX_PAYLOAD_BYTES}")
    round_id, nonce, deadline = numbers
    order = Order(round_id, checksum(peer), nonce, deadline, payload_hash, max_debit)
    return SignedOrder(order, payload, signature)


def _hex_bytes(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"{name} must be a 0x-hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError(f"{name} is not valid hex") from None


class Inbox:
    """Checks, keeps and relays signed orders for one deployment."""

    def __init__(self, chain: OracleChain, store: FolderStore, *, can_relay: bool) -> None:
        self.chain, self.store, self.can_relay = chain, store, can_relay
        self.rate = RateLimit(RATE_PER_MINUTE)
        self.pending: dict[tuple[int, str], Entry] = {}
        self.history: list[Entry] = []
        self._lock = threading.Lock()

    def submit(self, body: bytes, client: str) -> Entry:
        """Check and keep an order; raise ``Refused`` with the reason."""
        if not self.can_relay:
            raise Refused(503, "this server relays no orders (it runs without the CM's key); "
                          "send the order from your wallet instead")  # fmt: skip
        if not self.rate.allow(client):
            raise Refused(429, f"more than {RATE_PER_MINUTE} orders a minute from {client}; wait a minute")
        signed = parse(body)
        order = signed.order
        try:
            self.check(signed)
        except Refused as refused:
            self._remember(Entry(order.round_id, order.peer, order.nonce, "refused", str(refused)))
            raise
        entry = Entry(order.round_id, order.peer, order.nonce, "pending", signed=signed)
        with self._lock:
            replaced = self.pending.get((order.round_id, order.peer))
            stale = replaced is not None and replaced.nonce >= order.nonce
            if not stale:
                self.pending[(order.round_id, order.peer)] = entry
                if replaced is not None:
                    replaced.status, replaced.reason = "replaced", f"by nonce {order.nonce}"
        if stale:
            assert replaced is not None
            entry.status = "refused"
            entry.reason = f"nonce {order.nonce} is not above your pending order's {replaced.nonce}"
            self._remember(entry)
            raise Refused(409, entry.reason)
        self._remember(entry)
        return entry

    def check(self, signed: SignedOrder) -> None:
        """Everything the contract and the oracle will check; ``Refused(422)`` with the first problem."""
        order, rounds = signed.order, self.chain.clients.rounds
        if keccak(signed.payload) != order.payload_hash:
            raise Refused(
                422, "the payload does not hash to payloadHash (the order was altered after signing)"
            )
        (problem,) = rounds.order_problems([signed], self.chain.clients.registry)
        if problem:
            raise Refused(422, problem)
        info = rounds.round(order.round_id)
        try:
            document = decode_payload(signed.payload, info.interval_count) if signed.payload else None
        except InputError as exc:
            raise Refused(422, f"the payload is not an order for round {order.round_id}: {exc}") from None
        if document is not None:
            self._check_shape(document, info.interval_seconds, "0x" + info.config_hash.hex())

    def _check_shape(self, document: dict[str, Any], interval_seconds: int, config_hash: str) -> None:
        if int(document["interval_minutes"]) * 60 != interval_seconds:
            raise Refused(422, f"the order has {document['interval_minutes']}-minute intervals, "
                          f"the round {interval_seconds // 60}-minute ones")  # fmt: skip
        try:
            config = self.store.get_json(config_hash)
        except InputError:
            return  # the round's config is not published here: the shape check above is what we can do
        tariffs = config.get("tariffs") or {}
        if tariffs and document["tariff"] not in tariffs:
            raise Refused(
                422, f"tariff {document['tariff']!r} is not one of the round's ({', '.join(sorted(tariffs))})"
            )

    def relay_pending(self) -> list[Entry]:
        """Relay every pending order in one batch.

        Orders that fail a fresh check (the gate closed meanwhile) are dropped with the reason; when the
        node fails (a check cannot be made, the batch is not mined) the orders wait for the next batch,
        up to ``RELAY_ATTEMPTS`` times, then are dropped with the node's error.
        """
        with self._lock:
            batch = list(self.pending.values())
            self.pending.clear()
        good: list[Entry] = []
        for entry in batch:
            assert entry.signed is not None
            try:
                self.check(entry.signed)
                good.append(entry)
            except Refused as refused:
                entry.status, entry.reason = "dropped", str(refused)
            except Exception as exc:  # the node, not the order: try again next time
                self._retry(entry, exc)
        if good:
            try:
                mined = self.chain.relay([e.signed for e in good if e.signed is not None])
            except Exception as exc:
                for entry in good:
                    self._retry(entry, exc)
            else:
                tx = mined[-1].tx_hash if mined else ""
                for entry in good:
                    entry.status, entry.tx_hash = "relayed", str(tx)
        return batch

    def _retry(self, entry: Entry, exc: Exception) -> None:
        entry.attempts += 1
        if entry.attempts >= RELAY_ATTEMPTS:
            entry.status, entry.reason = "dropped", f"not relayed after {entry.attempts} attempts: {exc}"
            return
        with self._lock:
            self.pending.setdefault((entry.round_id, entry.peer), entry)  # unless a newer order came

    def _remember(self, entry: Entry) -> None:
        with self._lock:
            self.history.append(entry)
            del self.history[:-1000]

    def entries(self, round_id: int | None = None, peer: str | None = None) -> list[Entry]:
        with self._lock:
            chosen = list(self.history)
        if round_id is not None:
            chosen = [e for e in chosen if e.round_id == round_id]
        if peer is not None:
            chosen = [e for e in chosen if e.peer.lower() == peer.lower()]
        return chosen
