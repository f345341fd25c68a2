"""The prices of Dantzig-Wolfe (dantzig_wolfe.py runs the loop): the first prices, the Lagrangian
bound at any prices, and which proposals price out at the master's duals.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from flexunity.optimize.dw_master import DROP_REDUCED
from flexunity.optimize.dw_shards import MASTER_OPTIONS, highs, highs_model
from flexunity.optimize.dw_split import Split
from flexunity.optimize.lp import FloatArray, IntArray

#: Wentges smoothing of the prices the shards see (0: plain Dantzig-Wolfe). At 1,000 peers × 96
#: (general case, default mix) 0.5 took 14 iterations, 0.3 16, 0.7 20, none 16-22; on the
#: benchmark's flexible-heavy community 0.5 took 27-29 against 32-46 (docs/distributed.md).
SMOOTHING = 0.5

Proposal = tuple[FloatArray, FloatArray, sp.csc_array]  # per peer: cost, reduced value, linking column


def first_prices(s: Split) -> FloatArray:
    """Prices of the first proposals: each class's own import and export coefficients (a peer
    pays its retail import price and earns its export price: the first proposals are the peers'
    standalone optima), nothing on Σq = 0. Import plus export price is then ≤ 0, so netting x⁺
    against x⁻ never pays and every shard's LP is bounded (as it is at every master's duals: the
    wash column W keeps π_import + π_export ≤ 0)."""
    classes = s.agg.classes
    t = classes.cost_imp.shape[1]
    return np.concatenate([-classes.cost_imp.ravel(), classes.cost_exp.ravel(), np.zeros(t)])


def bounded_prices(s: Split, price: FloatArray) -> FloatArray:
    """``price`` (import sides, export sides, Σq = 0) clipped, class by class, into the prices at
    which the master's own columns are bounded, so L(π) is finite: a class imports at no more
    than its grid price (π_imp ≥ −c_imp), exports at no less (π_exp ≥ c_exp), netting never pays
    (π_imp + π_exp ≤ 0: the wash W), and the community price lies within every class's trade band
    (−φ − π_exp ≤ π_bal ≤ φ + π_imp: Q⁺ and Q⁻). Prices from elsewhere (ADMM's) need this."""
    classes, fee = s.agg.classes, s.agg.scenario.community.fee_per_kwh
    k, t = classes.cost_imp.shape
    imp = np.maximum(price[: k * t].reshape(k, t), -classes.cost_imp)
    exp = np.maximum(price[k * t : 2 * k * t].reshape(k, t), classes.cost_exp)
    exp = np.maximum(classes.cost_exp, np.minimum(exp, -imp))
    imp = np.minimum(imp, -exp)
    lo, hi = np.max(-fee - exp, axis=0), np.min(fee + imp, axis=0)
    balance = np.where(lo <= hi, np.clip(price[2 * k * t :], lo, hi), 0.5 * (lo + hi))
    return np.concatenate([imp.ravel(), exp.ravel(), balance])


class Lagrangian:
    """The Lagrangian bound L(π) of the whole LP at any linking prices π of the right signs:

        L(π) = min_z (c_C − L_Cᵀπ)·z  over the master's own rows and bounds
             + Σ_i v_i(π)             the peers' proposal values (the shards' LPs at π)
             + Σ_r π_r·(lo_r if π_r > 0 else hi_r)   the linking rows' bounds

    Every such L(π) is below the optimum (weak duality); at the master's own duals it equals the
    master's value + Σ_i (v_i − σ_i). The first term is a small LP over the master's columns (class
    variables, the community's own ones), held as a HiGHS model whose costs change."""

    def __init__(self, s: Split) -> None:
        lp = s.agg.lp
        self.cost = lp.cost[s.master_cols]
        self.link = sp.csr_array(s.matrix[s.link_rows][:, s.master_cols])
        self.lo, self.hi = s.row_lo[s.link_rows], s.row_hi[s.link_rows]
        rows = sp.csc_array(s.matrix[s.master_rows][:, s.master_cols])
        lb, ub = lp.bounds
        self.model = highs_model(
            self.cost,
            rows,
            s.row_lo[s.master_rows],
            s.row_hi[s.master_rows],
            lb[s.master_cols],
            ub[s.master_cols],
            MASTER_OPTIONS,
        )
        self.columns = np.arange(self.cost.size, dtype=np.int32)

    def signed(self, price: FloatArray) -> FloatArray:
        """π with each row's dual sign: ≤ 0 where the row has no lower bound, ≥ 0 where no upper."""
        out = price.copy()
        out[np.isinf(self.lo) & (out > 0)] = 0.0
        out[np.isinf(self.hi) & (out < 0)] = 0.0
        return out

    def bound(self, price: FloatArray, values: FloatArray) -> float:
        """L(π) for sign-correct π and the proposals' values v_i(π); −∞ if the z-part is unbounded."""
        reduced = self.cost - self.link.T @ price
        self.model.changeColsCost(reduced.size, self.columns, reduced)
        self.model.run()
        if self.model.getModelStatus() != highs.HighsModelStatus.kOptimal:
            return -np.inf
        rhs = np.where(price > 0, self.lo, self.hi)
        rhs_term = float(np.sum(np.where(price != 0, price * rhs, 0.0)))
        return float(self.model.getInfo().objective_function_value) + float(np.sum(values)) + rhs_term


def entering(cost: FloatArray, column: sp.csc_array, price: FloatArray, sigma: FloatArray) -> IntArray:
    """The proposals that price out at the master's duals (π, σ): C − πᵀ·l − σ < 0. Only they can
    enter the master's basis; the others (often a peer's last proposal again) are not added."""
    reduced = cost - column.T @ price - sigma
    return np.nonzero(reduced < -DROP_REDUCED * max(1.0, float(np.max(np.abs(cost), initial=0.0))))[0]


def improving(proposals: list[Proposal], price: FloatArray, sigma: FloatArray, first: IntArray) -> bool:
    """Whether some proposal prices out at the master's duals (``entering``)."""
    return any(
        entering(cost, column, price, sigma[f : f + cost.size]).size
        for (cost, _, column), f in zip(proposals, first, strict=True)
    )
