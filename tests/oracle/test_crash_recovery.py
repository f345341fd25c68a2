"""Kill the oracle process mid-round and restart it: the round completes exactly once.

The oracle runs as ``flexunity oracle run --once`` in a subprocess; ``FLEXUNITY_ORACLE_CRASH_AT``
makes it die like ``kill -9`` (``os._exit``) at a chosen point: after the result transaction is mined
but before the state is saved, and between the debit and credit settlement batches.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from flexunity.chain.devnet import Anvil, start_anvil
from flexunity.chain.node import advance_time
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import Community, open_round_with_orders, prepare, private_chain_id
from flexunity.oracle.state import StateDB, Step

pytestmark = [pytest.mark.devnet, pytest.mark.slow]
FLEXUNITY = [sys.executable, "-m", "flexunity"]


@pytest.fixture
def node() -> Iterator[Anvil]:
    anvil = start_anvil(chain_id=private_chain_id())
    try:
        yield anvil
    finally:
        anvil.stop()


def oracle(tmp: Path, community: Community, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CM_KEY": community.roles.cm.key.hex()}
    env.pop("FLEXUNITY_ORACLE_CRASH_AT", None)
    if crash:
        env["FLEXUNITY_ORACLE_CRASH_AT"] = crash
    command = [
        *FLEXUNITY,
        "oracle",
        "run",
        "--manifest",
        str(community.manifest_path),
        "--private-key-env",
        "CM_KEY",
        "--store",
        str(community.store.folder),
        "--state",
        str(tmp / "state.sqlite"),
        "--once",
        "--batch-size",
        "2",
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def step(tmp: Path) -> Step:
    state = StateDB(tmp / "state.sqlite").get(1)
    assert state is not None
    return state.step


def test_killed_oracle_restarts_and_completes_the_round_once(tmp_path: Path, node: Anvil) -> None:
    options = DemoOptions(peers=5, intervals=8, out=tmp_path, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    timer = Timer({}, lambda _: None)
    community = prepare(node.web3(), node.rpc_url, options, scenario, timer, Gas(), lambda _: None)
    round_id, gate = open_round_with_orders(community, scenario, timer)
    w3 = community.chain.w3
    advance_time(w3, gate - community.chain.now() + 1)

    killed = oracle(tmp_path, community, "POSTED:sent")  # result mined, state not saved
    assert killed.returncode == 137, killed.stderr
    assert step(tmp_path) is Step.DOCUMENT_STORED
    again = oracle(tmp_path, community, None)
    assert again.returncode == 0, again.stderr
    assert "already on chain" in again.stderr
    assert step(tmp_path) is Step.POSTED  # the challenge window is still running

    advance_time(w3, options.challenge_window + 1)
    killed = oracle(tmp_path, community, "SETTLING:debits")  # debits applied, credits not, state not saved
    assert killed.returncode == 137, killed.stderr
    finished = oracle(tmp_path, community, None)
    assert finished.returncode == 0, finished.stderr
    assert step(tmp_path) is Step.DONE

    clearing = community.chain.clients.clearing.contract.events
    escrow = community.chain.clients.escrow.contract.events
    assert len(clearing.ResultPosted().get_logs(from_block=0)) == 1
    applied = Counter(e["args"]["index"] for e in escrow.SettlementApplied().get_logs(from_block=0))
    leaves = StateDB(tmp_path / "state.sqlite").get(round_id).data["leaves"]  # type: ignore[union-attr]
    assert sorted(applied) == list(range(len(leaves))) and set(applied.values()) == {1}
    assert len(escrow.RoundSettled().get_logs(from_block=0)) == 1
