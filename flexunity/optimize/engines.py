"""Which path solves a community's dispatch: the monolithic HiGHS LP or the ADMM decomposition.

``engine`` is "highs" (the aggregated LP in one HiGHS solve, solve.py), "admm" (the seed's ADMM,
admm/, shards in this process), "ray" (ADMM with one Ray actor per shard, on the cluster that
``ray.init`` joined, else a local one) or "auto": HiGHS below ``ADMM_MIN_FLEXIBLE_PEERS`` peers with
assets; above, ADMM on Ray when a cluster is configured (Ray already initialised, or
``RAY_ADDRESS`` set), else still HiGHS: on one machine ADMM in process was never faster. The
threshold and the figures behind it are in docs/distributed.md. Ray stays optional: it is imported
only on the "ray" path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from flexunity.errors import InputError
from flexunity.model import Scenario
from flexunity.optimize.solve import Dispatch, solve_dispatch

ENGINES = ("auto", "highs", "admm", "ray")
#: Peers with assets from which "auto" decomposes, on a configured Ray cluster only. Measured
#: (docs/distributed.md): on 2 cores the monolithic LP wins at 1,000 peers (20-24 s against about
#: 70 s of ADMM) and at 10,000 (24 min against an estimated 20-40); ADMM's passes divide by the
#: number of workers, the monolithic LP's time does not.
ADMM_MIN_FLEXIBLE_PEERS = 5_000

Progress = Callable[[str, int, int], None]


def flexible_count(scenario: Scenario) -> int:
    """Peers that carry variables in the aggregated LP (assets, cost function or useful PV spill)."""
    from flexunity.optimize.aggregate import flexible_peers, grid_classes, spill_useful

    classes = grid_classes(scenario)
    return int(flexible_peers(scenario, spill_useful(scenario, classes)[classes.of_peer]).sum())


def ray_available() -> bool:
    """Ray is installed (it is optional at run time)."""
    return importlib.util.find_spec("ray") is not None


def ray_cluster_configured() -> bool:
    """Ray is already running in this process, or ``RAY_ADDRESS`` names a cluster to join: "auto"
    uses Ray only then, and never starts a local cluster behind a caller's back (an oracle)."""
    import os
    import sys

    ray = sys.modules.get("ray")
    return bool(os.environ.get("RAY_ADDRESS")) or (ray is not None and ray.is_initialized())


def choose_engine(scenario: Scenario, engine: str = "auto") -> str:
    """The concrete engine for ``engine`` ("auto" decides by the number of flexible peers)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine != "auto":
        return engine
    if len(scenario.peers) < ADMM_MIN_FLEXIBLE_PEERS or flexible_count(scenario) < ADMM_MIN_FLEXIBLE_PEERS:
        return "highs"
    return "ray" if ray_available() and ray_cluster_configured() else "highs"


def solve_community(
    scenario: Scenario,
    engine: str = "auto",
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[Dispatch, str, dict[str, Any]]:
    """The dispatch, the engine that produced it, and that engine's report (empty for HiGHS)."""
    used = choose_engine(scenario, engine)
    if used == "highs":
        return solve_dispatch(scenario), used, {}
    from flexunity.optimize.admm import solve_admm

    if used == "ray":
        from flexunity.optimize.ray_runtime import ensure_ray

        workers = workers or ensure_ray()
    d, report = solve_admm(
        scenario, workers=workers or 2, engine="ray" if used == "ray" else "local", progress=progress
    )
    return d, used, report.to_dict()
