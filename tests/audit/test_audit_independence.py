"""The audit shares no computation with the oracle: break one of the oracle's own functions (not the
document after the fact) and the audit, which re-derives with its own code, fails with the right reason.

Before the audit had its own arithmetic (flexunity/audit/derive.py) it called these very functions,
so each of these broken oracles would have passed its audit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from audit_world import World

from flexunity.audit import RoundVerdict, audit_rounds
from flexunity.chain.settlement import SettlementLeaf
from flexunity.oracle import runner as oracle_runner
from flexunity.oracle import settlement as oracle_settlement
from flexunity.oracle.chainio import OracleChain

pytestmark = pytest.mark.chain


def reasons(world: World, round_id: int) -> dict[str, str]:
    verdict: RoundVerdict
    (verdict,) = audit_rounds(world.manifest_path, world.store, [round_id], w3=world.w3)
    return {c.name: c.detail for c in verdict.failures}


def test_a_bill_off_by_one_base_unit_fails_the_amounts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    honest = oracle_runner.settlement_amounts

    def off_by_one(bills: Mapping[str, float], **kwargs: Any) -> dict[str, int]:
        """The first peer pays one base unit more, the supplier gets it: still sums to zero."""
        amounts = honest(bills, **kwargs)
        first = sorted(p.lower() for p in bills)[0]
        amounts[first] += 1
        amounts[kwargs["supplier"].lower()] -= 1
        return amounts

    monkeypatch.setattr(oracle_runner, "settlement_amounts", off_by_one)
    round_id, _ = world.run_round(settle=False)
    failed = reasons(world, round_id)
    assert set(failed) == {"settlement.amounts"}, failed
    assert "the bills give" in failed["settlement.amounts"]


def test_amounts_rounded_the_other_way_fail(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_way(exact: Mapping[str, float], total: int) -> dict[str, int]:
        """Largest remainder turned round: the missing units go to the *smallest* fractional parts."""
        import math

        floors = {p: math.floor(v) for p, v in exact.items()}
        order = sorted(exact, key=lambda p: (exact[p] - floors[p], p))
        for k in range(total - sum(floors.values())):
            floors[order[k % len(order)]] += 1
        return floors

    monkeypatch.setattr(oracle_settlement, "largest_remainder", wrong_way)
    round_id, _ = world.run_round(settle=False)
    failed = reasons(world, round_id)
    assert set(failed) == {"settlement.amounts"}, failed
    assert "the bills give" in failed["settlement.amounts"]


def test_leaves_hashed_for_another_round_fail_the_root(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    honest = OracleChain.merkle_root

    def next_rounds(self: OracleChain, round_id: int, leaves: list[SettlementLeaf]) -> str:
        return honest(self, round_id + 1, [dataclasses.replace(x, round_id=round_id + 1) for x in leaves])

    monkeypatch.setattr(OracleChain, "merkle_root", next_rounds)
    round_id, _ = world.run_round(settle=False)
    failed = reasons(world, round_id)
    assert set(failed) == {"merkle.root"}, failed
    assert "build root" in failed["merkle.root"]
