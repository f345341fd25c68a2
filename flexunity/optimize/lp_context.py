"""What every ``define_*`` step of the community LP shares (builder.py): the per-peer context, the
peers' profiles as (N, T) arrays, the balance rows' right-hand side, and adding a block to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flexunity.model import Peer, Scenario
from flexunity.optimize.lp import FloatArray, IntArray, LinearProgram

INF = np.inf


@dataclass(frozen=True, eq=False)
class Context:
    """Per-peer arrays shared by the define_* steps (N peers × T intervals)."""

    scenario: Scenario
    lp: LinearProgram
    balance_rows: IntArray  # (N, T) row numbers of the peers' balance (3b)
    dh: float
    fee: float
    community_terms: bool  # False for a standalone peer: no G, no fee, no community rows
    trading: bool  # False: q fixed to 0 (every peer alone against its retail tariff)
    spill: npt.NDArray[np.bool_] | None = None  # peers given a pv_spill block (None: every PV owner)


def peer_matrix(scenario: Scenario, getter: Callable[[Peer], FloatArray | float | None]) -> FloatArray:
    """Stack one profile per peer into an (N, T) array; ``None`` counts as zero."""
    rows = [getter(p) for p in scenario.peers]
    shape = (scenario.intervals,)
    return np.array([np.broadcast_to(0.0 if r is None else r, shape) for r in rows], dtype=float).reshape(
        len(rows), scenario.intervals
    )


def balance_rhs(scenario: Scenario) -> FloatArray:
    """Right-hand side of (3b) once p is written out: (load + curtailable baselines − PV)·Δt − p_min.

    Each variable enters the balance row with the sign of its contribution to p (production +),
    plus q, α and β with coefficient 1: Σ_v s_v·v + q + α + β = (load − PV)·Δt − p_min.
    """
    dh = scenario.hours_per_interval
    load = peer_matrix(scenario, lambda p: p.load_kw)
    pv = peer_matrix(scenario, lambda p: p.pv_kw)
    base = peer_matrix(scenario, lambda p: sum((c.profile_kw for c in p.curtailable_loads), np.zeros(1)))
    pmin = peer_matrix(scenario, lambda p: None if p.cost_function is None else p.cost_function.p_min_kw)
    return (load + base - pv - pmin) * dh


def _add_to_balance(ctx: Context, ids: IntArray, peer_index: IntArray, coeff: float | FloatArray) -> None:
    """Add ``coeff × block`` to the balance rows of the owning peers (ids: owners × T [× K])."""
    rows = ctx.balance_rows[peer_index]
    if ids.ndim == 3:
        rows = rows[:, :, None]
    ctx.lp.add_terms("eq", rows, ids, coeff)


def _community_rows(ctx: Context, name: str, rhs: FloatArray) -> IntArray:
    """One ``<=`` row per interval for a community-wide limit."""
    t = ctx.scenario.intervals
    return ctx.lp.add_rows(name, "ub", ["community"], np.zeros(t), np.arange(t), rhs)
