"""Every all-in rule posts the prices actually paid, in deficit, balance and surplus.

One interval of one hour, one seller (PV, no load) and one buyer (load), retail import 35 and
export 15 per kWh (the issue's example), sdr-compensated with c = 0.5. Demand D = 1500 kWh; supply
G = 1000 (deficit, SDR = 2/3), 1500 (balance) or 2000 (surplus, SDR = 4/3). Expected, by hand, as
(internal price π, buy, sell):

- sdr: deficit π = 35·15/(20·2/3 + 15) = 18.529..., buy = π·2/3 + 35/3; balance 15; surplus 15.
- sdr-compensated (λ_c = 15 + 0.5·20 = 25): deficit π = 35·25/(10·2/3 + 25) = 27.631...,
  buy = π·2/3 + 35/3; balance 25; surplus π = 15 + 10/(4/3) = 22.5 (INESC TEC's rec-operation
  value), buy 22.5, sell (22.5·1500 + 15·500)/2000 = 20.625.
- mmr (π = 25): deficit buy (25·1000 + 35·500)/1500, sell 25; balance 25; surplus buy 25,
  sell (25·1500 + 15·500)/2000 = 22.5.
- bill-sharing (π = 0): deficit buy 35·500/1500, sell 0; balance 0; surplus buy 0, sell 15·500/2000.
"""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.model import Grid, Peer, Scenario, Tariff
from flexunity.optimize import clear

SDR_DEF = 35 * 15 / (20 * 2 / 3 + 15)
SDRC_DEF = 35 * 25 / (10 * 2 / 3 + 25)
EXPECTED = {
    ("sdr", 1000): (SDR_DEF, SDR_DEF * 2 / 3 + 35 / 3, SDR_DEF),
    ("sdr", 1500): (15, 15, 15),
    ("sdr", 2000): (15, 15, 15),
    ("sdr-compensated", 1000): (SDRC_DEF, SDRC_DEF * 2 / 3 + 35 / 3, SDRC_DEF),
    ("sdr-compensated", 1500): (25, 25, 25),
    ("sdr-compensated", 2000): (22.5, 22.5, 20.625),
    ("mmr", 1000): (25, (25 * 1000 + 35 * 500) / 1500, 25),
    ("mmr", 1500): (25, 25, 25),
    ("mmr", 2000): (25, 25, 22.5),
    ("bill-sharing", 1000): (0, 35 * 500 / 1500, 0),
    ("bill-sharing", 1500): (0, 0, 0),
    ("bill-sharing", 2000): (0, 0, 15 * 500 / 2000),
}


def _community(supply: float) -> Scenario:
    return Scenario(
        f"two-peers-{supply:g}",
        1,
        60,
        {"retail": Tariff(np.array([35.0]), np.array([15.0]))},
        (
            Peer("seller", "retail", np.array([0.0]), np.array([supply])),
            Peer("buyer", "retail", np.array([1500.0])),
        ),
        Grid(connected=True),
    )


@pytest.mark.parametrize(("rule", "supply"), sorted(EXPECTED))
def test_posted_all_in_prices_are_the_prices_paid(rule: str, supply: int) -> None:
    r = clear(_community(supply), rule, pricing_options={"compensation": 0.5})
    internal, buy, sell = EXPECTED[(rule, supply)]
    assert r.prices.internal is not None
    assert r.prices.internal[0] == pytest.approx(internal, abs=1e-9)
    assert r.prices.buy[0] == pytest.approx(buy, abs=1e-9)
    assert r.prices.sell[0] == pytest.approx(sell, abs=1e-9)
    buyer, seller = r.bills["buyer"], r.bills["seller"]
    # what each side pays in all (internal market + own retail) is the posted price on its position
    assert buyer.trades + buyer.import_ + buyer.export == pytest.approx(buy * 1500, abs=1e-7)
    assert seller.trades + seller.import_ + seller.export == pytest.approx(-sell * supply, abs=1e-7)
    assert buyer.trades + seller.trades == pytest.approx(0.0, abs=1e-9)
    assert r.kpis["money_balance"] == pytest.approx(0.0, abs=1e-7)


def test_the_issue_surplus_example_pays_sellers_the_rec_operation_price_internally() -> None:
    # rec-operation's compute_sdr(..., compensation=0.5) gives 22.5 for this surplus: the price of the
    # 1,500 kWh traded inside; the seller's other 500 kWh are exported at 15.
    r = clear(_community(2000), "sdr-compensated", pricing_options={"compensation": 0.5})
    assert r.prices.to_dict()["internal"] == [pytest.approx(22.5)]
    assert -(r.bills["seller"].trades + r.bills["seller"].export) == pytest.approx(22.5 * 1500 + 15 * 500)


@pytest.mark.parametrize("rule", ["sdr", "sdr-compensated", "mmr", "bill-sharing"])
def test_all_in_payments_cover_the_grid_bill_before_any_spreading(rule: str) -> None:
    # heterogeneous tariffs (two grid classes), batteries, EVs: Σ all-in payments − Σ retail is only
    # floating-point rounding, so the pro-rata spreading in the bills never changes a posted price
    from dataclasses import replace

    from flexunity.optimize.benchmark import random_community
    from flexunity.optimize.bills import retail
    from flexunity.optimize.pricing import compute_prices, net_positions
    from flexunity.optimize.solve import solve_dispatch

    sc = random_community(12, 24, seed=3)
    cheap = Tariff(np.full(24, 0.18), np.full(24, 0.04))
    peers = tuple(replace(p, tariff="cheap") if i % 3 == 0 else p for i, p in enumerate(sc.peers))
    sc = replace(sc, tariffs={**sc.tariffs, "cheap": cheap}, peers=peers)
    d = solve_dispatch(sc)
    prices = compute_prices(d, rule, {"compensation": 0.5})
    x = net_positions(d)
    paid = prices.buy * np.maximum(x, 0) - prices.sell * np.maximum(-x, 0)
    imp, exp = retail(d)
    np.testing.assert_allclose((paid - imp - exp).sum(axis=0), 0.0, atol=1e-9)
