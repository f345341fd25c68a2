"""``flexunity deploy --rpc URL --keystore FILE`` on a chain like a pilot's, then a round on it.

anvil runs with a custom chain id (424242) and a block every second. The deployer's key exists only
in an encrypted keystore (anvil does not know it): every transaction is signed locally and sent raw.
The oracle then runs a small round with that key as the CM, waiting for real time on the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from flexunity.chain.devnet import Anvil, start_anvil
from flexunity.chain.keystore import load_keystore, new_keystore
from flexunity.chain.manifest import load_manifest
from flexunity.chain.rpc import Sender
from flexunity.cli import cli
from flexunity.demo.community import Gas, PeerWallet, deposit_for, key_for, setup_peers, sign_orders
from flexunity.demo.options import DemoOptions, build_scenario
from flexunity.oracle.chainio import OracleChain
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import round_config
from flexunity.record.store import FolderStore

pytestmark = [pytest.mark.devnet, pytest.mark.slow]
CHAIN_ID = 424242


@pytest.fixture(scope="module")
def pilot_like() -> Iterator[Anvil]:
    node = start_anvil(chain_id=CHAIN_ID, block_time=1)
    try:
        yield node
    finally:
        node.stop()


def test_deploy_with_keystore_then_run_a_round(tmp_path: Path, pilot_like: Anvil) -> None:
    keystore = tmp_path / "cm.json"
    deployer = new_keystore(keystore, "correct horse", kdf_iterations=1000)
    w3 = pilot_like.web3()
    assert deployer.address not in w3.eth.accounts  # the node cannot sign for it
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": deployer.address, "value": 100 * 10**18})
    )
    env = {"FLEXUNITY_PASSPHRASE": "correct horse"}
    args = ["deploy", "--rpc", pilot_like.rpc_url, "--keystore", str(keystore), "--challenge-window", "3"]

    refused = CliRunner().invoke(cli, [*args, "--chain-id", "1", "--out", str(tmp_path / "x.json")], env=env)
    assert refused.exit_code != 0 and "424242" in str(refused.exception)

    deployed = CliRunner().invoke(
        cli, [*args, "--chain-id", str(CHAIN_ID), "--out", str(tmp_path / "m.json")], env=env
    )
    assert deployed.exit_code == 0, deployed.output
    manifest = load_manifest(tmp_path / "m.json")
    assert manifest.chain_id == CHAIN_ID and manifest.roles["community_manager"] == deployer.address

    cm = load_keystore(keystore, "correct horse")
    store = FolderStore(tmp_path / "store")
    chain = OracleChain.from_manifest(w3, manifest, cm, store=store)
    scenario = build_scenario(DemoOptions(peers=3, intervals=4), "2026-06-15")
    wallets = [
        PeerWallet(p["id"], key_for(f"t/{p['id']}"), p, deposit_for(p, scenario, 6, 1))
        for p in scenario["peers"]
    ]
    setup_peers(chain, Sender(w3, cm), wallets, scenario, Gas(), extra_accounts=[(cm, 10**9)])
    gate = chain.now() + 6
    config_hash = store.put_json(round_config(scenario, 1, token_decimals=6))
    round_id = chain.open_round(
        gate, gate, scenario["interval_minutes"] * 60, scenario["intervals"], config_hash
    )
    chain.relay(sign_orders(chain, wallets, scenario, round_id, gate))

    state = RoundRunner(chain, store, StateDB(tmp_path / "s.sqlite")).run(round_id, poll=0.5, timeout=120)
    assert state.step is Step.DONE
    assert chain.view(round_id).fully_settled
