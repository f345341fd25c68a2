"""``flexunity peer``: a peer's keystore, deposit, direct order, wallet-signed order, bill, withdrawal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from flexunity.chain.contracts import SignedOrder
from flexunity.chain.devnet import Anvil, start_anvil
from flexunity.chain.eip712 import Order
from flexunity.chain.node import advance_time
from flexunity.cli import cli
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import prepare, private_chain_id
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import round_config

pytestmark = pytest.mark.devnet
ENV = {"FLEXUNITY_PASSPHRASE": "pw"}


@pytest.fixture
def node() -> Iterator[Anvil]:
    anvil = start_anvil(chain_id=private_chain_id())
    try:
        yield anvil
    finally:
        anvil.stop()


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})})
    assert result.exit_code == 0, f"{result.output}\n{result.exception}"
    return result


def test_peer_commands_through_a_round(tmp_path: Path, node: Anvil) -> None:
    options = DemoOptions(peers=3, intervals=4, out=tmp_path, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    timer = Timer({}, lambda _: None)
    community = prepare(node.web3(), node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
    chain, direct, wallet = community.chain, community.wallets[0], community.wallets[1]
    manifest, keystore = str(community.manifest_path), str(tmp_path / "peer.json")

    invoke("peer", "import", "--keystore", keystore, "--key-env", "K", env={"K": direct.account.key.hex()})
    chain.sender.transact(chain.clients.token.contract.functions.mint(direct.address, 10**7), "mint")
    invoke("peer", "deposit", "--manifest", manifest, "--keystore", keystore, "--amount", "5.25")

    gate = chain.now() + 3600
    config_hash = community.store.put_json(round_config(scenario, 1, token_decimals=6))
    round_id = chain.open_round(gate, gate, 1800, 4, config_hash)
    common = ["--manifest", manifest, "--round", "1", "--scenario", str(tmp_path / "scenario.json")]
    ordered = invoke("peer", "order", *common, "--keystore", keystore, "--peer", direct.peer_id)
    assert "order accepted" in ordered.output

    # A browser wallet signs the exported JSON (eth_signTypedData_v4); the CM relays it.
    out = tmp_path / "typed.json"
    invoke(
        "peer",
        "typed-data",
        *common,
        "--peer",
        wallet.peer_id,
        "--address",
        wallet.address,
        "--out",
        str(out),
    )
    exported = json.loads(out.read_text())
    signature = Account.sign_typed_data(wallet.account.key, full_message=exported["typedData"]).signature
    payload = bytes.fromhex(exported["payload"][2:])
    message = exported["typedData"]["message"]
    order = Order.for_payload(
        round_id, wallet.address, message["nonce"], message["deadline"], payload, message["maxDebit"]
    )
    chain.relay([SignedOrder(order, payload, bytes(signature))])
    assert chain.view(round_id).order_count == 2

    advance_time(chain.w3, gate - chain.now() + 1)
    runner = RoundRunner(chain, community.store, StateDB(tmp_path / "state.sqlite"))
    runner.run(round_id, wait=False)
    advance_time(chain.w3, options.challenge_window + 1)
    assert runner.run(round_id, wait=False).step is Step.DONE

    store = ["--store", str(community.store.folder)]
    billed = invoke(
        "peer", "bill", "--manifest", manifest, "--round", "1", "--address", direct.address, *store
    )
    assert "total" in billed.output and "applied" in billed.output
    withdrawn = invoke("peer", "withdraw", "--manifest", manifest, "--keystore", keystore)
    assert "withdrew" in withdrawn.output


def test_keystore_commands_refuse_bad_input(tmp_path: Path) -> None:
    keystore = str(tmp_path / "k.json")
    created = invoke("peer", "new", "--keystore", keystore, "--light")
    assert created.output.startswith("0x")
    again = CliRunner().invoke(cli, ["peer", "new", "--keystore", keystore, "--light"], env=ENV)
    assert again.exit_code != 0 and "refusing to overwrite" in str(again.exception)
