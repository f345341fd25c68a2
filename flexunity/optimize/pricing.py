"""Internal prices per interval, reproducible from a dispatch: dual, sdr, sdr-compensated, mmr, bill-sharing.

``dual`` prices the internal trades q at one price per interval: the midpoint of the band of prices
at which no peer gains by a single-interval deviation from the dispatch (docs/optimisation.md, "Dual
price"). The other rules are *all-in* (REFERENCES.md): each sets an internal price π per interval for
the energy matched inside the community, min(D, G), and the residual goes to the grid at the
community's effective retail prices; a net buyer then pays ``buy`` on its whole net demand and a net
seller receives ``sell`` on its whole net supply (``all_in_prices``), so that buy·D − sell·G is the
community's net grid cost exactly: the posted prices are the prices paid, in deficit, balance and
surplus alike. π is Liu et al.'s P_sell for ``sdr`` (λ_sell in surplus), the same with λ_sell
compensated for ``sdr-compensated`` (INESC TEC's definition: λ_sell + c(λ_buy − λ_sell)/SDR in
surplus), the mid-market rate for ``mmr`` and zero for ``bill-sharing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flexunity.errors import InputError
from flexunity.optimize.builder import peer_matrix
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import Dispatch

RULES = ("dual", "sdr", "sdr-compensated", "mmr", "bill-sharing")
TOL = 1e-7
# blocks that can absorb a one-interval change of q, with their coefficient in the balance (3b)
COMPENSATORS = {"alpha": 1.0, "beta": 1.0, "pv_spill": -1.0, "curtail": 1.0, "flex_segment": 1.0}


@dataclass(frozen=True, eq=False)
class Prices:
    """Per-interval prices (currency/kWh): ``buy`` paid and ``sell`` received inside the community."""

    rule: str
    buy: FloatArray
    sell: FloatArray
    all_in: bool  # True: prices apply to net positions (q + α + β); False: to internal trades q
    band_low: FloatArray | None = None  # dual rule: the no-deviation band
    band_high: FloatArray | None = None
    internal: FloatArray | None = None  # all-in rules: the price π of energy matched inside

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "all_in": self.all_in,
            "buy": self.buy.tolist(),
            "sell": self.sell.tolist(),
        }
        if self.internal is not None:
            out["internal"] = self.internal.tolist()
        if self.band_low is not None and self.band_high is not None:
            out["band_low"] = [None if not np.isfinite(v) else v for v in self.band_low.tolist()]
            out["band_high"] = [None if not np.isfinite(v) else v for v in self.band_high.tolist()]
        return out


def compute_prices(d: Dispatch, rule: str, options: dict[str, Any] | None = None) -> Prices:
    """Prices of ``rule`` for a dispatch; ``options`` may carry ``compensation`` (c, default 0.5) for
    sdr-compensated (plain sdr is c = 0 whatever the options say)."""
    options = options or {}
    if rule == "dual":
        return dual_prices(d, options.get("duals"))
    if rule not in RULES:
        raise InputError(
            f"unknown pricing rule {rule!r}; choose one of {', '.join(RULES)}", where="--pricing"
        )
    lam_buy, lam_sell = effective_grid_prices(d)
    demand, supply = demand_supply(d)
    if rule == "mmr":
        internal = (lam_buy + lam_sell) / 2
    elif rule == "bill-sharing":
        internal = np.zeros_like(demand)
    else:
        c = float(options.get("compensation", 0.5)) if rule == "sdr-compensated" else 0.0
        if not 0.0 <= c <= 1.0:
            raise InputError(f"compensation must be in [0, 1], got {c}", where="pricing_options")
        internal = sdr_internal(lam_buy, lam_sell, demand, supply, c)
    buy, sell = all_in_prices(internal, lam_buy, lam_sell, demand, supply)
    return Prices(rule, buy, sell, all_in=True, internal=internal)


def net_positions(d: Dispatch) -> FloatArray:
    """Net demand x = q + α + β = −p per peer and interval (kWh; positive = net buyer)."""
    return d.q + d.alpha + d.beta


def demand_supply(d: Dispatch) -> tuple[FloatArray, FloatArray]:
    """Total net demand D (TBP) and net supply G (TSP) per interval, kWh."""
    x = net_positions(d)
    return np.maximum(x, 0).sum(axis=0), np.maximum(-x, 0).sum(axis=0)


def grid_net_cost(d: Dispatch) -> FloatArray:
    """The community's retail grid cost per interval: Σ import price·α + Σ export price·β (β ≤ 0)."""
    sc = d.scenario
    imp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].import_price)
    exp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].export_price)
    return (imp * d.alpha + exp * d.beta).sum(axis=0)


def effective_grid_prices(d: Dispatch) -> tuple[FloatArray, FloatArray]:
    """λ_buy, λ_sell per interval: the net grid cost per kWh of net import (or export) when there is
    one, else the peers' mean retail prices. With one tariff these are the tariff's prices."""
    sc = d.scenario
    imp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].import_price).mean(axis=0)
    exp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].export_price).mean(axis=0)
    net = (d.alpha + d.beta).sum(axis=0)
    cost = grid_net_cost(d)
    safe = np.where(np.abs(net) > TOL, net, 1.0)
    lam_buy = np.where(net > TOL, cost / safe, imp)
    lam_sell = np.where(net < -TOL, cost / safe, exp)
    return lam_buy, lam_sell


def all_in_prices(
    internal: FloatArray, lam_buy: FloatArray, lam_sell: FloatArray, demand: FloatArray, supply: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """All-in prices from the internal price π: the matched energy min(D, G) at π, a deficit D − G
    imported at λ_buy (paid by buyers), a surplus G − D exported at λ_sell (paid to sellers):
    buy = (π·min(D, G) + λ_buy·(D − G)⁺)/D, sell = (π·min(D, G) + λ_sell·(G − D)⁺)/G, and
    buy·D − sell·G = λ_buy·(D − G)⁺ − λ_sell·(G − D)⁺, the net grid cost. Where there is no demand
    (supply), nobody pays (receives) that side's price and π is posted for it: the price a first kWh
    would get (for SDR with no supply, Liu's P_sell at SDR = 0, λ_buy)."""
    matched = np.minimum(demand, supply)
    paid = internal * matched + lam_buy * np.maximum(demand - supply, 0.0)
    received = internal * matched + lam_sell * np.maximum(supply - demand, 0.0)
    buy = np.where(demand > TOL, paid / np.where(demand > TOL, demand, 1.0), internal)
    sell = np.where(supply > TOL, received / np.where(supply > TOL, supply, 1.0), internal)
    return buy, sell


def sdr_internal(
    lam_buy: FloatArray, lam_sell: FloatArray, demand: FloatArray, supply: FloatArray, c: float = 0.0
) -> FloatArray:
    """The internal price of the supply-demand ratio SDR = G/D (Liu et al. 2017), compensated by
    c ∈ [0, 1] as INESC TEC's rec-operation defines SDRC (``compute_sdr``): with
    λ_c = c·(λ_buy − λ_sell), SDR < 1: π = λ_buy·(λ_sell + λ_c)/((λ_buy − λ_sell − λ_c)·SDR + λ_sell + λ_c)
    (Liu's P_sell with λ_sell + λ_c); SDR ≥ 1: π = λ_sell + λ_c/SDR. c = 0 is Liu's SDR (π = λ_sell in
    surplus); both branches give λ_sell + λ_c at SDR = 1."""
    comp = c * (lam_buy - lam_sell)
    ratio = np.where(demand > TOL, supply / np.where(demand > TOL, demand, 1.0), np.inf)
    low = ratio < 1
    r = np.where(low, ratio, 1.0)
    lam_c = lam_sell + comp
    denom = (lam_buy - lam_c) * r + lam_c
    safe = np.where(np.abs(denom) > 1e-12, denom, 1.0)
    deficit = np.where(np.abs(denom) > 1e-12, lam_buy * lam_c / safe, lam_buy)
    surplus = lam_sell + comp / np.where(np.isfinite(ratio) & (ratio > 0), ratio, np.inf)
    return np.where(low, deficit, surplus)


def _fee_terms(d: Dispatch) -> tuple[FloatArray, FloatArray]:
    """Marginal fee of buying one more kWh (f_up) and of selling one more (f_down), per peer/interval."""
    fee = d.scenario.community.fee_per_kwh
    buy, sell = d.per_peer("q_buy"), d.per_peer("q_sell")
    return np.where(sell > TOL, -fee, fee), np.where(buy > TOL, -fee, fee)


def _grid_extra_cost(d: Dispatch) -> FloatArray:
    """Extra cost of one more kWh of import at t (capacity charge where the peak binds), per interval."""
    lp, t = d.lp, d.scenario.intervals
    if "peak_kw" not in lp.blocks:
        return np.zeros(t)
    total = d.alpha.sum(axis=0)
    peak = float(d.block("peak_kw")[0, 0]) * d.scenario.hours_per_interval
    return np.where(
        total >= peak - 1e-6, d.scenario.grid.capacity_charge_per_kw / d.scenario.hours_per_interval, 0.0
    )


def _import_blocked(d: Dispatch) -> FloatArray:
    """Intervals where the community import (or export) limit binds: one more kWh is impossible."""
    g, dh = d.scenario.grid, d.scenario.hours_per_interval
    t = d.scenario.intervals
    imp_full = (
        np.zeros(t, bool) if g.max_import_kw is None else d.alpha.sum(axis=0) >= g.max_import_kw * dh - 1e-6
    )
    exp_full = (
        np.zeros(t, bool) if g.max_export_kw is None else -d.beta.sum(axis=0) >= g.max_export_kw * dh - 1e-6
    )
    return np.stack([imp_full, exp_full])


def dual_band(d: Dispatch) -> tuple[FloatArray, FloatArray]:
    """[L_t, U_t]: prices at which no peer gains by buying (selling) one more kWh in interval t and
    absorbing it with one of its own single-interval variables (grid, spill, curtailment, flex)."""
    sc, lp = d.scenario, d.lp
    n, t = len(sc.peers), sc.intervals
    low, high = np.full((n, t), -np.inf), np.full((n, t), np.inf)
    f_up, f_down = _fee_terms(d)
    lb_all, ub_all = lp.bounds
    cost_all = lp.gradient(d.x)  # marginal cost: the linear cost, plus a·s for an exact quadratic
    extra, blocked = _grid_extra_cost(d), _import_blocked(d)
    for name, a in COMPENSATORS.items():
        if name not in lp.blocks:
            continue
        blk = lp.blocks[name]
        ids = blk.ids.reshape(blk.ids.shape[0], t, -1)
        x, lb, ub, c = d.x[ids], lb_all[ids], ub_all[ids], cost_all[ids]
        up_cost = c + (extra[None, :, None] if name == "alpha" else 0.0)
        can_up, can_down = x < ub - TOL, x > lb + TOL
        if name == "curtail" and "rebound" in lp.blocks:  # a rebound makes curtailment intertemporal
            tied = np.isin(np.array(blk.owners), np.array(lp.blocks["rebound"].owners))[:, None, None]
            can_up, can_down = can_up & ~tied, can_down & ~tied
        if name == "alpha":
            can_up &= ~blocked[0][None, :, None]
        if name == "beta":
            can_down &= ~blocked[1][None, :, None]
        buy_dir, sell_dir = (can_down, can_up) if a > 0 else (can_up, can_down)
        l_c = np.where(buy_dir, (c if a > 0 else up_cost) / a, -np.inf).max(axis=2)
        u_c = np.where(sell_dir, (up_cost if a > 0 else c) / a, np.inf).min(axis=2)
        np.maximum.at(low, blk.peer_index, l_c)
        np.minimum.at(high, blk.peer_index, u_c)
    return (low - f_up).max(axis=0), (high + f_down).min(axis=0)


def dual_prices(d: Dispatch, duals: Any = None) -> Prices:
    """Midpoint of the no-deviation band; its finite end if one end is open; the solver dual if both
    are (``duals`` overrides the dispatch's, e.g. the ``duals`` posted in a result document)."""
    lo, hi = dual_band(d)
    fallback = d.duals if duals is None else np.asarray(duals, dtype=float)
    has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
    mid = (np.where(has_lo, lo, 0.0) + np.where(has_hi, hi, 0.0)) / 2
    price = np.where(has_lo & has_hi, mid, np.where(has_lo, lo, np.where(has_hi, hi, fallback)))
    return Prices("dual", price, price.copy(), all_in=False, band_low=lo, band_high=hi)
