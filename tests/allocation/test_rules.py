"""Sharing rules: shares sum to the value, symmetric peers equal, rule formulas on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.allocation.game import AdditiveThresholdGame, TableGame
from flexunity.allocation.rules import RuleOptions, SharingInputs, allocate
from flexunity.errors import InputError

PEERS = ("a", "b", "c", "d")


def inputs() -> SharingInputs:
    game = AdditiveThresholdGame(PEERS, [600, 500, 400, 0], 1000, 1.0)
    return SharingInputs(
        peers=PEERS,
        contributions={"a": 600, "b": 500, "c": 400, "d": 0},
        renewable_kwh={"a": 10, "b": 0, "c": 30, "d": 0},
        metadata={"a": {"low_income": True}},
        game=game,
    )


@pytest.mark.parametrize(
    "rule", ["equal", "pro-rata", "marginal", "shapley", "stakeholder", "renewable", "mix:shapley=2,equal=1"]
)
@pytest.mark.parametrize("total", [100_000, 99_999, 7, 0, -1001])
def test_every_rule_sums_exactly(rule: str, total: int) -> None:
    result = allocate(rule, total, inputs())
    assert sum(result.shares.values()) == total
    assert set(result.shares) == set(PEERS)


def test_rule_formulas_by_hand() -> None:
    got = {
        r: allocate(r, 100_000, inputs()).shares for r in ("pro-rata", "marginal", "stakeholder", "renewable")
    }
    assert got["pro-rata"] == {"a": 40000, "b": 33333, "c": 26667, "d": 0}
    # marginals 1500, 500, 400, 0 of 2400
    assert got["marginal"] == {"a": 62500, "b": 20833, "c": 16667, "d": 0}
    # weights 2, 1, 1, 1
    assert got["stakeholder"] == {"a": 40000, "b": 20000, "c": 20000, "d": 20000}
    # half equal (12500 each), half by renewable 10:30
    assert got["renewable"] == {"a": 25000, "b": 12500, "c": 50000, "d": 12500}


def test_shapley_null_player_gets_nothing_and_core_is_reported() -> None:
    result = allocate("shapley", 100_000, inputs())
    assert result.shares == {"a": 56667, "b": 23333, "c": 20000, "d": 0}
    assert result.core is not None and result.core.in_core


def test_symmetric_peers_get_equal_shares_under_every_game_rule() -> None:
    game = AdditiveThresholdGame(("x", "y", "z"), [5, 5, 2], 6, 1.0)
    base = SharingInputs(("x", "y", "z"), {"x": 5, "y": 5, "z": 2}, game=game)
    for rule in ("equal", "pro-rata", "marginal", "shapley"):
        result = allocate(rule, 1000, base)
        assert result.exact["x"] == pytest.approx(result.exact["y"]), rule
        # integers can differ by the one residue unit that largest remainder must give someone
        assert abs(result.shares["x"] - result.shares["y"]) <= 1, rule


def test_equal_split_is_outside_the_core_when_a_pair_can_do_better() -> None:
    values = np.zeros(8)
    values[0b011] = 10  # a and b alone earn 10 of the 12
    values[0b111] = 12
    game = TableGame(["a", "b", "c"], values)
    result = allocate("equal", 1200, SharingInputs(("a", "b", "c"), game=game))
    assert result.core is not None and not result.core.in_core
    assert result.core.worst_coalition == ("a", "b")
    assert result.core.core_empty is False  # (5, 5, 2) is in the core


def test_unknown_rule_and_bad_mix_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown rule"):
        allocate("fair", 10, inputs())
    with pytest.raises(InputError, match="mix"):
        allocate("mix:equal=-1", 10, inputs())


def test_sampled_shapley_rule_reports_interval() -> None:
    result = allocate("shapley", 100_000, inputs(), RuleOptions(samples=400, seed=5))
    assert sum(result.shares.values()) == 100_000
    assert result.shares["d"] == 0
    assert result.report["shapley"]["max_ci95_halfwidth"] > 0


def test_verify_allocation_accepts_the_rule_and_names_a_tampered_share() -> None:
    from flexunity.allocation.verify import verify_allocation

    options = RuleOptions(samples=50, seed=9)
    posted = allocate("shapley", 100_000, inputs(), options).shares
    assert verify_allocation("shapley", 100_000, inputs(), posted, options) == []
    tampered = {**posted, "a": posted["a"] + 1, "b": posted["b"] - 1}
    problems = verify_allocation("shapley", 100_000, inputs(), tampered, options)
    assert len(problems) == 2 and "peer a got" in problems[0]


def test_least_core_repairs_a_shapley_value_outside_the_core() -> None:
    # v(ab) = v(ac) = v(abc) = 1, else 0: the core is the single point (1, 0, 0);
    # by hand φ = (2/3, 1/6, 1/6), and x(ab) = 5/6 < v(ab) = 1: Shapley is outside the core
    values = np.zeros(8)
    values[0b011] = values[0b101] = values[0b111] = 1.0
    game = TableGame(["a", "b", "c"], values)
    base = SharingInputs(("a", "b", "c"), game=game)
    shapley = allocate("shapley", 600, base)
    assert shapley.shares == {"a": 400, "b": 100, "c": 100}
    assert shapley.core is not None and not shapley.core.in_core
    repaired = allocate("least-core", 600, base)
    assert repaired.shares == {"a": 600, "b": 0, "c": 0}
    assert repaired.core is not None and repaired.core.in_core
    assert repaired.report["least_core"]["core_empty"] is False
