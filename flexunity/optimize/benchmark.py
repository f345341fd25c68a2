"""Clearing benchmark: build and solve a random community of ``peers`` × ``intervals`` and report
build time, HiGHS solve time, LP size and peak memory. Figures are printed, never asserted.

The tiny generator here gives every peer a load, most a PV array, a third a battery, a quarter a
shiftable load, a fifth an EV and a fifth a curtailable load, with a time-of-use tariff. With ``mix``
the community comes from the realistic generator (``flexunity.data.generator``) with those asset
shares instead: the solve time follows the number of peers with assets (``flexible_peers``), since
peers without assets add no variables to the aggregated LP.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Mapping
from typing import Any

import numpy as np

from flexunity.model import (
    Battery,
    CommunitySettings,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)
from flexunity.optimize.aggregate import build_aggregated_lp
from flexunity.optimize.builder import build_lp
from flexunity.optimize.solve import DEFAULT_METHOD, choose_method, solve_aggregated, solve_lp


def random_community(peers: int, intervals: int, seed: int = 0) -> Scenario:
    """A random but plausible community: day-shaped PV and loads, a peak/off-peak tariff."""
    rng = np.random.default_rng(seed)
    minutes = max(15, min(60, 1440 // max(intervals, 1)))
    hours = (np.arange(intervals) + 0.5) * minutes / 60 % 24
    sun = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    evening = 0.4 + 0.6 * np.exp(-((hours - 19) ** 2) / 6)
    tariff = Tariff(
        np.where((hours >= 16) & (hours < 19), 0.35, np.where(hours < 7, 0.12, 0.25)),
        np.full(intervals, 0.05),
    )
    out = [_random_peer(rng, i, intervals, sun, evening) for i in range(peers)]
    grid = Grid(connected=True, capacity_charge_per_kw=0.05)
    return Scenario(
        f"random-{peers}x{intervals}",
        intervals,
        minutes,
        {"tou": tariff},
        tuple(out),
        grid,
        CommunitySettings(fee_per_kwh=0.005),
    )


def _random_peer(rng: np.random.Generator, i: int, t: int, sun: np.ndarray, evening: np.ndarray) -> Peer:
    load = evening * rng.uniform(0.3, 1.5) * rng.uniform(0.8, 1.2, t)
    pv = sun * rng.uniform(2, 6) if rng.random() < 0.6 else None
    bats = (Battery("bat", 8.0, 3.0, 3.0, 0.95, 0.95, 4.0),) if rng.random() < 1 / 3 else ()
    first = int(rng.integers(0, t // 2))
    shift = (
        (ShiftableLoad("wash", 1.5, 2.0, (first, min(t - 1, first + t // 4))),) if rng.random() < 0.25 else ()
    )
    ev = (EVCharger("ev", 6.0, 7.0, t // 2, t),) if rng.random() < 0.2 else ()
    hvac = (CurtailableLoad("hvac", 0.5 * evening, 0.5, 0.2, 0.5),) if rng.random() < 0.2 else ()
    return Peer(
        f"p{i:05d}",
        "tou",
        load,
        pv,
        batteries=bats,
        shiftable_loads=shift,
        ev_chargers=ev,
        curtailable_loads=hvac,
    )


def generated_community(peers: int, intervals: int, mix: Mapping[str, float], seed: int = 0) -> Scenario:
    """A community of the realistic generator with asset shares ``mix`` (keys of its DEFAULT_MIX),
    on a day of ``intervals`` intervals (48: half-hours, 96: quarter-hours)."""
    from flexunity.data.generator import generate_community
    from flexunity.data.scenario_io import scenario_from_dict

    minutes = 1440 // intervals if intervals <= 1440 and 1440 % intervals == 0 else 30
    doc = generate_community(peers, intervals, mix=mix, seed=seed, interval_minutes=minutes)
    return scenario_from_dict(doc, source="generated community")


def run_clearing_benchmark(
    peers: int,
    intervals: int,
    seed: int = 0,
    *,
    formulation: str = "aggregated",
    method: str | None = None,
    options: dict[str, Any] | None = None,
    mix: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Build and solve one random community; times in seconds, peak Python memory of the build in MB.

    ``formulation`` "aggregated" (default, what ``clear`` uses) or "per-peer"; ``method`` and
    ``options`` go to linprog (aggregated only; default: ``solve.choose_method``). ``recover_s`` is
    the split of the aggregated solution back to per-peer variables. ``mix`` switches to the
    realistic generator with those asset shares (``generated_community``).
    """
    sc = (
        random_community(peers, intervals, seed)
        if mix is None
        else generated_community(peers, intervals, mix, seed)
    )
    tracemalloc.start()
    start = time.perf_counter()
    agg = build_aggregated_lp(sc) if formulation == "aggregated" else None
    lp = build_lp(sc) if agg is None else agg.lp
    build_s = time.perf_counter() - start
    _, peak_build = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if agg is None:
        d, used = solve_lp(sc, lp, build_s), DEFAULT_METHOD
    else:
        used = method or choose_method(lp)
        d = solve_aggregated(sc, agg, build_s, method=used, options=options)
    return {
        "peers": peers,
        "intervals": intervals,
        "flexible_peers": int(agg.flexible.sum()) if agg is not None else None,
        "formulation": formulation,
        "method": used,
        "build_s": build_s,
        "solve_s": d.timings["solve_s"],
        "recover_s": d.timings.get("recover_s", 0.0),
        "variables": lp.n_vars,
        "constraints": lp.n_rows,
        "nonzeros": int(lp.matrix("eq").nnz + lp.matrix("ub").nnz),
        "peak_mem_mb": peak_build / 2**20,
        "objective": d.objective,
    }


def run_copies_benchmark(sc: Scenario, *, solve: bool = True) -> dict[str, Any]:
    """Scaled copies in ``sc`` (scaled_copies.py): how many peers and assets merge, the reduction's
    time and, with ``solve``, the HiGHS solve of the original against the reduced community."""
    from flexunity.optimize.scaled_copies import reduce_scenario, solve_with_scaled_copies
    from flexunity.optimize.solve import solve_dispatch

    kinds = ("batteries", "shiftable_loads", "curtailable_loads", "ev_chargers")
    start = time.perf_counter()
    red = reduce_scenario(sc)
    row: dict[str, Any] = {
        "scenario": sc.name,
        "peers": len(sc.peers),
        "assets": sum(len(getattr(p, k)) for p in sc.peers for k in kinds),
        "merged_peers": red.merged_peers,
        "merged_assets": red.merged_assets,
        "reduce_s": time.perf_counter() - start,
    }
    if solve:
        start = time.perf_counter()
        full = solve_dispatch(sc)
        row["solve_s"] = time.perf_counter() - start
        start = time.perf_counter()
        reduced, _ = solve_with_scaled_copies(sc)
        row["solve_reduced_s"] = time.perf_counter() - start
        row["objective_difference"] = reduced.objective - full.objective
    return row
