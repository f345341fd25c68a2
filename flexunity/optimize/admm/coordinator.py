"""The ADMM coordinator: the community's rows, seen only through each grid class's mean position.

In Boyd et al.'s sharing form (Distributed Optimization and Statistical Learning via ADMM, 2011,
§7.3) the community problem is ``min Σ_i f_i(x_i) + g(Σ_{i∈k} x_i per class k)``: f_i is peer i's
asset cost over its own feasible set (local.py), x_i = (x⁺_i, x⁻_i) its net position per interval,
and g the cost of the class and community rows of the aggregated formulation (aggregate.py: class
purchase, sale, import, export and wash, Σq = 0, peak, limits) with the peers without assets as
constants. The coordinator holds g in the variables z̄_k (the class means): the class rows of
``aggregate._define_classes`` with every peer's x⁺, x⁻ replaced by its class's z̄ (so the rows see
N_k·z̄_k), and solves the z̄-update

    min g(N z̄) + Σ_k (N_k ρ / 2)·‖z̄_k − (u_k + x̄_k)‖²

with OSQP, and, once the peers have settled, g at the peers' actual means exactly with HiGHS.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from flexunity.errors import InfeasibleError
from flexunity.optimize.admm.local import _csc32
from flexunity.optimize.aggregate import AggregatedLP, _define_classes
from flexunity.optimize.builder import INF
from flexunity.optimize.lp import LINPROG_UNBOUNDED, FloatArray, LinearProgram


class Coordinator:
    """g and its z̄-update for the grid classes of an aggregated LP's scenario."""

    def __init__(self, agg: AggregatedLP, rho: float) -> None:
        import osqp

        sc, cls = agg.scenario, agg.classes
        self.k, self.t = cls.count, sc.intervals
        flex_class = cls.of_peer[agg.flexible]
        self.members = np.bincount(flex_class, minlength=self.k).astype(float)  # N_k (flexible)
        lp = LinearProgram()
        labels = [f"class-{j}" for j in range(self.k)]
        zero = np.zeros(self.k, dtype=np.int64)
        z_imp = lp.add_vars("mean_import", labels, zero, (self.k, self.t), 0.0, INF)
        z_exp = lp.add_vars("mean_export", labels, zero, (self.k, self.t), 0.0, INF)
        fee = sc.community.fee_per_kwh if agg.community_terms else 0.0
        _define_classes(
            lp, sc, cls, agg.flexible, agg.net, fee, z_imp[flex_class], z_exp[flex_class], agg.community_terms
        )
        self.lp = lp
        self.z_ids = np.stack([z_imp, z_exp])  # (2, K, T)
        self.weight = np.broadcast_to(self.members[None, :, None], self.z_ids.shape).ravel()
        lb, ub = lp.bounds
        b_eq, b_ub = lp.rhs("eq"), lp.rhs("ub")
        matrix = _csc32(sp.vstack([lp.matrix("eq"), lp.matrix("ub"), sp.identity(lp.n_vars)]))
        self.rho = rho
        self.solver = osqp.OSQP()
        self.solver.setup(
            P=self._hessian(rho),
            q=lp.cost,
            A=matrix,
            l=np.concatenate([b_eq, np.full(b_ub.size, -INF), lb]),
            u=np.concatenate([b_eq, b_ub, ub]),
            verbose=False,
            eps_abs=1e-7,
            eps_rel=1e-7,
            polishing=True,
            warm_starting=True,
            max_iter=50_000,
        )

    def _hessian(self, rho: float) -> sp.csc_matrix:
        diag = np.zeros(self.lp.n_vars)
        diag[self.z_ids.ravel()] = rho * self.weight
        return _csc32(sp.diags(diag))

    def update(self, target: FloatArray, rho: float) -> FloatArray:
        """The z̄-update: argmin g(N z̄) + Σ_k (N_k ρ/2)‖z̄_k − target_k‖², target (2, K, T)."""
        if rho != self.rho:
            self.rho = rho
            self.solver.update(Px=self._hessian(rho).data)
        linear = self.lp.cost.copy()
        linear[self.z_ids.ravel()] -= rho * self.weight * target.ravel()
        self.solver.update(q=linear)
        res = self.solver.solve(raise_error=False)
        if res.info.status_val not in (1, 2):
            raise InfeasibleError(f"the ADMM coordinator's update stopped: {res.info.status}")
        return np.asarray(res.x, dtype=float)[self.z_ids]

    def _linprog(self, cost: FloatArray, lb: FloatArray, ub: FloatArray) -> Any:
        a_ub = self.lp.matrix("ub")
        return linprog(
            cost,
            A_ub=a_ub if a_ub.shape[0] else None,
            b_ub=self.lp.rhs("ub") if a_ub.shape[0] else None,
            A_eq=self.lp.matrix("eq"),
            b_eq=self.lp.rhs("eq"),
            bounds=np.column_stack([lb, ub]),
            method="highs",
        )

    def exact(self, means: FloatArray) -> tuple[FloatArray, float, FloatArray]:
        """g at the peers' class means (2, K, T), solved exactly: the coordinator's solution vector,
        g's value, and the dual of Σq = 0 per interval (value of one more kWh, as solve.py reads it).
        Raises InfeasibleError if the means break a community limit."""
        lb, ub = self.lp.bounds
        lb, ub = lb.copy(), ub.copy()
        lb[self.z_ids.ravel()] = ub[self.z_ids.ravel()] = np.maximum(means.ravel(), 0.0)
        res = self._linprog(self.lp.cost, lb, ub)
        if res.status != 0:
            raise InfeasibleError("the peers' positions break a community row: " + str(res.message))
        rows = self.lp.groups["community_balance"]
        duals = -np.asarray(res.eqlin.marginals[rows.start : rows.start + rows.size], dtype=float)
        return np.asarray(res.x, dtype=float), float(res.fun) + self.lp.constant, duals

    def lower_bound(self, price: FloatArray, caps: FloatArray) -> float:
        """min g(N z̄) − Σ_k N_k·price_k·z̄_k with z̄ ≤ ``caps`` (2, K, T; the class means of the
        peers' caps): the coordinator's term of the Lagrangian bound."""
        cost = self.lp.cost.copy()
        cost[self.z_ids.ravel()] -= self.weight * price.ravel()
        lb, ub = self.lp.bounds
        ub = ub.copy()
        ub[self.z_ids.ravel()] = np.minimum(ub[self.z_ids.ravel()], caps.ravel())
        res = self._linprog(cost, lb, ub)
        if res.status == LINPROG_UNBOUNDED:
            return -np.inf
        if res.status != 0:
            raise InfeasibleError(f"the coordinator's bound stopped: {res.message}")
        return float(res.fun) + self.lp.constant
