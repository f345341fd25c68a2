"""Round orders rebuilt from ``OrderAccepted`` events: hashes, the running digest, signatures, members.

Each event carries the order's fields and payload; the audit recomputes the EIP-712 struct hash and
chains it into the running digest (``d = keccak256(d ‖ orderHash)``, contracts/libraries/Hashing.sol)
and compares the result with ``roundDigest`` (and each step with the event's own record of the hash
and digest, on deployments whose events carry them).
A relayed order's signature is read from the relaying transaction's calldata and recovered against
the RoundBook's EIP-712 domain; an order sent directly is authenticated by its sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.contracts import RoundInfo
from flexunity.chain.eip712 import Order, order_typed_data, recover_signer
from flexunity.chain.hashing import keccak
from flexunity.chain.reader import ChainReader, Log
from flexunity.errors import InputError
from flexunity.record import orders as codec

ZERO = b"\x00" * 32


def order_logs(reader: ChainReader, round_id: int) -> list[Log]:
    return reader.logs(reader.clients.rounds.contract, ("OrderAccepted",), roundId=round_id)


def order_of(log: Log) -> Order:
    a = log.args
    return Order.for_payload(
        int(a["roundId"]),
        str(a["peer"]),
        int(a["nonce"]),
        int(a["deadline"]),
        bytes(a["payload"]),
        int(a["maxDebit"]),
    )


def check_events(verdict: RoundVerdict, reader: ChainReader, info: RoundInfo, logs: list[Log]) -> bytes:
    """Hashes, running digest and timing of every order event; returns the recomputed digest."""
    problems: list[str] = []
    digest = ZERO
    for log in logs:
        order, who = order_of(log), f"order of {log.args['peer']} (nonce {log.args['nonce']})"
        struct_hash = order.struct_hash()
        digest = keccak(digest + struct_hash)
        problems += _event_problems(log, who, struct_hash, digest)
        if reader.block_time(log.block) >= info.gate_closure:
            problems.append(
                f"{who} was accepted at {reader.block_time(log.block)}, "
                f"after gate closure {info.gate_closure}"
            )
    if digest != info.digest:
        problems.append(
            f"the events' digest 0x{digest.hex()} is not the chain's roundDigest 0x{info.digest.hex()}"
        )
    if len(logs) != info.order_count:
        problems.append(f"{len(logs)} order events but the round counts {info.order_count} orders")
    verdict.add(
        "orders.digest", problems, f"{len(logs)} order events chain to roundDigest 0x{digest.hex()[:12]}…"
    )
    return digest


def _event_problems(log: Log, who: str, struct_hash: bytes, digest: bytes) -> list[str]:
    """Where the event also records the order hash and the running digest, they must be the audit's."""
    out = []
    if "orderHash" in log.args and bytes(log.args["orderHash"]) != struct_hash:
        out.append(f"{who}: its fields hash to 0x{struct_hash.hex()}, the event says another hash")
    if "digest" in log.args and bytes(log.args["digest"]) != digest:
        out.append(f"{who}: running digest 0x{digest.hex()} differs from the event's")
    return out


def check_signatures(verdict: RoundVerdict, reader: ChainReader, round_id: int, logs: list[Log]) -> None:
    """Each order was signed by its peer (relayed) or sent by it, and the peer was a member."""
    domain = reader.clients.rounds.domain()
    members = reader.registry()
    problems: list[str] = []
    for log in logs:
        order = order_of(log)
        who = f"order of {order.peer} (nonce {order.nonce})"
        problem = _authenticate(reader, log, order, domain)
        if problem:
            problems.append(f"{who}: {problem}")
        if not members.is_member(order.peer, round_id):
            problems.append(f"{who}: {order.peer} was not a registered member in round {round_id}")
    verdict.add("orders.signatures", problems, f"{len(logs)} orders signed by their peers, all members")


def _authenticate(reader: ChainReader, log: Log, order: Order, domain: Any) -> str:
    tx = reader.transaction(log.tx_hash)
    contract = reader.clients.rounds.contract
    if str(tx["to"]).lower() != contract.address.lower():
        return f"sent in {log.tx_hash} to {tx['to']}, not to the RoundBook: its signature cannot be read"
    fn, params = contract.decode_function_input(tx["input"])
    if fn.fn_name == "submitOrder":
        sender = str(tx["from"])
        return "" if sender.lower() == order.peer.lower() else f"submitted by {sender}, not by the peer"
    for entry, signature in zip(params["orders"], params["signatures"], strict=True):
        if tuple(_plain(entry)) == order.as_tuple():
            signer = recover_signer(order_typed_data(domain, order), bytes(signature))
            return (
                ""
                if signer.lower() == order.peer.lower()
                else f"signature recovers to {signer}, not the peer"
            )
    return f"not found in the calldata of relaying transaction {log.tx_hash}"


def _plain(entry: Any) -> tuple[Any, ...]:
    values = entry.values() if isinstance(entry, Mapping) else entry
    return tuple(bytes(v) if isinstance(v, bytes | bytearray) else v for v in values)


def effective_orders(
    logs: list[Log], intervals: int, config: dict[str, Any] | None = None
) -> tuple[list[codec.AcceptedOrder], list[dict[str, Any]]]:
    """Each peer's last order whose payload decodes and fits the round config (intervals, tariff;
    docs/oracle.md, "Orders"), and the rejected ones.

    The selection rule is re-implemented here, not imported from the oracle: the last order event of
    each peer counts; an empty payload cancels; a payload that does not decode is rejected.
    """
    rebuilt = [
        codec.AcceptedOrder(
            str(log.args["peer"]).lower(),
            int(log.args["nonce"]),
            bytes(log.args["payload"]),
            int(log.args["deadline"]),
            "0x" + order_of(log).struct_hash().hex(),
            log.block,
            log.log_index,
        )
        for log in logs
    ]
    last: dict[str, codec.AcceptedOrder] = {}
    for order in rebuilt:
        last[order.peer_address] = order
    accepted: list[codec.AcceptedOrder] = []
    rejected: list[dict[str, Any]] = []
    for peer in sorted(last):
        order = last[peer]
        if order.is_cancellation:
            continue
        try:
            document = codec.decode_payload(order.payload, intervals)
        except InputError as exc:
            rejected.append({**codec.order_ref(order), "reason": str(exc)})
            continue
        misfit = codec.order_problems(document, config) if config is not None else []
        if misfit:
            rejected.append({**codec.order_ref(order), "reason": "; ".join(misfit)})
        else:
            accepted.append(order)
    return accepted, rejected
