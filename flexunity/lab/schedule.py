"""Each owner schedules its own batteries and flexible loads against the prices it expects.

Outside the community design nobody co-optimises the assets: a peer runs its own LP (the
optimiser's standalone LP, ``build_lp(..., trading=False)``: its assets, q = 0, no fee, no G)
against an *expected tariff*: it expects to buy at min(λ_imp, π̂ + φ) and to sell at
max(λ_exp, π̂ − φ), where π̂[t] is the internal price it expects in interval t (the design's
price of the same interval the day before; on the first day the mid-market rate
(λ̄_imp + λ̄_exp)/2 of the peers' mean tariffs). It then enters the market with the net position of
that schedule, which is fixed: the market only decides who trades with whom and the rest goes to
the grid. With π̂ = None the peer schedules against its own tariff: the no-trading design.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from flexunity.model import Scenario, Tariff
from flexunity.optimize import Dispatch
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import solve_lp


def mid_market_rate(sc: Scenario) -> FloatArray:
    """(mean import price + mean export price)/2 over the peers, per interval."""
    shape = (sc.intervals,)
    imp = np.mean([np.broadcast_to(sc.tariffs[p.tariff].import_price, shape) for p in sc.peers], axis=0)
    exp = np.mean([np.broadcast_to(sc.tariffs[p.tariff].export_price, shape) for p in sc.peers], axis=0)
    return np.asarray((imp + exp) / 2, dtype=float)


def expected_tariffs(sc: Scenario, expected: FloatArray) -> Scenario:
    """The scenario with each tariff replaced by what its peers expect to pay and earn."""
    fee = sc.community.fee_per_kwh
    shape = (sc.intervals,)
    tariffs = {}
    for name, t in sc.tariffs.items():
        imp = np.minimum(np.broadcast_to(t.import_price, shape), expected + fee)
        exp = np.minimum(np.maximum(np.broadcast_to(t.export_price, shape), expected - fee), imp)
        tariffs[name] = Tariff(imp.astype(float), exp.astype(float), t.country, t.tso_area)
    return replace(sc, tariffs=tariffs)


def own_schedule(sc: Scenario, expected: FloatArray | None = None) -> Dispatch:
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
