"""The savings game: closed form by hand, and agreeing with the LP engine for inflexible peers."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.allocation.savings import InflexibleSavingsGame
from flexunity.allocation.scenario_game import (
    LPSavingsGame,
    closed_form_reason,
    inflexible_game,
    savings_game,
)
from flexunity.allocation.shapley import exact_shapley
from flexunity.model import Battery, CommunitySettings, Grid, Peer, Scenario, Tariff


def test_two_peers_by_hand() -> None:
    # one interval: A has 2 kWh surplus, B 3 kWh deficit; import 0.30, export 0.05, fee 0.01 per side:
    # 2 kWh traded save 2 × (0.30 − 0.05 − 2 × 0.01) = 0.46; Shapley splits it equally.
    game = InflexibleSavingsGame(
        ["A", "B"], np.array([[2.0], [-3.0]]), np.full((2, 1), 0.30), np.full((2, 1), 0.05), 0.01
    )
    assert game.value(0b11) == pytest.approx(0.46)
    assert game.value(0b01) == 0.0
    assert exact_shapley(game) == pytest.approx({"A": 0.23, "B": 0.23})


def test_cheaper_tariff_imports_for_a_neighbour() -> None:
    # no PV at all: B (import 0.20) imports for A (import 0.35) through the pool: saves 0.35 − 0.20 − 0.02
    game = InflexibleSavingsGame(
        ["A", "B"], np.array([[-1.0], [-1.0]]), np.array([[0.35], [0.20]]), np.array([[0.05], [0.05]]), 0.01
    )
    assert game.value(0b11) == pytest.approx(0.13)


def random_scenario(seed: int, n: int = 6, t: int = 6, grid: Grid | None = None) -> Scenario:
    rng = np.random.default_rng(seed)
    tariffs = {
        "a": Tariff(rng.uniform(0.20, 0.30, t), np.full(t, 0.05)),
        "b": Tariff(rng.uniform(0.25, 0.35, t), rng.uniform(0.0, 0.1, t)),
    }
    peers = tuple(
        Peer(f"p{i}", "ab"[i % 2], rng.uniform(0, 3, t), rng.uniform(0, 4, t) if i % 3 else None)
        for i in range(n)
    )
    return Scenario(
        "random", t, 30, tariffs, peers, grid=grid or Grid(), community=CommunitySettings(fee_per_kwh=0.005)
    )


@pytest.mark.parametrize(
    "grid",
    [Grid(), Grid(import_price=np.full(6, 0.02), export_price=np.full(6, -0.01))],
    ids=["retail", "with-G"],
)
def test_closed_form_equals_lp_for_every_coalition(grid: Grid) -> None:
    scenario = random_scenario(11, grid=grid)
    closed = inflexible_game(scenario).table()
    solved = LPSavingsGame(scenario).table()
    assert np.max(np.abs(closed - solved)) < 1e-7


def test_prefix_values_match_table() -> None:
    game = inflexible_game(random_scenario(5))
    table = game.table()
    perms = np.array([np.random.default_rng(k).permutation(game.n) for k in range(4)])
    prefix = game.prefix_values(perms)
    for row, perm in enumerate(perms):
        masks = np.concatenate([[0], np.cumsum([1 << int(p) for p in perm])])
        assert prefix[row] == pytest.approx(table[masks])


def test_flexible_peer_needs_the_lp() -> None:
    scenario = random_scenario(3, n=3)
    peers = (Peer("bat", "a", np.ones(6), batteries=(Battery("b", 5, 2, 2),)), *scenario.peers)
    flexible = Scenario("flex", 6, 30, scenario.tariffs, peers)
    assert closed_form_reason(flexible) == "peer bat has flexible assets"
    game, method = savings_game(flexible)
    assert method == "lp"
    # superadditivity of a savings game: the grand coalition saves at least as much as any split
    assert game.value(game.grand) >= game.value(0b0011) + game.value(0b1100) - 1e-9


@pytest.mark.slow
def test_generated_community_closed_form_matches_lp_on_random_coalitions() -> None:
    from flexunity.data.generator import generate_community
    from flexunity.data.scenario_io import scenario_from_dict

    mix = {"business": 0.1, "pv": 0.5, "battery": 0, "ev": 0, "curtailable": 0, "shiftable": 0}
    scenario = scenario_from_dict(generate_community(30, 48, mix=mix, seed=2))
    closed, solved = inflexible_game(scenario), LPSavingsGame(scenario)
    rng = np.random.default_rng(0)
    for mask in [closed.grand, *rng.integers(1, 1 << 30, 12).tolist()]:
        assert closed.value(int(mask)) == pytest.approx(solved.value(int(mask)), abs=1e-6)


@pytest.mark.slow
def test_thousand_peers_sampled_shapley_error_is_stated_and_shrinks() -> None:
    from flexunity.allocation.shapley import sampled_shapley

    rng = np.random.default_rng(4)
    n, t = 1000, 48
    game = InflexibleSavingsGame(
        [f"p{i:04d}" for i in range(n)],
        rng.normal(0, 1, (n, t)),
        np.full((n, t), 0.30),
        np.full((n, t), 0.05),
        0.01,
    )
    few, many = sampled_shapley(game, 50, seed=1), sampled_shapley(game, 800, seed=1)
    assert sum(many.values.values()) == pytest.approx(game.value(game.grand))
    mean_few = np.mean(list(few.ci95_halfwidth.values()))
    mean_many = np.mean(list(many.ci95_halfwidth.values()))
    assert mean_many < mean_few / 2.5  # theory: 1/sqrt(16) = 1/4
    # the two estimates differ by no more than their stated errors allow (5 sigma of the difference)
    gaps = [
        abs(few.values[p] - many.values[p]) / np.hypot(few.std_error[p], many.std_error[p])
        for p in game.players
    ]
    assert np.mean(np.array(gaps) < 5) > 0.99
