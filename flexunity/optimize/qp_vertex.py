"""After Clarabel (qp.py): a vertex of the QP's linear part, the quadratic columns polished to their
exact optimum, and exact multipliers (docs/optimisation.md, "A vertex for the linear part").

An interior-point answer is exact in objective to its gap (1e-10), but where the optimum is not
strictly complementary (a tie: a quadratic producer whose marginal cost at zero output equals the
price it would get) a column is only exact to about √(2·gap/h), 1e-5 kWh at h = 0.2, and the
multipliers to about h times that. That is enough to invert the no-deviation band of the ``dual``
price (pricing.dual_band: lo > hi by 3.5e-6) and to post a dual outside it. So:

1. ``fixed_vertex``: HiGHS re-solves the LP with the quadratic columns fixed at Clarabel's values
   (simplex, or IPX with crossover: a vertex); its optima are the QP's optima with those values.
2. ``quadratic_from_prices``: each quadratic column is priced at the minimiser of
   ½·h·x² + (c − Aᵀm)·x on its bounds, m that vertex's row marginals. Where that moves a column by
   at most ``POLISH_MAX_MOVE`` (a tie's error; a larger move comes from a degenerate vertex dual,
   which prices a column wrongly) the LP is re-solved with those values, and the result kept only
   if the QP objective is not worse. No move in that range: no second LP.
3. ``tangent_duals``: the marginals of the LP whose cost is the QP's gradient at the final x. At a
   QP optimum x* the optimal duals of that LP are exactly the QP's multipliers (both are the duals
   that satisfy the same complementary slackness with x*), and HiGHS returns a vertex one to
   machine accuracy; they are used only if x is optimal for that LP (to 1e-9), else Clarabel's stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import linprog

from flexunity.optimize.lp import FloatArray, LinearProgram

#: Largest move (kWh) of a quadratic column by the polish: Clarabel's error at a tie
#: is about √(2·gap/h), 1e-4 at h = 0.02 and gap 1e-10; a larger move comes from a degenerate
#: vertex dual, not from that error.
POLISH_MAX_MOVE = 1e-3


def highs(
    lp: LinearProgram,
    method: str,
    options: Mapping[str, Any] | None,
    bounds: tuple[FloatArray, FloatArray],
    cost: FloatArray | None = None,
) -> Any:
    """linprog (HiGHS) on ``lp``'s rows with the given bounds and linear cost (default ``lp.cost``)."""
    lb, ub = bounds
    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    return linprog(
        lp.cost if cost is None else cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        A_eq=a_eq,
        b_eq=lp.rhs("eq"),
        bounds=np.column_stack([lb, ub]),
        method=method,
        options=dict(options or {}),
    )


def fixed_vertex(
    lp: LinearProgram, method: str, options: Mapping[str, Any] | None, fixed: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """A vertex of the linear part with the quadratic columns fixed at ``fixed``, and its equality
    rows' marginals; None if that LP has no optimum (numerically infeasible after fixing)."""
    lb, ub = lp.bounds
    quad = lp.quad > 0
    out = highs(lp, method, options, (np.where(quad, fixed, lb), np.where(quad, fixed, ub)))
    if out.status != 0:
        return None
    x = np.asarray(out.x, dtype=float)
    x[quad] = fixed[quad]
    return x, np.asarray(out.eqlin.marginals, dtype=float)


def quadratic_from_prices(lp: LinearProgram, marginals: FloatArray, x0: FloatArray) -> FloatArray:
    """``x0`` with each quadratic column j at clip((A_jᵀ·m − c_j)/h_j, lb_j, ub_j), the minimiser of
    ½·h_j·x² + (c_j − A_jᵀ·m)·x (m: equality rows' marginals). Columns that also appear in
    inequality rows keep their value (those rows' prices are not read)."""
    lb, ub = lp.bounds
    x = x0.copy()
    in_ub = np.zeros(lp.n_vars, dtype=bool)
    a_ub = lp.matrix("ub")
    if a_ub.shape[0]:
        in_ub[np.unique(a_ub.tocoo().col)] = True
    cols = (lp.quad > 0) & ~in_ub
    priced = lp.matrix("eq").T @ marginals
    x[cols] = np.clip((priced[cols] - lp.cost[cols]) / lp.quad[cols], lb[cols], ub[cols])
    return x


def polished_vertex(
    lp: LinearProgram, method: str, options: Mapping[str, Any] | None, x_interior: FloatArray
) -> FloatArray | None:
    """Steps 1 and 2 of the module docstring; None if the fixed LP has no optimum."""
    lb, ub = lp.bounds
    vertex = fixed_vertex(lp, method, options, np.clip(x_interior, lb, ub))
    if vertex is None:
        return None
    x, marginals = vertex
    priced = quadratic_from_prices(lp, marginals, x)
    move = np.abs(priced - x)
    if not ((move > 1e-12) & (move <= POLISH_MAX_MOVE)).any():
        return x  # no tie to correct: no second LP
    polished = fixed_vertex(lp, method, options, np.where(move <= POLISH_MAX_MOVE, priced, x))
    if polished is not None and lp.objective(polished[0]) <= lp.objective(x) + 1e-12:
        return polished[0]
    return x


def tangent_duals(
    lp: LinearProgram, method: str, options: Mapping[str, Any] | None, x: FloatArray
) -> FloatArray | None:
    """Step 3 of the module docstring: the equality rows' marginals of the tangent LP at ``x``, or
    None unless ``x`` is optimal for it to 1e-9."""
    grad = lp.gradient(x)
    out = highs(lp, method, options, lp.bounds, cost=grad)
    if out.status != 0 or float(grad @ x) > float(out.fun) + 1e-9 * (1 + abs(float(out.fun))):
        return None
    return np.asarray(out.eqlin.marginals, dtype=float)
