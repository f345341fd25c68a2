"""Community-based P2P (seed 2.1.4.2, eq. 3a-3g): the community manager's collective optimisation,
priced by one of the optimiser's internal pricing rules."""

from __future__ import annotations

import time

from flexunity.lab.gas import community_round
from flexunity.lab.outcome import Outcome
from flexunity.model import Scenario
from flexunity.optimize import Bill, Dispatch, price_and_bill, solve_dispatch
from flexunity.optimize.bills import enforce_ir, trades

METHOD = (
    "The community manager solves the collective LP (seed eq. 3a-3g) for every peer's assets, "
    "internal trades and grid exchange at least total cost, then prices internal trades by the "
    "rule named ({rule}); with the scenario's enforce_ir, zero-sum side payments make sure no peer "
    "pays more than alone. On chain: our contracts (one round per day)."
)


def dispatch(sc: Scenario) -> tuple[Dispatch, float]:
    """The community's optimal dispatch and the seconds it took (shared by every pricing rule)."""
    start = time.perf_counter()
    return solve_dispatch(sc), time.perf_counter() - start


def run(sc: Scenario, rule: str, d: Dispatch, solve_s: float, alone: dict[str, Bill]) -> Outcome:
    """Price and bill a community dispatch by ``rule`` (``alone``: the no-trading bills, for IR)."""
    start = time.perf_counter()
    prices, bills = price_and_bill(sc, d, rule)
    if sc.community.enforce_ir:
        bills = enforce_ir(bills, dict(alone))
    money = trades(d, prices)
    seconds = solve_s + time.perf_counter() - start
    return Outcome(
        f"community ({rule})", sc, d, bills, money, prices.buy.copy(), community_round(len(sc.peers)), seconds
    )
