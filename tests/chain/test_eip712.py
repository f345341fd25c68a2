"""EIP-712 typed data of orders and results, without a chain (payload codec: tests/oracle/test_orders.py)."""

from __future__ import annotations

import json

from eth_account import Account

from flexunity.chain.eip712 import (
    ClearingResult,
    Domain,
    Order,
    order_typed_data,
    recover_signer,
    result_typed_data,
    sign_typed_data,
    typed_digest,
)

PEER = Account.from_key(b"\x07" * 32)
DOMAIN = Domain("FlexUnity RoundBook", 31337, "0x" + "ab" * 20)


def test_typed_data_is_json_and_signatures_recover() -> None:
    order = Order.for_payload(3, PEER.address, 1, 2**40, b"x")
    typed = order_typed_data(DOMAIN, order)
    assert json.loads(json.dumps(typed)) == typed
    assert typed["types"]["EIP712Domain"][0] == {"name": "name", "type": "string"}
    signature = sign_typed_data(PEER.key, typed)
    assert recover_signer(typed, signature) == PEER.address
    assert typed["message"]["maxDebit"] == 2**80 - 1  # no cap unless the peer signs one
    other_chain = order_typed_data(Domain(DOMAIN.name, 1, DOMAIN.verifying_contract), order)
    assert typed_digest(other_chain) != typed_digest(typed)
    assert recover_signer(other_chain, signature) != PEER.address


def test_result_typed_data_carries_every_field() -> None:
    result = ClearingResult(1, b"\1" * 32, b"\2" * 32, b"\3" * 32, 4, 5, 5, 1, 1, 10, 20, 30, attempt=2)
    message = result_typed_data(DOMAIN, result)["message"]
    assert message["attempt"] == 2 and message["signerEpoch"] == 0
    assert list(message) == [
        "roundId", "attempt", "signerEpoch", "orderDigest", "resultsRoot", "documentHash", "leafCount",
        "totalDebit",
        "totalCredit", "feesTotal", "supplierTotal", "importWh", "exportWh", "tradedWh",
    ]  # fmt: skip
    assert message["orderDigest"] == "0x" + "01" * 32
