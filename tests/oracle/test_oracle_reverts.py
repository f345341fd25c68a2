"""A transaction the contracts would reject is refused before sending, explained in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flexunity.chain.devnet import anvil
from flexunity.demo.community import Gas, sign_orders
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import open_round_with_orders, prepare, private_chain_id
from flexunity.errors import ChainError

pytestmark = pytest.mark.devnet


def test_posting_before_gate_closure_is_refused_in_words(tmp_path: Path) -> None:
    options = DemoOptions(peers=2, intervals=4, out=tmp_path, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    with anvil(chain_id=private_chain_id()) as node:
        timer = Timer({}, lambda _: None)
        community = prepare(node.web3(), node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
        round_id, gate = open_round_with_orders(community, scenario, timer)
        digest = community.chain.view(round_id).order_digest
        data = {"order_digest": digest, "merkle_root": "0x" + "11" * 32, "result_hash": "0x" + "22" * 32,
                "leaves": [], "total_debit": 0, "total_credit": 0}  # fmt: skip
        with pytest.raises(ChainError, match=r"would revert: GateNotClosed\(roundId=1, gateClosure=\d+\)"):
            community.chain.post_result(round_id, data)
        replayed = sign_orders(community.chain, community.wallets, scenario, round_id, gate)
        # A replayed batch lands nothing: each order is skipped on chain, with its reason.
        (mined,) = community.chain.relay(replayed)
        receipt = node.web3().eth.get_transaction_receipt(mined.tx_hash)  # type: ignore[arg-type]
        reasons = [reason for _, _, reason in community.chain.clients.rounds.skipped_orders(receipt)]
        assert len(reasons) == len(replayed)
        assert re.match(r"NonceAlreadyUsed\(orderHash=0x[0-9a-f]{64}, nonce=1, lastNonce=1\)", reasons[0])
