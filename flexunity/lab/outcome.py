"""What one design did on one day: the dispatch, the internal market's money, bills and chain cost.

Every design ends in a full per-peer dispatch of the community LP's layout (asset blocks, q⁺, q⁻,
α, β; docs/optimisation.md) and a matrix of internal-market money per peer and interval. Bills are
then made exactly as ``flexunity.optimize`` makes them (retail, fees φ·|q|, the community term G,
flexibility cost), so every design is billed by the same code, and ``check_feasible`` of the
optimiser verifies that each design's dispatch conserves energy (every peer's balance (3b) and
Σq = 0 (3c)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexunity.lab.gas import ChainCost
from flexunity.model import Scenario
from flexunity.optimize import Bill, Dispatch
from flexunity.optimize.bills import bills_from_trades
from flexunity.optimize.clearing import as_dispatch
from flexunity.optimize.lp import FloatArray

TRADE_BLOCKS = ("q_buy", "q_sell", "alpha", "beta", "peak_kw")


@dataclass(eq=False)
class Outcome:
    """One design's day: dispatch, bills, internal money and prices, chain cost, run time."""

    design: str
    scenario: Scenario
    dispatch: Dispatch
    bills: dict[str, Bill]
    money: FloatArray  # (N, T) internal-market payments, + = the peer pays; Σ over peers = 0
    prices: FloatArray  # (T,) volume-weighted internal price, NaN where nothing was traded
    chain: ChainCost
    seconds: float
    surplus: tuple[float, float] | None = None  # auctions: (realised, largest) gain from trade
    extra: dict[str, Any] = field(default_factory=dict)

    def soc_end(self) -> dict[str, float]:
        """Each battery's state of charge at the end of the day (kWh)."""
        soc = self.dispatch.block("battery_soc")
        if not soc.size:
            return {}
        owners = self.dispatch.lp.blocks["battery_soc"].owners
        return {owner: float(soc[i, -1]) for i, owner in enumerate(owners)}


def trade_dispatch(
    sc: Scenario,
    assets: Mapping[str, Mapping[str, Any]],
    q_buy: FloatArray,
    q_sell: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
) -> dict[str, dict[str, Any]]:
    """A dispatch document: the peers' own asset schedule plus trades and grid flows (N × T each)."""
    out = {name: dict(values) for name, values in assets.items() if name not in TRADE_BLOCKS}
    ids = sc.peer_ids
    for name, arr in (("q_buy", q_buy), ("q_sell", q_sell), ("alpha", alpha), ("beta", beta)):
        out[name] = {pid: arr[i].tolist() for i, pid in enumerate(ids)}
    if sc.grid.capacity_charge_per_kw > 0:
        out["peak_kw"] = {"community": [float(alpha.sum(axis=0).max() / sc.hours_per_interval)]}
    return out


def settle(
    design: str,
    sc: Scenario,
    dispatch: Dispatch | Mapping[str, Mapping[str, Any]],
    money: FloatArray,
    prices: FloatArray,
    chain: ChainCost,
    seconds: float,
    **kw: Any,
) -> Outcome:
    """Bill a design's dispatch with the optimiser's bill components; ``money`` is the internal market."""
    d = as_dispatch(sc, dispatch)
    bills = bills_from_trades(d, money)
    return Outcome(design, sc, d, bills, money, prices, chain, seconds, **kw)


def weighted_prices(money: FloatArray, q: FloatArray) -> FloatArray:
    """Per interval: money paid by buyers / energy bought (NaN where nothing was traded)."""
    bought = np.maximum(q, 0).sum(axis=0)
    paid = np.where(q > 0, money, 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bought > 1e-9, paid / np.where(bought > 1e-9, bought, 1), np.nan)
