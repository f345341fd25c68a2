"""What anvil's transaction pool does to the Sender, on a real anvil.

- anvil's automine builds one block from the transactions ready when its miner looks; those that do
  not fit in the block's gas stay ready, unannounced, and are never mined until another transaction
  arrives. Under CPU load the miner looks late, with a whole batch already in the pool. Turning
  automine off, sending, and turning it on again makes the miner look late every time.
- anvil (1.7.1) can leave a transaction queued for ever although its nonce is the account's next one:
  ``eth_sendRawTransaction`` reads the sender's nonce, then adds the transaction to the pool, and a
  predecessor mined between the two never releases it (under CPU load a thread descheduled there).
  ``anvil_setNonce`` puts the pool in that state without the timing: nonce 1 queued behind nonce 0,
  then the account's nonce moved past 0 without 0 passing through the pool.
- anvil accepts a transaction whose gas limit is under the EIP-7623 calldata floor, gives its hash,
  and then drops it without a word when it mines the next block.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from flexunity.chain import anvil_pool, rpc
from flexunity.chain.devnet import Anvil, start_anvil

pytestmark = pytest.mark.devnet


@pytest.fixture
def node() -> Iterator[Anvil]:
    with start_anvil() as running:
        yield running


def funded(w3: Web3) -> LocalAccount:
    account: LocalAccount = Account.create()
    funder = w3.eth.accounts[0]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": funder, "to": account.address, "value": Web3.to_wei(1, "ether")})
    )
    return account


def transfers(w3: Web3, account: LocalAccount, nonces: range) -> list[tuple[bytes, str, int]]:
    price = int(w3.eth.gas_price) * 2
    tx: dict[str, Any] = {
        "to": w3.eth.accounts[0],
        "value": 1,
        "gas": 21_000,
        "gasPrice": price,
        "chainId": w3.eth.chain_id,
    }
    return [
        (bytes(account.sign_transaction({**tx, "nonce": n}).raw_transaction), f"transfer {n}", n)
        for n in nonces
    ]


def test_a_transaction_anvil_queues_behind_a_mined_one_is_taken_out_and_sent_again(
    node: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rpc, "ANVIL_NUDGE_AFTER_S", 0.3)
    w3 = node.web3()
    provider: Any = w3.provider
    account = funded(w3)
    reports: list[str] = []
    sender = rpc.Sender(w3, account, report=reports.append, receipt_timeout=8)
    sent = sender.send_raw_many(transfers(w3, account, range(1, 4)))  # nonces 1-3, queued behind 0
    provider.make_request("anvil_setNonce", [account.address, "0x1"])  # 0 is done, outside the pool
    provider.make_request("evm_mine", [])
    assert w3.eth.get_transaction_count(account.address) == 1
    assert int(provider.make_request("txpool_status", [])["result"]["queued"], 16) == 3

    mined = sender.wait_all(sent)  # before the fix: "3 transactions not mined within 8 s"

    assert [m.status for m in mined] == [1, 1, 1]
    assert [m.tx_hash for m in mined] == [s.tx_hash for s in sent]  # the same signed bytes
    assert w3.eth.get_transaction_count(account.address) == 4
    assert any(f"anvil held nonce 1 of {account.address}" in r for r in reports), reports


def test_what_anvils_automine_leaves_over_is_mined_by_hand_in_one_nudge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rpc, "ANVIL_NUDGE_AFTER_S", 1.0)
    with start_anvil(gas_limit=10_000_000) as small_blocks:
        w3 = small_blocks.web3()
        provider: Any = w3.provider
        account = funded(w3)
        data = b"\x01" * 20_000  # 821,000 gas each (the calldata floor): ten fit in a block of 10 M
        tx: dict[str, Any] = {"to": w3.eth.accounts[0], "value": 0, "data": data, "chainId": w3.eth.chain_id}
        tx |= {"gas": 900_000, "gasPrice": int(w3.eth.gas_price) * 2}
        raws = [
            (bytes(account.sign_transaction({**tx, "nonce": n}).raw_transaction), f"big {n}", n)
            for n in range(30)
        ]
        reports: list[str] = []
        sender = rpc.Sender(w3, account, report=reports.append, receipt_timeout=60)
        provider.make_request("evm_setAutomine", [False])
        sent = sender.send_raw_many(raws)
        provider.make_request("evm_setAutomine", [True])  # the miner looks now: one block, then nothing
        mined = sender.wait_all(sent)

    assert [m.status for m in mined] == [1] * 30
    nudges = [r for r in reports if "mined a block" in r]
    assert len(nudges) == 1, reports  # before: one block per nudge, every 5 s (three here)


def test_anvil_drops_a_transaction_under_the_calldata_floor_so_the_sender_never_signs_one(
    node: Anvil,
) -> None:
    w3 = node.web3()
    provider: Any = w3.provider
    account = funded(w3)
    data = b"\x01" * 10_000  # floor 21,000 + 10 x 40,000 tokens = 421,000; intrinsic gas only 181,000
    assert anvil_pool.calldata_floor(data) == 421_000
    base: dict[str, Any] = {"to": w3.eth.accounts[0], "value": 0, "data": data, "chainId": w3.eth.chain_id}
    raw = account.sign_transaction({**base, "gas": 200_000, "gasPrice": w3.eth.gas_price, "nonce": 0})
    assert provider.make_request("eth_sendRawTransaction", ["0x" + raw.raw_transaction.hex()])["result"]
    provider.make_request("evm_mine", [])
    assert w3.eth.get_transaction_count(account.address) == 0  # accepted, then dropped
    assert int(provider.make_request("txpool_status", [])["result"]["pending"], 16) == 0

    class Call:  # the Sender's view of a contract call: something that builds a transaction
        def build_transaction(self, fields: dict[str, Any]) -> dict[str, Any]:
            return {**base, **fields}

    reports: list[str] = []
    sender = rpc.Sender(w3, account, report=reports.append, receipt_timeout=8)
    mined = sender.transact(Call(), "big calldata", gas=200_000)  # the caller's gas is under the floor
    assert mined.status == 1 and mined.gas_used == 421_000
    assert any("calldata floor" in r for r in reports), reports
