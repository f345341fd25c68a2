"""Each owner schedules its own batteries and flexible loads against the prices it expects.

Outside the community design nobody co-optimises the assets: a peer runs its own LP (the
optimiser's standalone LP, ``build_lp(..., trading=False)``: its assets, q = 0, no fee, no G)
against an *expected tariff*. The expected price of a kWh bought in interval t is
f_b·min(λ_imp, π̂ + φ) + (1 − f_b)·λ_imp, of a kWh sold f_s·max(λ_exp, π̂ − φ) + (1 − f_s)·λ_exp,
where π̂[t] is the design's internal price of the same interval the day before and f_b[t], f_s[t]
the shares of the buyers' and sellers' positions that its market matched then (its liquidity):
what is not matched is bought from or sold to the retailer. On the first day nothing has been seen
(f = 0): every owner schedules against its own tariff. The peer then enters the market with the
net position of that schedule, which is fixed: the market only decides who trades with whom, and
the rest goes to the grid. Without expectations the schedule is the no-trading design's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from flexunity.model import Scenario, Tariff
from flexunity.optimize import Dispatch
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import solve_lp


@dataclass(frozen=True)
class Expectation:
    """What owners expect of tomorrow's market, per interval: price and filled shares."""

    price: FloatArray
    fill_buy: FloatArray
    fill_sell: FloatArray


def expected_tariffs(sc: Scenario, e: Expectation) -> Scenario:
    """The scenario with each tariff replaced by what its peers expect to pay and earn per kWh."""
    fee = sc.community.fee_per_kwh
    shape = (sc.intervals,)
    tariffs = {}
    for name, t in sc.tariffs.items():
        retail_imp = np.broadcast_to(t.import_price, shape)
        retail_exp = np.broadcast_to(t.export_price, shape)
        imp = e.fill_buy * np.minimum(retail_imp, e.price + fee) + (1 - e.fill_buy) * retail_imp
        exp = e.fill_sell * np.maximum(retail_exp, e.price - fee) + (1 - e.fill_sell) * retail_exp
        exp = np.minimum(exp, imp)
        tariffs[name] = Tariff(imp.astype(float), exp.astype(float), t.country, t.tso_area)
    return replace(sc, tariffs=tariffs)


def own_schedule(sc: Scenario, expected: Expectation | None = None) -> Dispatch:
    """Every peer's own optimal schedule, alone, against its tariff or the expected one (one
    block-diagonal LP for all peers; they are independent)."""
    target = sc if expected is None else expected_tariffs(sc, expected)
    return solve_lp(target, build_lp(target, community_terms=False, trading=False), explain=False)


def net_import(d: Dispatch) -> FloatArray:
    """A schedule's net position per peer and interval: + to buy, − to sell (kWh)."""
    return np.asarray(-d.p, dtype=float)


def limit_prices(sc: Scenario) -> tuple[FloatArray, FloatArray]:
    """Marginal values (N × T): a buyer's grid alternative λ_imp + g_imp − φ, a seller's λ_exp + g_exp + φ."""
    from flexunity.optimize.builder import community_prices, peer_matrix

    fee = sc.community.fee_per_kwh
    g_imp, g_exp = community_prices(sc)
    imp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].import_price) + g_imp - fee
    exp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].export_price) + g_exp + fee
    return imp, exp
