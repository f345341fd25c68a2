"""The price rules against the formulas of REFERENCES.md, on hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.model import Battery, Grid, Peer, Scenario, Tariff
from flexunity.optimize import clear, price_and_bill
from flexunity.optimize.pricing import bill_sharing, mmr, sdr

B, S = np.array([0.30]), np.array([0.05])


def test_mmr_balanced_shortage_and_surplus() -> None:
    buy, sell = mmr(B, S, np.array([4.0]), np.array([4.0]))
    assert buy[0] == pytest.approx(0.175) and sell[0] == pytest.approx(0.175)
    buy, sell = mmr(B, S, np.array([4.0]), np.array([1.0]))  # shortage: (0.175·1 + 0.30·3)/4
    assert buy[0] == pytest.approx((0.175 + 0.90) / 4) and sell[0] == pytest.approx(0.175)
    buy, sell = mmr(B, S, np.array([1.0]), np.array([4.0]))  # surplus: (0.175·1 + 0.05·3)/4
    assert buy[0] == pytest.approx(0.175) and sell[0] == pytest.approx((0.175 + 0.15) / 4)


def test_sdr_below_and_above_one() -> None:
    buy, sell = sdr(B, S, np.array([4.0]), np.array([2.0]))  # SDR = 0.5
    p_sell = 0.30 * 0.05 / ((0.30 - 0.05) * 0.5 + 0.05)
    assert sell[0] == pytest.approx(p_sell)
    assert buy[0] == pytest.approx(p_sell * 0.5 + 0.30 * 0.5)
    buy, sell = sdr(B, S, np.array([2.0]), np.array([4.0]))  # SDR = 2: both at λ_sell
    assert buy[0] == pytest.approx(0.05) and sell[0] == pytest.approx(0.05)


def test_sdr_prices_lie_between_the_grid_prices() -> None:
    for ratio in np.linspace(0, 0.99, 12):
        buy, sell = sdr(B, S, np.array([1.0]), np.array([ratio]))
        assert 0.05 - 1e-12 <= sell[0] <= buy[0] + 1e-12 <= 0.30 + 1e-12


def test_bill_sharing_splits_the_net_grid_bill() -> None:
    buy, sell = bill_sharing(np.array([0.9, -0.15]), np.array([4.0, 1.0]), np.array([1.0, 4.0]))
    np.testing.assert_allclose(buy, [0.9 / 4, 0.0])
    np.testing.assert_allclose(sell, [0.0, 0.15 / 4])


def test_dual_falls_back_to_the_posted_solver_dual_when_no_peer_can_deviate() -> None:
    # Islanded, only a battery moves energy: no single-interval deviation bounds the price.
    sc = Scenario(
        "battery-island",
        2,
        60,
        {"t": Tariff(np.zeros(2), np.zeros(2))},
        (
            Peer("store", "t", np.zeros(2), np.array([2.0, 0.0]), batteries=(Battery("b", 5, 5, 5),)),
            Peer("user", "t", np.array([1.0, 1.0])),
        ),
        Grid(connected=False),
    )
    r = clear(sc)
    assert r.prices.band_low is not None
    doc = r.to_dict()
    prices, _ = price_and_bill(sc, doc["variables"], "dual", {"duals": doc["duals"]["community_balance"]})
    np.testing.assert_allclose(prices.buy, r.prices.buy)
