"""The continuous double auction's order book and the agents' budget constraint: whatever the agent,
no peer buys above its limit or sells below it, nobody trades more than its position, and each
trade is at the price of an order that was standing in the book."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.lab.agents import Agents
from flexunity.lab.benchmark import run_designs_benchmark
from flexunity.lab.designs import cda
from flexunity.lab.positions import Day, MarketState
from flexunity.lab.schedule import Expectation
from flexunity.optimize.benchmark import random_community


@pytest.mark.parametrize("kind", ["truthful", "zic", "zip"])
@pytest.mark.parametrize("seed", [0, 1])
def test_no_agent_trades_beyond_its_limit_or_its_position(kind: str, seed: int) -> None:
    sc = random_community(12, 24, seed=seed)
    t_count = sc.intervals
    # an expectation that makes owners trade: half of yesterday's positions filled at mid prices
    state = MarketState(
        Agents(kind, len(sc.peers), seed=seed),
        Expectation(np.full(t_count, 0.15), np.full(t_count, 0.5), np.full(t_count, 0.5)),
    )
    day = Day.open(sc, state)
    traded = 0
    for t in range(t_count):
        m, shouts = cda.session(day, t, state)
        if not m.qty.size:
            continue
        traded += m.qty.size
        assert shouts >= 1
        assert np.all(m.price <= day.limit_buy[m.buyer, t] + 1e-12)
        assert np.all(m.price >= day.limit_sell[m.seller, t] - 1e-12)
        bought = np.bincount(m.buyer, m.qty, len(sc.peers))
        sold = np.bincount(m.seller, m.qty, len(sc.peers))
        assert np.all(bought <= np.maximum(day.x[:, t], 0) + 1e-9)
        assert np.all(sold <= np.maximum(-day.x[:, t], 0) + 1e-9)
    assert traded > 0


def test_zip_margins_stay_on_their_side() -> None:
    sc = random_community(10, 24, seed=3)
    state = MarketState(
        Agents("zip", len(sc.peers), seed=3), Expectation(np.full(24, 0.2), np.ones(24), np.ones(24))
    )
    day = Day.open(sc, state)
    for t in range(sc.intervals):
        cda.session(day, t, state)
    z = state.agents.zip
    assert np.all(z.margin_sell >= 0) and np.all((z.margin_buy <= 0) & (z.margin_buy >= -1))


def test_the_designs_benchmark_reports_every_design_and_the_wall_time() -> None:
    title, rows = run_designs_benchmark(peers=6, intervals=24, designs="none,community-dual,cda,hybrid")
    assert "6 generated peers" in title
    names = [r["design"] for r in rows]
    assert names == [
        "none",
        "community (dual)",
        "cda (truthful)",
        "cda (ZI-C)",
        "cda (ZIP)",
        "hybrid",
        "(whole comparison, wall)",
    ]
    assert all(r["seconds"] >= 0 for r in rows)
    assert rows[1]["gas_basis"] == "measured" and rows[2]["gas_basis"] == "estimated"
