"""The price rules against the formulas of REFERENCES.md, on hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.model import Battery, Grid, Peer, Scenario, Tariff
from flexunity.optimize import clear, price_and_bill
from flexunity.optimize.pricing import all_in_prices, sdr_internal

B, S = np.array([0.30]), np.array([0.05])


def _mmr(demand: float, supply: float) -> tuple[float, float]:
    buy, sell = all_in_prices((B + S) / 2, B, S, np.array([demand]), np.array([supply]))
    return float(buy[0]), float(sell[0])


def test_mmr_balanced_shortage_and_surplus() -> None:
    assert _mmr(4.0, 4.0) == pytest.approx((0.175, 0.175))
    buy, sell = _mmr(4.0, 1.0)  # shortage: buyers (0.175·1 + 0.30·3)/4, sellers P_mmr
    assert buy == pytest.approx((0.175 + 0.90) / 4) and sell == pytest.approx(0.175)
    buy, sell = _mmr(1.0, 4.0)  # surplus: buyers P_mmr, sellers (0.175·1 + 0.05·3)/4
    assert buy == pytest.approx(0.175) and sell == pytest.approx((0.175 + 0.15) / 4)


def test_sdr_below_and_above_one() -> None:
    d, g = np.array([4.0]), np.array([2.0])  # SDR = 0.5
    buy, sell = all_in_prices(sdr_internal(B, S, d, g), B, S, d, g)
    p_sell = 0.30 * 0.05 / ((0.30 - 0.05) * 0.5 + 0.05)
    assert sell[0] == pytest.approx(p_sell)
    assert buy[0] == pytest.approx(p_sell * 0.5 + 0.30 * 0.5)  # Liu's P_buy
    d, g = np.array([2.0]), np.array([4.0])  # SDR = 2: both at λ_sell
    buy, sell = all_in_prices(sdr_internal(B, S, d, g), B, S, d, g)
    assert buy[0] == pytest.approx(0.05) and sell[0] == pytest.approx(0.05)


def test_sdr_prices_lie_between_the_grid_prices() -> None:
    for c in (0.0, 0.5, 1.0):
        for ratio in np.linspace(0, 3, 31):
            d, g = np.array([1.0]), np.array([ratio])
            buy, sell = all_in_prices(sdr_internal(B, S, d, g, c), B, S, d, g)
            assert 0.05 - 1e-12 <= sell[0] <= buy[0] + 1e-12 and buy[0] <= 0.30 + 1e-12


def test_compensated_sdr_is_continuous_at_balance() -> None:
    for c in (0.0, 0.3, 1.0):
        below = sdr_internal(B, S, np.array([1.0]), np.array([1.0 - 1e-9]), c)[0]
        above = sdr_internal(B, S, np.array([1.0]), np.array([1.0 + 1e-9]), c)[0]
        assert below == pytest.approx(0.05 + c * 0.25, abs=1e-8) and above == pytest.approx(below, abs=1e-8)


def test_bill_sharing_splits_the_net_grid_bill() -> None:
    d, g = np.array([4.0, 1.0]), np.array([1.0, 4.0])
    buy, sell = all_in_prices(np.zeros(2), np.array([0.30, 0.30]), np.array([0.05, 0.05]), d, g)
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
