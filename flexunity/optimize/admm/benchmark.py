"""ADMM benchmarks: iterations and wall time against the monolithic LP, and the per-pass time on
Ray clusters of 1, 2, 4, … single-CPU nodes with a fitted model for larger clusters.

Figures are printed by ``flexunity bench clearing --engine admm|ray`` and ``flexunity bench
admm-scaling``; nothing here is asserted in tests.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from flexunity.model import Scenario
from flexunity.optimize.admm.run import run_admm


def _community(peers: int, intervals: int, seed: int, mix: Mapping[str, float] | None) -> Scenario:
    from flexunity.optimize.benchmark import generated_community, random_community

    return (
        random_community(peers, intervals, seed)
        if mix is None
        else generated_community(peers, intervals, mix, seed)
    )


def run_admm_benchmark(
    peers: int,
    intervals: int,
    seed: int = 0,
    *,
    mix: Mapping[str, float] | None = None,
    engine: str = "local",
    workers: int = 2,
    compare: bool = True,
) -> dict[str, Any]:
    """One ADMM clearing (and, with ``compare``, the monolithic LP) of a benchmark community."""
    from flexunity.optimize.aggregate import disaggregate
    from flexunity.optimize.solve import check_feasible, solve_dispatch

    sc = _community(peers, intervals, seed, mix)
    start = time.perf_counter()
    agg, x, report = run_admm(sc, shards=workers, engine=engine)
    wall = time.perf_counter() - start
    target, xs = disaggregate(agg, x)
    row: dict[str, Any] = {
        "peers": peers,
        "intervals": intervals,
        "flexible_peers": int(agg.flexible.sum()),
        **report.to_dict(),
        "admm_wall_s": wall,
    }
    if compare:
        from flexunity.optimize.solve import Dispatch

        d = Dispatch(sc, target, xs, report.objective, report.duals)
        row["violations"] = len(check_feasible(sc, d.to_dict()))
        start = time.perf_counter()
        mono = solve_dispatch(sc)
        row["monolithic_s"] = time.perf_counter() - start
        row["monolithic_objective"] = mono.objective
        row["gap_to_monolithic"] = (report.objective - mono.objective) / max(1.0, abs(mono.objective))
    return row


def run_scaling_benchmark(
    peers: int,
    intervals: int,
    workers: Sequence[int],
    seed: int = 0,
    *,
    mix: Mapping[str, float] | None = None,
    passes: int = 10,
    model_for: int = 64,
) -> dict[str, Any]:
    """Per-pass wall time with W shards on a ``ray.cluster_utils.Cluster`` of W one-CPU nodes, for
    each W in ``workers`` (``passes`` passes each), and a model of the time on ``model_for``.

    Model: pass(W) = coordinator + Σ shard compute / W + overhead(W), where the overhead (Ray
    round trips, serialisation of positions) is the measured rest, fitted linearly in W (a
    non-increasing fit is replaced by the largest measured overhead). Passes after the first (a
    cold start) are averaged. On a machine with fewer cores than nodes the nodes share cores, so
    the measured curve flattens there and shard wall times grow with contention; the model takes
    the shards' CPU seconds per pass (which do not), averaged over the cluster sizes.
    """
    import ray
    from ray.cluster_utils import Cluster

    sc = _community(peers, intervals, seed, mix)
    rows = []
    for w in workers:
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        try:
            for _ in range(w - 1):
                cluster.add_node(num_cpus=1)
            ray.init(address=cluster.address, log_to_driver=False, logging_level="warning")
            _, _, rep = run_admm(sc, shards=w, engine="ray", max_iterations=passes, eps_abs=0.0, eps_rel=0.0)
        finally:
            ray.shutdown()
            cluster.shutdown()
        warm = slice(1, None) if rep.iterations > 1 else slice(None)  # the first pass is a cold start
        wall = float(np.mean(rep.iteration_s[warm]))
        coord = float(np.mean(rep.coordinator_s[warm]))
        slowest = float(np.mean(rep.shard_max_s[warm]))
        rows.append(
            {
                "workers": w,
                "pass_s": wall,
                "coordinator_s": coord,
                "slowest_shard_s": slowest,
                "all_shards_s": float(np.mean(rep.shard_sum_s[warm])),
                "all_shards_cpu_s": float(np.mean(rep.shard_cpu_s[warm])),
                "overhead_s": max(wall - coord - slowest, 0.0),
            }
        )
    total = float(np.mean([r["all_shards_cpu_s"] for r in rows]))
    coord = float(np.mean([r["coordinator_s"] for r in rows]))
    ws = np.array([r["workers"] for r in rows], dtype=float)
    over = np.array([r["overhead_s"] for r in rows])
    slope, intercept = np.polyfit(ws, over, 1) if len(rows) > 1 else (0.0, float(over[0]))
    if slope < 0:  # noise: overhead cannot fall with more workers; take the largest measured
        slope, intercept = 0.0, float(over.max())
    model = coord + total / model_for + intercept + slope * model_for
    return {
        "peers": peers,
        "intervals": intervals,
        "passes": passes,
        "curve": rows,
        "model": {
            "workers": model_for,
            "pass_s": model,
            "coordinator_s": coord,
            "all_shards_cpu_s": total,
            "overhead_per_worker_s": float(slope),
            "overhead_fixed_s": float(intercept),
        },
    }
