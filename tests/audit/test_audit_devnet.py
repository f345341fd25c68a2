"""``flexunity audit`` as a user runs it: a round on anvil by the oracle's pipeline, audited over JSON-RPC."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from audit_world import RAW_SCENARIO, WINDOW

from flexunity.chain.devnet import Anvil
from flexunity.chain.node import advance_time
from flexunity.cli import main
from flexunity.data.scenario_io import scenario_from_dict, scenario_to_dict
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer
from flexunity.demo.prepare import open_round_with_orders, prepare
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step

pytestmark = pytest.mark.devnet


def test_cli_audits_a_settled_round_on_anvil(
    anvil_node: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = scenario_to_dict(scenario_from_dict(RAW_SCENARIO))
    options = DemoOptions(pilot=None, network="anvil", out=tmp_path, challenge_window=WINDOW)
    w3 = anvil_node.web3()
    timer = Timer({}, lambda _: None)
    community = prepare(w3, anvil_node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
    round_id, gate = open_round_with_orders(community, scenario, timer)
    advance_time(w3, gate - community.chain.now() + 1)
    runner = RoundRunner(community.chain, community.store, StateDB(tmp_path / "state.sqlite"))
    runner.run(round_id, wait=False)
    advance_time(w3, WINDOW + 1)
    assert runner.run(round_id, wait=False).step is Step.DONE

    argv = ["flexunity", "audit", "--manifest", str(community.manifest_path), "--format", "json"]
    monkeypatch.setattr(sys, "argv", argv)  # store beside the manifest, RPC URL from the manifest
    main()
    report = json.loads(capsys.readouterr().out)
    assert report["passed"], report
    assert [r["status"] for r in report["rounds"]] == ["PASS"]
