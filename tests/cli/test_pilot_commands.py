"""The pilot's commands on anvil: faucet only on test chains, orders checked before signing, rejected
orders and revenue claims in ``peer status``, one-line errors for wrong addresses and manifests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from flexunity.chain.devnet import Anvil, start_anvil
from flexunity.chain.node import advance_time
from flexunity.cli import cli
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import prepare, private_chain_id
from flexunity.errors import ChainError, InputError, UserError
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import encode_order, round_config

pytestmark = pytest.mark.devnet
ENV = {"FLEXUNITY_PASSPHRASE": "pw", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    anvil = start_anvil(chain_id=private_chain_id())
    try:
        yield anvil
    finally:
        anvil.stop()


class Ran:
    """A command's exit code and output as the console shows them (flexunity.cli.main's mapping)."""

    def __init__(self, result: Result) -> None:
        error = result.exception
        self.exit_code = error.exit_code if isinstance(error, UserError) else result.exit_code
        self.output = result.output + (f"error: {error}" if isinstance(error, UserError) else "")
        self.exception = error


def run(*args: object, env: dict[str, str] | None = None) -> Ran:
    return Ran(CliRunner().invoke(cli, [str(a) for a in args], env={**ENV, **(env or {})}))


def test_pilot_commands(tmp_path: Path, node: Anvil) -> None:
    options = DemoOptions(peers=3, intervals=4, out=tmp_path, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    timer = Timer({}, lambda _: None)
    community = prepare(node.web3(), node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
    chain, peer = community.chain, community.wallets[0]
    manifest = str(community.manifest_path)
    cm_env = {"CM_KEY": community.roles.cm.key.hex()}
    cm = ["--manifest", manifest, "--private-key-env", "CM_KEY"]

    # the faucet: on this devnet (marked a test chain by deploy), and refused once the mark is gone
    newcomer = Account.create().address
    funded = run(
        "oracle", "fund", *cm, "--address", newcomer, "--ether", "0.5", "--tokens", "12.5", env=cm_env
    )
    assert funded.exit_code == 0, funded.output
    assert chain.w3.eth.get_balance(newcomer) == 5 * 10**17
    assert chain.clients.token.balance_of(newcomer) == 12_500_000
    data = json.loads(Path(manifest).read_text())
    data["parameters"]["test_chain"] = False
    (tmp_path / "pilot.json").write_text(json.dumps(data))
    refused = run("oracle", "fund", "--manifest", tmp_path / "pilot.json", "--private-key-env", "CM_KEY",
                  "--address", newcomer, env=cm_env)  # fmt: skip
    assert refused.exit_code == InputError.exit_code
    assert (
        "is not marked as a test chain" in refused.output and chain.w3.eth.get_balance(newcomer) == 5 * 10**17
    )

    # wrong addresses, wrong manifests: one line each
    bad = run("oracle", "enrol", *cm, "--address", "0x1234", env=cm_env)
    assert bad.exit_code == InputError.exit_code and "--address: not an address: '0x1234'" in bad.output
    data = json.loads(Path(manifest).read_text())
    data["contracts"]["RoundBook"]["address"] = "0x" + "12" * 20
    (tmp_path / "elsewhere.json").write_text(json.dumps(data))
    gone = run("peer", "status", "--manifest", tmp_path / "elsewhere.json", "--address", peer.address)
    assert gone.exit_code == ChainError.exit_code, gone.output
    assert "no contract at the manifest's RoundBook 0x1212" in gone.output
    data["contracts"]["RoundBook"]["address"] = data["contracts"]["SettlementToken"]["address"]
    (tmp_path / "other.json").write_text(json.dumps(data))
    other_contract = run("audit", "--manifest", tmp_path / "other.json")
    assert other_contract.exit_code == ChainError.exit_code, other_contract.output
    assert "does not answer as a FlexUnity RoundBook" in other_contract.output

    # a round: a Corby-shaped order into a round of another shape is refused before it is signed
    gate = chain.now() + 3600
    config_hash = community.store.put_json(round_config(scenario, 1, token_decimals=6))
    chain.open_round(gate, gate, 1800, 4, config_hash)
    other = build_scenario(DemoOptions(pilot="corby"), "2026-06-15")  # 48 half hours
    (tmp_path / "corby-shaped.json").write_text(json.dumps(other))
    keystore = tmp_path / "peer.json"
    run("peer", "import", "--keystore", keystore, "--key-env", "K", env={"K": peer.account.key.hex()})
    order = ["peer", "order", "--manifest", manifest, "--keystore", keystore, "--round", "1"]
    misfit = run(*order, "--scenario", tmp_path / "corby-shaped.json", "--peer", other["peers"][0]["id"])
    assert misfit.exit_code == InputError.exit_code
    assert "does not fit round 1: the order has 48 × 30 min intervals, the round 4 × 30 min" in misfit.output
    assert chain.clients.rounds.round(1).order_count == 0

    # the same order sent anyway (another client) is rejected by the oracle, and the peer sees why
    payload = encode_order(other["peers"][0], 48, 30)
    chain.relay([chain.sign_order(peer.account, 1, 1, gate, payload)])
    fits = community.wallets[1]
    chain.relay([chain.sign_order(fits.account, 1, 1, gate, encode_order(fits.peer, 4, 30))])
    advance_time(chain.w3, gate - chain.now() + 1)
    closed = run(*order, "--scenario", tmp_path / "scenario.json", "--peer", peer.peer_id)
    assert closed.exit_code == InputError.exit_code and "round 1 closed for orders at" in closed.output
    runner = RoundRunner(chain, community.store, StateDB(tmp_path / "state.sqlite"))
    runner.run(1, wait=False)
    advance_time(chain.w3, 601)
    assert runner.run(1, wait=False).step is Step.DONE
    status = run("peer", "status", "--manifest", manifest, "--keystore", keystore)
    assert status.exit_code == 0, status.output
    assert "order rejected: order of 'corby-food-plant': load_wh must be 4 non-negative" in status.output
    mine = run("peer", "status", "--manifest", manifest, "--address", fits.address)
    assert "settled" in mine.output and "member (from round 1)" in mine.output, mine.output
