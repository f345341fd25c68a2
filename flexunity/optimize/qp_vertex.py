"""After Clarabel (qp.py): a vertex of the QP's linear part, the quadratic columns polished to their
exact optimum, and exact multipliers (docs/optimisation.md, "A vertex for the linear part").

An interior-point answer is exact in objective to its gap (1e-10), but where the optimum is not
strictly complementary (a tie: a quadratic producer whose marginal cost at zero output equals the
price it would get) a column is only exact to about √(2·gap/h), 1e-5 kWh at h = 0.2, and the
multipliers to about h times that. That is enough to invert the no-deviation band of the ``dual``
price (pricing.dual_band: lo > hi by 3.5e-6) and to post a dual outside it. So:

1. ``fixed_vertex``: HiGHS re-solves the LP with the quadratic columns fixed at Clarabel's values
   (simplex, or IPX with crossover: a vertex); its optima are the QP's optima with those values.
2. The tangent LP at that vertex x (cost c + h·x, the QP's gradient) is solved. At a tie the
   interior point overshoots and its gradient points back, so that LP's vertex has the tied
   quadratic columns at their exact optimum: the columns it moves by at most ``POLISH_MAX_MOVE``
   (a tie's error; a larger move is just another vertex of a flat LP) take its values, the fixed
   LP is re-solved with them, and the result is kept only if the QP objective is not worse (then
   the tangent LP is solved again at the new x).
3. The duals are the tangent LP's marginals at the final x. At a QP optimum x* the optimal duals of
   that LP are exactly the QP's multipliers (both are the duals that satisfy the same complementary
   slackness with x*), and HiGHS returns a vertex one to machine accuracy; they are used only if x
   is optimal for that LP (to 1e-9), else Clarabel's stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from flexunity.optimize.lp import FloatArray, LinearProgram, highs

#: Largest move (kWh) of a quadratic column by the polish: Clarabel's error at a tie
#: is about √(2·gap/h), 1e-4 at h = 0.02 and gap 1e-10; a larger move is another vertex of a
#: flat tangent LP, not that error.
POLISH_MAX_MOVE = 1e-3


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


def vertex_and_duals(
    lp: LinearProgram, method: str, options: Mapping[str, Any] | None, x_interior: FloatArray
) -> tuple[FloatArray, FloatArray | None] | None:
    """Steps 1-3 of the module docstring: the polished vertex and its exact duals (None: keep
    Clarabel's); None if the fixed LP has no optimum."""
    lb, ub = lp.bounds
    vertex = fixed_vertex(lp, method, options, np.clip(x_interior, lb, ub))
    if vertex is None:
        return None
    x = vertex[0]
    tangent = highs(lp, method, options, lp.bounds, cost=lp.gradient(x))
    if tangent.status != 0:
        return x, None
    target = np.asarray(tangent.x, dtype=float)
    near = (lp.quad > 0) & (np.abs(target - x) <= POLISH_MAX_MOVE)
    if (np.abs(target - x)[near] > 1e-12).any():  # a tie: polish, then the duals at the new x
        polished = fixed_vertex(lp, method, options, np.where(near, target, x))
        if polished is not None and lp.objective(polished[0]) <= lp.objective(x) + 1e-12:
            x = polished[0]
            tangent = highs(lp, method, options, lp.bounds, cost=lp.gradient(x))
    return x, _duals_if_optimal(lp, tangent, x)


def _duals_if_optimal(lp: LinearProgram, tangent: Any, x: FloatArray) -> FloatArray | None:
    """The tangent LP's equality marginals if ``x`` is optimal for it to 1e-9, else None."""
    if tangent.status != 0:
        return None
    fun = float(tangent.fun)
    if float(lp.gradient(x) @ x) > fun + 1e-9 * (1 + abs(fun)):
        return None
    return np.asarray(tangent.eqlin.marginals, dtype=float)
