"""Standalone bills from Dantzig-Wolfe's first proposals, when they are the standalone optima.

The first prices (``dw_prices.first_prices``) charge each peer its class's import coefficient
δ_imp·λ_imp + g_imp for x⁺ and pay it δ_exp·λ_exp + g_exp for x⁻, with no community trade: when the
community adds no G price (g = 0), that is exactly the peer's standalone LP (builder.build_lp with
``community_terms=False, trading=False``: the same asset rows and costs, the same δ-weighted retail
terms, no fee, no community rows). So the first proposal y_i is an optimum of peer i's standalone
LP and its bill is the standalone bill: it is read here instead of solving that LP a second time
(clearing.standalone_bills solves the peers it is not given). Where the LPs have several optima,
the bill's split into import, export and flexibility may differ from a fresh solve's; its cost,
which individual rationality compares, does not.
"""

from __future__ import annotations

import numpy as np

from flexunity.model import Scenario
from flexunity.optimize.aggregate import AggregatedLP, disaggregate
from flexunity.optimize.bills import Bill, standalone_bills_from
from flexunity.optimize.builder import community_prices
from flexunity.optimize.dw_split import Split, column_peers
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import Dispatch


def first_proposals_are_standalone(scenario: Scenario) -> bool:
    """Whether the first proposals are standalone optima: a grid-connected community without G."""
    g_imp, g_exp = community_prices(scenario)
    return scenario.grid.connected and not np.any(g_imp) and not np.any(g_exp)


def standalone_bills_from_first(agg: AggregatedLP, s: Split, first: list[FloatArray]) -> dict[str, Bill]:
    """The standalone bills of the peers in the shards from their first proposals ``first`` (one
    vector of each shard's columns): the class import side A = Σx⁺ + the fixed peers' demand and
    export side B = −(Σx⁻ + their supply), no trade and no wash, split back to peers (α = x⁺,
    β = −x⁻), then billed at retail as a standalone dispatch is."""
    lp = agg.lp
    x = np.zeros(lp.n_vars)
    for cols, y in zip(s.shard_cols, first, strict=True):
        x[cols] = y
    eq = lp.matrix("eq")
    for side, var, sign in (
        ("class_import_side", "class_import", 1.0),
        ("class_export_side", "class_export", -1.0),
    ):
        group = lp.groups[side]
        rows = np.arange(group.start, group.start + group.size)
        # the side's row: Σ x + W − (Q + A) = −demand, or Σ x + W − Q + B = −supply, with W = Q = 0
        sums = eq[rows] @ x - lp.rhs("eq")[rows]
        x[lp.blocks[var].ids.ravel()] = sign * sums
    target, xx = disaggregate(agg, x)
    dispatch = Dispatch(agg.scenario, target, xx, float("nan"), np.zeros(agg.scenario.intervals))
    bills = standalone_bills_from(dispatch)
    ids, owner = agg.scenario.peer_ids, column_peers(agg)
    in_shards = np.unique(owner[np.concatenate([np.zeros(0, dtype=np.int64), *s.shard_cols])])
    return {ids[i]: bills[ids[i]] for i in in_shards}
