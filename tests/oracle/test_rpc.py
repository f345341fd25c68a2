"""Retries with backoff against a dead node, and reverts explained in words."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from eth_abi import encode
from eth_utils import keccak

from flexunity.chain import retry, rpc
from flexunity.chain.compiler import compile_contracts
from flexunity.chain.manifest import DeployedContract, Manifest
from flexunity.chain.retry import retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.cli import cli
from flexunity.errors import ChainError


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BASE_DELAY", 0.001)


def test_transient_failures_are_retried_and_reported() -> None:
    calls, reports = [0], []

    def flaky() -> str:
        calls[0] += 1
        if calls[0] < 3:
            raise requests.ConnectionError("refused")
        return "ok"

    assert retrying(flaky, what="eth_chainId", report=reports.append) == "ok"
    assert len(reports) == 2 and "retry 1" in reports[0]


def test_a_dead_node_becomes_a_chain_error() -> None:
    def dead() -> None:
        raise requests.ConnectionError("refused")

    with pytest.raises(ChainError, match="did not answer after 6 attempts"):
        retrying(dead, what="eth_chainId")


def test_custom_errors_are_explained_with_their_values() -> None:
    decoder = ErrorDecoder([c.abi for c in compile_contracts().values()])
    data = keccak(text="RoundClosed(uint64,uint64)")[:4] + encode(["uint64", "uint64"], [3, 1_764_061_200])
    assert decoder.explain("0x" + data.hex()) == (
        "RoundClosed(roundId=3, gateClosure=1764061200): the round's gate has closed; no more orders"
    )
    assert decoder.explain(keccak(text="Error(string)")[:4] + encode(["string"], ["nope"])) == "Error('nope')"


def test_oracle_run_against_a_dead_node_fails_in_words(tmp_path: Path) -> None:
    manifest = Manifest(
        31337, {"RoundBook": DeployedContract("0x" + "01" * 20, 1, "x")}, {}, "http://127.0.0.1:9"
    )
    manifest.save(tmp_path / "m.json")
    result = CliRunner().invoke(
        cli, ["oracle", "run", "--manifest", str(tmp_path / "m.json"), "--private-key-env", "K", "--once"],
        env={"K": "0x" + "42" * 32},
    )  # fmt: skip
    assert isinstance(result.exception, ChainError)
    assert "did not answer" in str(result.exception)


@pytest.mark.devnet
def test_a_transaction_waiting_on_anvil_gets_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """With automine off a transaction would wait forever; the sender mines a block on anvil for it."""
    from eth_account import Account

    from flexunity.chain.devnet import anvil

    monkeypatch.setattr(rpc, "ANVIL_NUDGE_AFTER_S", 0.3)
    with anvil() as node:
        w3 = node.web3()
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        funder = w3.eth.accounts[0]
        account = Account.create()
        w3.eth.send_transaction({"from": funder, "to": account.address, "value": 10**18})
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        reports: list[str] = []
        sender = rpc.Sender(
            w3, account, report=reports.append, receipt_timeout=10
        )  # without the nudge: a ChainError after 10 s
        tx = {
            "to": funder,
            "value": 1,
            "gas": 21_000,
            "gasPrice": sender.gas_price(),
            "chainId": w3.eth.chain_id,
        }
        raw = bytes(account.sign_transaction({**tx, "nonce": 0}).raw_transaction)
        mined = sender.wait_all(sender.send_raw_many([(raw, "transfer", 0)]))
        assert mined[0].status == 1
        assert any("mined a block" in message for message in reports)


@pytest.mark.devnet
def test_a_transaction_the_node_lost_is_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nonces 0-2 sent; anvil drops nonce 0 from its pool: 1 and 2 wait behind the gap until the
    sender sends the signed bytes of 0 again (mining blocks alone cannot help)."""
    from eth_account import Account

    from flexunity.chain.devnet import anvil

    monkeypatch.setattr(rpc, "ANVIL_NUDGE_AFTER_S", 0.3)
    with anvil() as node:
        w3 = node.web3()
        funder = w3.eth.accounts[0]
        account = Account.create()
        w3.eth.send_transaction({"from": funder, "to": account.address, "value": 10**18})
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        reports: list[str] = []
        sender = rpc.Sender(w3, account, report=reports.append, receipt_timeout=10)
        tx = {
            "to": funder,
            "value": 1,
            "gas": 21_000,
            "gasPrice": sender.gas_price(),
            "chainId": w3.eth.chain_id,
        }
        raws = [
            (bytes(account.sign_transaction({**tx, "nonce": n}).raw_transaction), f"t{n}", n)
            for n in range(3)
        ]
        sent = sender.send_raw_many(raws)
        w3.provider.make_request("anvil_dropTransaction", [sent[0].tx_hash])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        assert w3.eth.get_transaction_count(account.address) == 0  # the gap holds 1 and 2 back
        mined = sender.wait_all(sent)
        assert [m.status for m in mined] == [1, 1, 1]
        assert any("again" in message for message in reports)
