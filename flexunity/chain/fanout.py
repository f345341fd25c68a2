"""Many accounts at once: one transaction from each of many local keys (peers' deposits, withdrawals),
and plain ether transfers from one funder, each batch sent together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from flexunity.chain.anvil_pool import at_least_floor
from flexunity.chain.jsonrpc import _int, batch_request, is_http
from flexunity.chain.retry import Reporter, _ignore, retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.rpc import Mined, Sender


def send_from_many(
    w3: Web3,
    calls: Sequence[tuple[LocalAccount, Any, str]],
    *,
    gas: int,
    decoder: ErrorDecoder | None = None,
    report: Reporter = _ignore,
) -> list[Mined]:
    """One transaction from each of many accounts (peers' deposits, withdrawals), sent together.

    Every account signs its own transaction locally; nonces are read in one batch; the caller gives a
    gas limit (estimate one representative call first).
    """
    if not calls:
        return []
    chain_id = retrying(lambda: w3.eth.chain_id, what="eth_chainId", report=report)
    price = int(retrying(lambda: w3.eth.gas_price, what="eth_gasPrice", report=report))
    nonces = _nonces(w3, [str(a.address) for a, _, _ in calls], report)
    raws: list[tuple[bytes, str, int]] = []
    for (account, fn, label), nonce in zip(calls, nonces, strict=False):
        tx = fn.build_transaction(
            {
                "from": account.address,
                "nonce": nonce,
                "gas": gas,
                "chainId": chain_id,
                "gasPrice": price,
                "value": 0,
            }
        )
        tx["gas"] = at_least_floor(tx, label, report)
        raws.append((bytes(account.sign_transaction(tx).raw_transaction), label, nonce))
    sender = Sender(w3, calls[0][0], decoder, report=report)
    return sender.wait_all(sender.send_raw_many(raws))


def _nonces(w3: Web3, addresses: list[str], report: Reporter) -> list[int]:
    """Pending nonces of many accounts; an account appearing twice gets consecutive nonces."""
    unique = list(dict.fromkeys(addresses))
    if is_http(w3) and len(unique) > 1:
        asks: list[tuple[str, list[Any]]] = [("eth_getTransactionCount", [a, "pending"]) for a in unique]
        responses = batch_request(w3, asks, what="batch nonces", report=report)
        base = {a: _int(r["result"]) for a, r in zip(unique, responses, strict=False)}
    else:
        base = {a: int(w3.eth.get_transaction_count(a, "pending")) for a in unique}  # type: ignore[arg-type]
    out = []
    for address in addresses:
        out.append(base[address])
        base[address] += 1
    return out


def send_ether(funder: Sender, addresses: Sequence[str], amount_wei: int) -> list[Mined]:
    """Plain transfers from ``funder``, signed locally with consecutive nonces, sent in one batch."""
    from eth_utils import to_checksum_address

    price = funder.gas_price()
    raws = []
    for address in addresses:
        nonce = funder.next_nonce()
        tx: dict[str, Any] = {
            "to": to_checksum_address(address),
            "value": amount_wei,
            "gas": 21_000,
            "gasPrice": price,
            "nonce": nonce,
            "chainId": funder.chain_id,
        }
        signed = funder.account.sign_transaction(tx)  # type: ignore[arg-type]
        raws.append((bytes(signed.raw_transaction), f"fund {address}", nonce))
    return funder.wait_all(funder.send_raw_many(raws))
