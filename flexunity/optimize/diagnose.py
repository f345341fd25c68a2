"""Say why a community cannot be dispatched: cheap pre-checks, then an elastic re-solve.

``precheck`` catches single-asset impossibilities before any LP is built (an EV that cannot get its
energy by departure, a battery that cannot reach its final state). ``diagnose`` runs after HiGHS
reports infeasibility: it re-solves with a non-negative slack on every row and minimises the total
slack, then names the constraint groups, owners and intervals that needed it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from flexunity.errors import InfeasibleError
from flexunity.model import Scenario
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import LinearProgram

TOL = 1e-7


def intervals_text(times: list[int]) -> str:
    """Compress interval indices: [3, 4, 5, 9] -> "3-5, 9"."""
    out, run = [], [times[0]]
    for t in times[1:]:
        if t == run[-1] + 1:
            run.append(t)
        else:
            out.append(run)
            run = [t]
    out.append(run)
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in out)


def precheck(sc: Scenario) -> None:
    """Raise InfeasibleError for an asset that cannot meet its own requirement whatever the others do."""
    dh = sc.hours_per_interval
    for p in sc.peers:
        for ev in p.ev_chargers:
            most = ev.max_kw * dh * max(0, ev.departure - ev.arrival)
            if most + TOL < ev.energy_kwh:
                raise InfeasibleError(
                    f"EV {ev.id} of peer {p.id} cannot get {ev.energy_kwh:g} kWh by departure: at most "
                    f"{most:g} kWh at {ev.max_kw:g} kW in intervals {ev.arrival}..{ev.departure - 1}"
                )
        for sl in p.shiftable_loads:
            most = sl.max_kw * dh * (sl.window[1] - sl.window[0] + 1)
            if most + TOL < sl.energy_kwh:
                raise InfeasibleError(
                    f"shiftable load {sl.id} of peer {p.id} cannot consume {sl.energy_kwh:g} kWh in its "
                    f"window {sl.window[0]}..{sl.window[1]}: at most {most:g} kWh"
                )
        for b in p.batteries:
            most = b.soc_initial_kwh + b.charge_kw * dh * b.charge_efficiency * sc.intervals
            if min(most, b.capacity_kwh) + TOL < b.soc_final_min:
                raise InfeasibleError(
                    f"battery {b.id} of peer {p.id} cannot reach its final state of charge "
                    f"{b.soc_final_min:g} kWh (at most {min(most, b.capacity_kwh):g} kWh)"
                )


def _slack_weights(lp: LinearProgram, kind: str) -> np.ndarray:
    """Slack cost per row: Σq = 0 stays hard (a definition, not a physical limit), peers' balances
    cost 2 so that a violated limit or asset constraint is blamed before an energy shortfall."""
    weights = np.ones(lp.rhs(kind).size)
    for grp in lp.groups.values():
        if grp.kind == kind and grp.name in HARD_WEIGHTS:
            weights[grp.start : grp.start + grp.size] = HARD_WEIGHTS[grp.name]
    return weights


HARD_WEIGHTS = {"community_balance": np.inf, "balance": 2.0}


def _elastic_slacks(lp: LinearProgram) -> dict[str, np.ndarray]:
    """Minimum weighted slack needed per row (eq rows: signed, ub rows: excess), by row kind."""
    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    m_eq, m_ub, n = a_eq.shape[0], a_ub.shape[0], lp.n_vars
    eye_eq = sp.identity(m_eq, format="csr")
    a_eq2 = sp.hstack([a_eq, eye_eq, -eye_eq, sp.csr_array((m_eq, m_ub))], format="csr")
    a_ub2 = sp.hstack([a_ub, sp.csr_array((m_ub, 2 * m_eq)), -sp.identity(m_ub, format="csr")], format="csr")
    lb, ub = lp.bounds
    w_eq, w_ub = _slack_weights(lp, "eq"), _slack_weights(lp, "ub")
    weights = np.concatenate([w_eq, w_eq, w_ub])
    hard = ~np.isfinite(weights)
    bounds = np.column_stack(
        [np.concatenate([lb, np.zeros(weights.size)]), np.concatenate([ub, np.where(hard, 0.0, np.inf)])]
    )
    cost = np.concatenate([np.zeros(n), np.where(hard, 0.0, weights)])
    res = linprog(
        cost,
        A_eq=a_eq2,
        b_eq=lp.rhs("eq"),
        A_ub=a_ub2 if m_ub else None,
        b_ub=lp.rhs("ub") if m_ub else None,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        return {}
    s = res.x[n:]
    return {"eq": s[:m_eq] - s[m_eq : 2 * m_eq], "ub": s[2 * m_eq :]}


def _describe(sc: Scenario, lp: LinearProgram, slacks: dict[str, np.ndarray]) -> list[str]:
    """One sentence per violated constraint group, naming owners and intervals."""
    lines = []
    for grp in lp.groups.values():
        s = slacks[grp.kind][grp.start : grp.start + grp.size]
        hit = np.nonzero(np.abs(s) > 1e-6)[0]
        if hit.size == 0:
            continue
        if grp.name == "balance" and not sc.grid.connected:
            times = sorted({int(grp.times[k]) for k in hit})
            short = float(s[hit][s[hit] > 0].sum())
            what = "short of supply" if short > 0 else "with surplus it cannot absorb"
            amount = short if short > 0 else float(-s[hit].sum())
            lines.append(f"islanded community {what} at intervals {intervals_text(times)} ({amount:.3g} kWh)")
            continue
        owners = sorted({grp.owners[grp.owner_index[k]] for k in hit})
        times = sorted({int(grp.times[k]) for k in hit if grp.times[k] >= 0})
        at = f" at intervals {intervals_text(times)}" if times else ""
        label = GROUP_WORDS.get(grp.name, grp.name)
        lines.append(f"{label} of {', '.join(owners[:5])}{' ...' if len(owners) > 5 else ''}{at}")
    return lines


GROUP_WORDS = {
    "balance": "energy balance of peer",
    "community_balance": "community balance",
    "battery_dynamics": "battery state of charge",
    "shift_energy": "shiftable-load energy",
    "ev_energy": "EV energy by departure",
    "max_import": "community import limit",
    "max_export": "community export limit",
    "rebound_backlog": "curtailment rebound",
    "rebound_power": "rated power of curtailable load",
}


def diagnose(sc: Scenario) -> str:
    """A message naming the constraint groups at fault in an infeasible community."""
    lp = build_lp(sc)
    slacks = _elastic_slacks(lp)
    lines = _describe(sc, lp, slacks) if slacks else []
    if not lines:
        return f"community {sc.name!r} is infeasible (no single group of constraints could be blamed)"
    return f"community {sc.name!r} is infeasible: " + "; ".join(lines)
