"""Deliver an activation: re-dispatch the community at least cost with the optimisation engine,
then settle against the cleared schedule (the baseline).

The re-dispatch is the community LP of ``flexunity.optimize`` plus, for each activated interval t
(all activations of the round at once),

    sign · Σ_n (p_n,t − p^base_n,t) + u_t = requested_t,     u_t ≥ 0 at a cost of SHORTFALL_COST,

with p = −(q + α + β) from the peers' balance (3b), so Σ_n p_n,t = −Σ_n (α_n,t + β_n,t). The LP
delivers exactly what is asked whenever the assets can, at least extra cost (storage may recharge
outside the window, shifted loads move, PV spills); u is the shortfall it cannot avoid.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flexunity.errors import InputError
from flexunity.markets.activation import Activation, check_activation
from flexunity.markets.offers import Offer
from flexunity.markets.settlement import DeliveryResult, FloatArray, settle
from flexunity.model import Scenario
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import IntArray, LinearProgram
from flexunity.optimize.solve import Dispatch, solve_lp

#: Cost per kWh of undelivered activation in the re-dispatch: far above any tariff, so the LP
#: falls short only when the assets cannot physically deliver.
SHORTFALL_COST = 1000.0


@dataclass(frozen=True, eq=False)
class Redispatch:
    """The re-dispatched community and its unavoidable shortfall per activated interval (kWh)."""

    dispatch: Dispatch
    shortfall_kwh: FloatArray
    extra_cost: float
    probe_kw: float = 0.0


def redispatch(
    scenario: Scenario,
    baseline: Dispatch,
    activations: Activation | Sequence[Activation],
    sign: float,
    *,
    probe: tuple[int, int, float] | None = None,
) -> Redispatch:
    """Least-cost dispatch of ``scenario`` delivering every activation in direction ``sign`` (+1 up, −1 down).

    Activations of one round are delivered by one joint re-dispatch (they share batteries and loads);
    the right-hand sides are relative to ``baseline``, the cleared dispatch of the same scenario.
    ``probe = (start, intervals, max_kw)`` adds a block whose constant power is maximised (up to
    max_kw) after the activations are met: the firm capacity it can add (``Redispatch.probe_kw``).
    """
    acts = [activations] if isinstance(activations, Activation) else list(activations)
    times = _activated_intervals(acts) if acts else np.zeros(0, dtype=np.int64)
    start = time.perf_counter()
    lp = build_lp(scenario)
    hours = scenario.hours_per_interval
    requested = np.concatenate([np.zeros(0), *(np.full(a.intervals, a.kw * hours) for a in acts)])
    rhs = sign * baseline.p.sum(axis=0)[times] + requested
    k = len(times)
    zero = np.zeros(1, dtype=np.int64)
    short = lp.add_vars("activation_shortfall", ["community"], zero, (1, k), 0.0, np.inf, SHORTFALL_COST)
    rows = lp.add_rows("activation", "eq", ["community"], np.zeros(k, dtype=np.int64), times, rhs)
    alpha, beta = lp.blocks["alpha"].ids, lp.blocks["beta"].ids
    lp.add_terms("eq", rows[None, :], alpha[:, times], -sign)
    lp.add_terms("eq", rows[None, :], beta[:, times], -sign)
    lp.add_terms("eq", rows, short[0], 1.0)
    probe_value = 0.0
    if probe is not None:
        probe_value = _add_probe(lp, baseline, probe, sign, hours)
    solved = solve_lp(scenario, lp, time.perf_counter() - start)
    shortfall = solved.block("activation_shortfall")[0]
    probe_kw = float(solved.block("probe_kw")[0, 0]) if probe is not None else 0.0
    objective = solved.objective - SHORTFALL_COST * float(shortfall.sum()) + probe_value * probe_kw
    return Redispatch(solved, shortfall, objective - baseline.objective, probe_kw)


def _add_probe(
    lp: LinearProgram, baseline: Dispatch, probe: tuple[int, int, float], sign: float, hours: float
) -> float:
    """Add a variable constant power c ∈ [0, max_kw] over the probe block, rewarded per kW below the
    shortfall cost (so the activations already promised come first). Returns the reward per kW."""
    first, count, max_kw = probe
    times = np.arange(first, first + count)
    reward = 0.5 * SHORTFALL_COST * hours * count
    zero = np.zeros(1, dtype=np.int64)
    cap = lp.add_vars("probe_kw", ["community"], zero, (1, 1), 0.0, max_kw, -reward)
    rows = lp.add_rows(
        "probe",
        "eq",
        ["community"],
        np.zeros(count, dtype=np.int64),
        times,
        sign * baseline.p.sum(axis=0)[times],
    )
    lp.add_terms("eq", rows[None, :], lp.blocks["alpha"].ids[:, times], -sign)
    lp.add_terms("eq", rows[None, :], lp.blocks["beta"].ids[:, times], -sign)
    lp.add_terms("eq", rows, cap[0, 0], -hours)
    return reward


def _activated_intervals(acts: list[Activation]) -> IntArray:
    """The activated intervals in activation order; overlapping activations are refused."""
    if not acts:
        raise InputError("no activation to deliver")
    times = np.concatenate([np.arange(a.start, a.start + a.intervals) for a in acts]).astype(np.int64)
    if len(set(times.tolist())) != len(times):
        raise InputError("activations overlap: each interval can be activated once")
    return times


def deliver(
    scenario: Scenario, baseline: Dispatch, offer: Offer, activation: Activation
) -> tuple[DeliveryResult, Redispatch]:
    """Re-dispatch for one activation, apply the peers' metered compliance, and settle."""
    results, plan = deliver_all(scenario, baseline, offer, [activation])
    return results[0], plan


def deliver_all(
    scenario: Scenario, baseline: Dispatch, offer: Offer, activations: Sequence[Activation]
) -> tuple[list[DeliveryResult], Redispatch]:
    """One joint re-dispatch for all activations of the round, then settle each against the baseline.

    Each result carries the joint re-dispatch's extra cost (the cost of delivering all of them).
    """
    for act in activations:
        check_activation(act, offer)
    plan = redispatch(scenario, baseline, activations, offer.product.sign)
    planned_p = plan.dispatch.p
    actual_p = planned_p
    for act in activations:
        actual_p = metered(baseline.p, actual_p, act, scenario.peer_ids)
    results = [
        settle(
            offer.product,
            offer.block_at(act.start),
            act,
            tuple(scenario.peer_ids),
            baseline.p,
            planned_p,
            actual_p,
            scenario.hours_per_interval,
            redispatch_cost=plan.extra_cost,
        )
        for act in activations
    ]
    return results, plan


def metered(
    baseline_p: FloatArray, planned_p: FloatArray, activation: Activation, peers: list[str]
) -> FloatArray:
    """What the meters read: the plan, except that in the activation a peer with compliance c moves
    only c of its planned change from the baseline."""
    actual = planned_p.copy()
    window = slice(activation.start, activation.start + activation.intervals)
    for row, peer in enumerate(peers):
        c = activation.compliance.get(peer, 1.0)
        actual[row, window] = baseline_p[row, window] + c * (planned_p[row, window] - baseline_p[row, window])
    return actual
