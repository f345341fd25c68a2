"""The optimisation re-derived from the orders: inputs, feasibility, optimality, prices and bills.

The audit rebuilds the community's scenario from the round's configuration and the orders the chain
recorded (never from the document's copy), then checks the posted dispatch against it: feasible
within ``feasibility_kwh``; optimal when its objective is within ``objective_rel · max(1, |z*|)`` of
the optimum z* the audit computes itself (an LP can have several optimal solutions, so the dispatch
itself is never compared; quadratic cost functions count exactly, as a convex QP, unless the round's
``community.quadratic`` is "pwl", both in z* and in the posted objective); prices and bills
recomputed from the *posted* dispatch by the round's pricing rule must equal the posted ones within
the money tolerances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from flexunity.audit.verdict import RoundVerdict, Tolerances
from flexunity.data.scenario_io import scenario_from_dict
from flexunity.errors import UserError
from flexunity.model import Scenario
from flexunity.optimize import Bill, check_feasible, objective_value, price_and_bill, solve_dispatch
from flexunity.optimize.bills import enforce_ir
from flexunity.optimize.builder import has_quadratic
from flexunity.optimize.clearing import as_dispatch, standalone_bills
from flexunity.record import orders as codec
from flexunity.record.store import canonical_json

BILL_PARTS = ("trades", "import", "export", "fees", "community_grid", "side_payment", "total")


def check_inputs(
    verdict: RoundVerdict, config: dict[str, Any], accepted: Sequence[codec.AcceptedOrder],
    rejected: list[dict[str, Any]], document: dict[str, Any],
) -> dict[str, Any] | None:  # fmt: skip
    """The document cleared exactly the orders on chain; returns the scenario rebuilt from them."""
    decoded = [(o.peer_address, codec.decode_payload(o.payload)) for o in accepted]
    scenario = codec.scenario_from_orders(config, decoded)
    problems = _ref_problems(
        [codec.order_ref(o) for o in accepted], list(document.get("orders", [])), "orders"
    )
    problems += _ref_problems(rejected, list(document.get("rejected_orders", [])), "rejected orders")
    posted = {p["id"]: p for p in document.get("scenario", {}).get("peers", [])}
    clearing = document.get("clearing", {})
    for peer in scenario["peers"]:
        pid = peer["id"]
        if pid not in posted:
            problems.append(f"the order of {pid} is on chain but not in the document's cleared scenario")
        elif canonical_json(posted[pid]) != canonical_json(peer):
            problems.append(f"the document's data for {pid} differs from its order on chain")
        for block in ("peers", "bills"):
            if pid not in clearing.get(block, {}):
                problems.append(f"{pid} has no entry in the clearing's {block}")
    ids = {p["id"] for p in scenario["peers"]}
    problems += [
        f"{pid} is in the document's scenario but has no order on chain" for pid in posted if pid not in ids
    ]
    rest = {k: v for k, v in document.get("scenario", {}).items() if k != "peers"}
    if canonical_json(rest) != canonical_json({k: v for k, v in scenario.items() if k != "peers"}):
        problems.append("the document's round parameters differ from the round config bound on chain")
    verdict.add("orders.inputs", problems, f"{len(accepted)} orders on chain = the document's inputs")
    return scenario if not problems else None


def _ref_problems(expected: list[dict[str, Any]], posted: list[dict[str, Any]], what: str) -> list[str]:
    key = lambda x: (str(x.get("peer", "")).lower(), int(x.get("nonce", 0)))  # noqa: E731
    exp, got = {key(x): x for x in expected}, {key(x): x for x in posted}
    out = [
        f"{what}: {p} nonce {n} is on chain but missing from the document"
        for p, n in exp
        if (p, n) not in got
    ]
    out += [f"{what}: {p} nonce {n} is in the document but not on chain" for p, n in got if (p, n) not in exp]
    out += [
        f"{what}: {k[0]} nonce {k[1]} has payload hash {got[k].get('payload_hash')} in the document, "
        f"{exp[k].get('payload_hash')} on chain"
        for k in exp
        if k in got
        and str(got[k].get("payload_hash", "")).lower() != str(exp[k].get("payload_hash", "")).lower()
    ]
    return out


def check_optimisation(
    verdict: RoundVerdict, scenario_dict: dict[str, Any], clearing: dict[str, Any], tol: Tolerances
) -> Scenario | None:
    """The posted dispatch is feasible for the orders and optimal (objective within tolerance)."""
    scenario = scenario_from_dict(scenario_dict, source="rebuilt scenario")
    variables = clearing.get("variables", {})
    violations = check_feasible(scenario, variables, tol.feasibility_kwh)
    verdict.add(
        "optimisation.feasible", violations, f"every constraint holds within {tol.feasibility_kwh:g} kWh"
    )
    posted = objective_value(scenario, variables)
    problems: list[str] = []
    try:
        optimum = solve_dispatch(scenario).objective
    except UserError as exc:
        verdict.add("optimisation.optimal", [f"the audit cannot solve the rebuilt problem: {exc}"], "")
        return None
    if not tol.objective_ok(posted, optimum):
        problems.append(
            f"the posted dispatch costs {posted:.9g}, the optimum is {optimum:.9g} "
            f"(gap {posted - optimum:.3g})"
        )
    claimed = float(clearing.get("objective", float("nan")))
    if not tol.objective_ok(claimed, posted):
        problems.append(f"the document claims objective {claimed:.9g}, its dispatch costs {posted:.9g}")
    bound = tol.objective_rel * max(1.0, abs(optimum))
    kind = f" ({scenario.community.quadratic} quadratic costs)" if has_quadratic(scenario) else ""
    verdict.add(
        "optimisation.optimal",
        problems,
        f"objective {posted:.6f} = optimum {optimum:.6f} ± {bound:.1g}{kind}",
    )
    _check_summary(verdict, scenario, variables, clearing, tol)
    return scenario if not violations else None


def _check_summary(
    verdict: RoundVerdict, scenario: Scenario, variables: Any, clearing: dict[str, Any], tol: Tolerances
) -> None:
    """The per-peer p, q, α, β the document shows are those of its variables."""
    d = as_dispatch(scenario, variables)
    series = {"p": d.p, "q": d.q, "alpha": d.alpha, "beta": d.beta}  # each (N, T), computed once
    problems = []
    for i, pid in enumerate(scenario.peer_ids):
        shown = clearing.get("peers", {}).get(pid, {})
        for name, all_values in series.items():
            values = all_values[i]
            posted = np.asarray(shown.get(name, []), dtype=float)
            if posted.shape != values.shape or np.max(np.abs(posted - values)) > tol.feasibility_kwh:
                problems.append(f"{name} of {pid} in the document is not the one of its variables")
    verdict.add("optimisation.summary", problems, "per-peer p, q, α, β match the posted variables")


def check_prices_and_bills(
    verdict: RoundVerdict, scenario: Scenario, clearing: dict[str, Any], tol: Tolerances
) -> None:
    """Prices follow the round's rule from the posted dispatch; bills follow from those prices."""
    rule = scenario.community.pricing
    variables = clearing.get("variables", {})
    prices, bills = price_and_bill(scenario, variables, rule)
    if scenario.community.enforce_ir:  # the round's published rule, not the document's claim
        bills = enforce_ir(bills, standalone_bills(scenario))
    posted = clearing.get("pricing", {})
    problems = (
        []
        if posted.get("rule") == rule
        else [f"the document prices by {posted.get('rule')!r}, the round's rule is {rule!r}"]
    )
    for side, values in (("buy", prices.buy), ("sell", prices.sell)):
        got = np.asarray(posted.get(side, []), dtype=float)
        if got.shape != values.shape:
            problems.append(f"{side} prices have {got.size} values, the round has {values.size} intervals")
            continue
        for t in np.nonzero(np.abs(got - values) > tol.price_abs)[0]:
            problems.append(
                f"{side} price at interval {t} is {got[t]:.9g}, the {rule} rule gives {values[t]:.9g}"
            )
    verdict.add(
        "prices", problems, f"{rule} prices recomputed from the posted dispatch (± {tol.price_abs:g})"
    )
    verdict.add(
        "bills",
        _bill_problems(bills, clearing.get("bills", {}), tol),
        f"{len(bills)} bills follow from the prices",
    )


def _bill_problems(expected: dict[str, Bill], posted: dict[str, Any], tol: Tolerances) -> list[str]:
    problems = []
    for pid, bill in expected.items():
        shown = posted.get(pid, {})
        for part, value in bill.to_dict().items():
            if part not in BILL_PARTS:
                continue
            got = float(shown.get(part, float("nan")))
            if not tol.money_ok(got, value):
                problems.append(f"{part} of {pid} is {got:.9g} in the document, {value:.9g} from the prices")
    return problems
