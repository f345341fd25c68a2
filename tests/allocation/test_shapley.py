"""Shapley value: a hand-computed 3-player game, the axioms, and sampling error that shrinks."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.allocation.game import AdditiveThresholdGame, TableGame
from flexunity.allocation.shapley import exact_shapley, sampled_shapley


def three_player_game() -> TableGame:
    """v(a)=v(b)=v(c)=0, v(ab)=v(ac)=6, v(bc)=0, v(abc)=12 (bit 0 = a, bit 1 = b, bit 2 = c).

    By hand over the 6 orderings: a's marginals 0,0,6,12,6,12 → φ_a = 36/6 = 6;
    b's 6,6,0,0,6,0 → φ_b = 3; c symmetric to b → φ_c = 3.
    """
    values = np.zeros(8)
    values[0b011] = 6
    values[0b101] = 6
    values[0b111] = 12
    return TableGame(["a", "b", "c"], values)


def test_exact_shapley_matches_hand_computation() -> None:
    assert exact_shapley(three_player_game()) == pytest.approx({"a": 6.0, "b": 3.0, "c": 3.0})


def test_threshold_game_by_hand_and_null_player() -> None:
    # contributions 600, 500, 400, 0 with a 1000 threshold: hand value φ = 850, 350, 300, 0
    game = AdditiveThresholdGame(["a", "b", "c", "d"], [600, 500, 400, 0], 1000, 1.0)
    phi = exact_shapley(game)
    assert phi == pytest.approx({"a": 850.0, "b": 350.0, "c": 300.0, "d": 0.0})


def test_axioms_on_random_game() -> None:
    rng = np.random.default_rng(3)
    n = 6
    values = rng.random(1 << n) * 10
    values[0] = 0
    # make player 5 a null player and players 0, 1 symmetric
    for mask in range(1 << n):
        if mask >> 5 & 1:
            values[mask] = values[mask & ~(1 << 5)]
    for mask in range(1 << n):
        if (mask & 1) and not (mask >> 1 & 1):
            values[mask ^ 0b11] = values[mask]
    game = TableGame([f"p{i}" for i in range(n)], values)
    phi = exact_shapley(game)
    assert sum(phi.values()) == pytest.approx(values[-1])  # efficiency
    assert phi["p5"] == pytest.approx(0.0, abs=1e-12)  # null player
    assert phi["p0"] == pytest.approx(phi["p1"])  # symmetry


def test_sampling_error_shrinks_and_covers_the_truth() -> None:
    rng = np.random.default_rng(7)
    amounts = rng.uniform(0, 100, 12)
    game = AdditiveThresholdGame([f"p{i:02d}" for i in range(12)], amounts, 300.0, 1.0)
    truth = exact_shapley(game)
    small = sampled_shapley(game, 100, seed=1)
    large = sampled_shapley(game, 1600, seed=1)
    assert large.max_ci95_halfwidth < small.max_ci95_halfwidth / 2  # ~1/sqrt(16) = 1/4 in theory
    errors = [abs(large.values[p] - truth[p]) for p in truth]
    assert max(errors) <= 2 * large.max_ci95_halfwidth
    assert sum(large.values.values()) == pytest.approx(game.value(game.grand))  # efficient by construction
