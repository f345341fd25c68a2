"""``flexunity oracle enrol|open|relay|run``: a CM runs a round with the commands alone.

A peer that only has a browser wallet: it is enrolled, exports the typed data, signs it like
``eth_signTypedData_v4`` and hands the file to the CM, who relays it. The peer deposited nothing, so
its bill is covered by the CM's fee account and recorded as its debt (the escrow's shortfall rule).
"""

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
from flexunity.errors import InputError

pytestmark = pytest.mark.devnet


@pytest.fixture
def node() -> Iterator[Anvil]:
    anvil = start_anvil(chain_id=private_chain_id())
    try:
        yield anvil
    finally:
        anvil.stop()


def test_a_round_run_with_the_cm_commands(tmp_path: Path, node: Anvil) -> None:
    options = DemoOptions(peers=2, intervals=4, out=tmp_path, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    community = prepare(
        node.web3(), node.rpc_url, options, scenario, Timer({}, lambda _: None), Gas(), lambda _: None
    )
    env = {"CM": community.roles.cm.key.hex()}
    cm = [
        "--manifest",
        str(community.manifest_path),
        "--private-key-env",
        "CM",
        "--store",
        str(tmp_path / "store"),
    ]

    def run(*args: str) -> Result:
        result = CliRunner().invoke(cli, ["oracle", *args], env=env)
        assert result.exit_code == 0, f"{result.output}\n{result.exception}"
        return result

    wallet = Account.create()
    run("enrol", *cm, "--address", wallet.address)
    assert "round 1 open" in run("open", *cm, "--scenario", str(tmp_path / "scenario.json")).output
    exported = tmp_path / "order.json"
    typed = CliRunner().invoke(cli, [
        "peer", "typed-data", "--manifest", str(community.manifest_path), "--address", wallet.address,
        "--round", "1", "--scenario", str(tmp_path / "scenario.json"), "--peer", scenario["peers"][0]["id"],
        "--out", str(exported),
    ])  # fmt: skip
    assert typed.exit_code == 0, typed.output
    document = json.loads(exported.read_text())
    signature = Account.sign_typed_data(wallet.key, full_message=document["typedData"]).signature
    exported.write_text(json.dumps({**document, "signature": "0x" + bytes(signature).hex()}))
    # an edited payload keeps a valid typed-data signature but would sink the batch on chain: refused,
    # the file named, nothing sent (and another round's order is named with what the contract says)
    edited = tmp_path / "edited.json"
    payload = bytearray.fromhex(document["payload"].removeprefix("0x"))
    payload[-1] ^= 1
    edited.write_text(json.dumps({**json.loads(exported.read_text()), "payload": "0x" + payload.hex()}))
    refused = CliRunner().invoke(cli, ["oracle", "relay", *cm, str(exported), str(edited)], env=env)
    assert isinstance(refused.exception, InputError) and "edited.json" in str(refused.exception)
    assert "payloadHash" in str(refused.exception)
    assert chain_orders(community) == 0
    assert "relayed 1 orders" in run("relay", *cm, str(exported)).output

    chain = community.chain
    advance_time(chain.w3, chain.clients.rounds.round(1).gate_closure - chain.now() + 1)
    state = ["--state", str(tmp_path / "state.sqlite"), "--once"]
    posted = run("run", *cm, *state).output
    assert posted.count("round 1: POSTED") == 1, posted  # the runner's line only, not repeated
    advance_time(chain.w3, options.challenge_window + 1)
    assert run("run", *cm, *state).output.count("round 1: DONE") == 1
    assert "round 1: DONE" in run("run", *cm, *state).output  # nothing left to do: named once
    assert chain.clients.escrow.account(wallet.address).debt > 0


def chain_orders(community: object) -> int:
    rounds = community.chain.clients.rounds  # type: ignore[attr-defined]
    return int(rounds.round(1).order_count)
