"""The collective optimisation engine: build and solve the community LP (seed eq. 3a-3g) with
SciPy's HiGHS, price it, bill every peer, compare with standalone bills, and report KPIs.

Public API::

    clear(scenario, pricing="dual", *, enforce_ir=False, pricing_options=None) -> ClearingResult
    solve_dispatch(scenario, peer_ids=None) -> Dispatch
    standalone_bill(scenario, peer_id) -> Bill | None
    objective_value(scenario, dispatch_dict) -> float
    check_feasible(scenario, dispatch_dict, tol=1e-6) -> list[str]
    price_and_bill(scenario, dispatch, pricing) -> (Prices, dict[str, Bill])

The formulation is documented in docs/optimisation.md, the result document in docs/result-format.md.
This package never imports anything from the chain.
"""

from flexunity.optimize.bills import Bill
from flexunity.optimize.clearing import (
    ClearedRound,
    clear,
    price_and_bill,
    standalone_bill,
    standalone_bills,
)
from flexunity.optimize.pricing import RULES, Prices
from flexunity.optimize.solve import Dispatch, check_feasible, objective_value, solve_dispatch

__all__ = [
    "RULES",
    "Bill",
    "ClearedRound",
    "Dispatch",
    "Prices",
    "check_feasible",
    "clear",
    "objective_value",
    "price_and_bill",
    "solve_dispatch",
    "standalone_bill",
    "standalone_bills",
]
