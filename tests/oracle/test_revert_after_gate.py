"""An order mined after gate closure on anvil without block times reverts with the right reason.

The chain's latest block is older than the gate closure, so every check before sending (estimation
included) passes; the transaction is mined in a new block past the gate and reverts. A plain replay
on the previous block's state runs under that block's older time and does not revert; the replay
with the mined block's own time and number (eth_call block overrides) gives ``RoundClosed``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flexunity.chain.devnet import start_anvil
from flexunity.chain.eip712 import Order
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import prepare, private_chain_id
from flexunity.errors import ChainError
from flexunity.oracle.chainio import OracleChain
from flexunity.record.orders import encode_order, round_config

pytestmark = pytest.mark.devnet


def test_an_order_after_gate_closure_reverts_with_round_closed(tmp_path: Path) -> None:
    node = start_anvil(chain_id=private_chain_id())  # no --block-time: blocks only when sent to
    try:
        options = DemoOptions(peers=2, intervals=4, out=tmp_path, audit=False, plot=False)
        scenario = build_scenario(options, "2026-06-15")
        timer = Timer({}, lambda _: None)
        community = prepare(node.web3(), node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
        chain = community.chain
        gate = chain.now() + 3
        config_hash = community.store.put_json(round_config(scenario, 1, token_decimals=6))
        chain.open_round(gate, gate, 1800, 4, config_hash)
        time.sleep(5)  # wall time passes the gate; no block is mined meanwhile
        assert chain.now() < gate
        wallet = community.wallets[0]
        peer = OracleChain.from_manifest(chain.w3, community.manifest, wallet.account)
        payload = encode_order(wallet.peer, 4, 30)
        order = Order.for_payload(1, wallet.address, 1, gate, payload)
        submit = peer.clients.rounds.contract.functions.submitOrder(order.as_tuple(), payload)
        with pytest.raises(ChainError, match=r"RoundClosed\(roundId=1, gateClosure=") as raised:
            peer.sender.transact(submit, "order")
        assert "replayed after its block" not in str(
            raised.value
        )  # the block's own time tells, not a neighbour
    finally:
        node.stop()
