"""Say why a community cannot be dispatched: cheap pre-checks, then an elastic re-solve.

``precheck`` catches single-asset impossibilities before any LP is built (an EV that cannot get its
energy by departure, a battery that cannot reach its final state). ``diagnose`` runs after HiGHS
reports infeasibility. First it asks whether energy is the problem: it re-solves with unserved load
and unabsorbed surplus allowed on every peer's balance (every asset, limit and Σq = 0 kept) and
minimises their total; if that is feasible, the message names the intervals, the shortfall in each,
the peers whose load cannot be met (the shortfall of each interval shared pro rata to the peers'
load then: trading inside the community lets any peer's supply reach any other's load, so the
shortfall is the community's) and what binds (islanded, or the import or export limit). Only if
energy alone cannot explain it (an asset's own constraints are contradictory) does it re-solve with
a slack on every row and name the constraint groups, owners and intervals that needed it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from flexunity.errors import InfeasibleError
from flexunity.model import Scenario
from flexunity.optimize.builder import build_lp, peer_matrix
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


def _unserved(sc: Scenario, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray] | None:
    """Least unserved load and unabsorbed surplus (kWh, peers × intervals) that make the community
    feasible with every other row hard; None if even that is infeasible."""
    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    rows = lp.groups["balance"]
    n, t, m_eq = len(sc.peers), sc.intervals, a_eq.shape[0]
    pick = sp.csr_array(
        (np.ones(rows.size), (np.arange(rows.start, rows.start + rows.size), np.arange(rows.size))),
        shape=(m_eq, rows.size),
    )
    a_eq2 = sp.hstack([a_eq, pick, -pick], format="csr")
    lb, ub = lp.bounds
    k = 2 * rows.size
    res = linprog(
        np.concatenate([np.zeros(lp.n_vars), np.ones(k)]),
        A_eq=a_eq2,
        b_eq=lp.rhs("eq"),
        A_ub=sp.hstack([a_ub, sp.csr_array((a_ub.shape[0], k))], format="csr") if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        bounds=np.column_stack([np.concatenate([lb, np.zeros(k)]), np.concatenate([ub, np.full(k, np.inf)])]),
        method="highs",
    )
    if res.status != 0:
        return None
    s = res.x[lp.n_vars :]
    return s[: rows.size].reshape(n, t), s[rows.size :].reshape(n, t)


def _kwh(x: float) -> str:
    return f"{x:.3g} kWh"


def _shortfall_text(sc: Scenario, short: np.ndarray, surplus: np.ndarray) -> list[str]:
    """Sentences for unserved load and unabsorbed surplus: intervals, amounts, peers, binding cause."""
    lines = []
    dh, grid = sc.hours_per_interval, sc.grid
    load = peer_matrix(sc, lambda p: p.load_kw)
    load = load + peer_matrix(sc, lambda p: sum((c.profile_kw for c in p.curtailable_loads), np.zeros(1)))
    made = peer_matrix(sc, lambda p: p.pv_kw)
    made = made + peer_matrix(
        sc, lambda p: None if p.cost_function is None else np.maximum(p.cost_function.p_min_kw, 0.0)
    )
    for amount, kind in ((short, "short"), (surplus, "surplus")):
        per_t = amount.sum(axis=0)
        times = [int(x) for x in np.nonzero(per_t > 1e-6)[0]]
        if not times:
            continue
        weight = (load if kind == "short" else made) * dh
        total = weight.sum(axis=0)
        share = np.where(total > 1e-9, weight / np.where(total > 1e-9, total, 1.0), 0.0)
        per_peer = np.where(total > 1e-9, share * per_t, amount)[:, times].sum(axis=1)
        if kind == "short":
            who, how = "unserved load of", " (each interval's shortfall shared pro rata to load)"
            what, limit = "short of supply", grid.max_import_kw
        else:
            who, how = (
                "production that cannot be absorbed from",
                " (shared pro rata to PV and must-run output)",
            )
            what, limit = "with surplus", None
        where = "islanded community" if not grid.connected else "community"
        each = ", ".join(f"{per_t[t]:.3g} at {t}" for t in times[:8]) + (" ..." if len(times) > 8 else "")
        text = (
            f"{where} {what} at intervals {intervals_text(times)} ({_kwh(float(per_t[times].sum()))}: {each})"
        )
        if grid.connected and kind == "short" and limit is not None:
            text += f", the community import limit ({limit:g} kW) binding"
        if grid.connected and kind == "surplus" and grid.max_export_kw is not None:
            text += f", the community export limit ({grid.max_export_kw:g} kW) binding"
        order = np.argsort(-per_peer, kind="stable")
        named = [f"{sc.peers[i].id} {_kwh(float(per_peer[i]))}" for i in order[:5] if per_peer[i] > 1e-6]
        more = int((per_peer > 1e-6).sum()) - len(named)
        lines.append(f"{text}; {who} {', '.join(named)}{f' and {more} more' if more > 0 else ''}{how}")
    return lines


def diagnose(sc: Scenario) -> str:
    """A message naming the cause of an infeasible community: unserved load or surplus (which peers,
    which intervals, how much, what binds), else the constraint groups at fault."""
    lp = build_lp(sc)
    energy = _unserved(sc, lp)
    if energy is not None and (lines := _shortfall_text(sc, *energy)):
        return f"community {sc.name!r} is infeasible: " + "; ".join(lines)
    slacks = _elastic_slacks(lp)
    lines = _describe(sc, lp, slacks) if slacks else []
    if not lines:
        return f"community {sc.name!r} is infeasible (no single group of constraints could be blamed)"
    return f"community {sc.name!r} is infeasible: " + "; ".join(lines)
