"""Aggregation: minimum site and offer sizes, sustained capacity, and the reasons for no offer."""

from __future__ import annotations

import numpy as np

from flexunity.markets.flexibility import Flexibility
from flexunity.markets.offers import make_offer
from flexunity.markets.products import BalancingProduct, get_product


def flex(down: list[list[float]]) -> Flexibility:
    array = np.array(down, dtype=float)
    return Flexibility(tuple(f"p{i}" for i in range(len(array))), 60, np.zeros_like(array), array)


def test_block_capacity_is_sustained_minimum_of_eligible_sites() -> None:
    product = BalancingProduct("x", "down", min_offer_kw=150, min_site_kw=100, duration_minutes=120)
    # p0 holds min(120, 110) = 110 kW, p1 min(300, 90) = 90 kW < 100 kW site minimum, p2 holds 60
    f = flex([[120, 110], [300, 90], [60, 80]])
    offer = make_offer(product, f, np.ones(2, bool))
    assert not offer.offered  # 110 kW alone is below 150 kW
    assert "below the minimum offer of 150 kW" in offer.reasons[0]
    # as one community site, 110 + 90 + 60 = 260 kW sustained: offered
    together = make_offer(product, f, np.ones(2, bool), sites="community")
    assert together.blocks[0].capacity_kw == 260
    assert together.blocks[0].peers_kw == {"p0": 110, "p1": 90, "p2": 60}


def test_homes_cannot_reach_demand_turn_up_sizes() -> None:
    f = flex([[5.0] * 8] * 30)  # 30 homes of 5 kW
    offer = make_offer(get_product("GB-DTU"), f, np.ones(8, bool))
    assert not offer.offered
    assert "minimum site size of 100 kW" in offer.reasons[0]
    pooled = make_offer(get_product("GB-DTU"), f, np.ones(8, bool), sites="community")
    assert not pooled.offered
    assert "150.0 kW from 1 site(s) is below the minimum offer of 1000 kW" in pooled.reasons[0]


def test_no_window_and_short_window_are_explained() -> None:
    product = BalancingProduct("x", "down", min_offer_kw=1, duration_minutes=180)
    f = flex([[10.0] * 4])
    assert "service windows" in make_offer(product, f, np.zeros(4, bool)).reasons[0]
    short = make_offer(product, f, np.array([True, True, False, False]))
    assert "shorter than the 180-minute delivery" in short.reasons[0]


def test_runs_are_cut_into_consecutive_blocks() -> None:
    product = BalancingProduct(
        "x", "down", min_offer_kw=1, duration_minutes=120, availability_price_per_mw_h=10
    )
    offer = make_offer(product, flex([[10.0] * 5]), np.ones(5, bool))
    assert [(b.start, b.intervals) for b in offer.blocks] == [(0, 2), (2, 2)]
    assert offer.availability_revenue == 2 * 10 * 0.010 * 2  # 2 blocks × £10/MW/h × 0.01 MW × 2 h
