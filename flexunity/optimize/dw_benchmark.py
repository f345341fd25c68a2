"""Dantzig-Wolfe benchmark: iterations, wall and CPU time against the monolithic LP (HiGHS).

Printed by ``flexunity bench clearing --engine dw|dw-ray [--general]``; nothing here is asserted in
tests. CPU seconds are this process's (HiGHS's threads and the shard threads included; Ray actors'
work is ``shard_cpu_s``); the machine's load average is printed with them, since wall times on a
shared machine follow the load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from flexunity.optimize.dantzig_wolfe import solve_dantzig_wolfe


def run_dw_benchmark(
    peers: int,
    intervals: int,
    seed: int = 0,
    *,
    mix: Mapping[str, float] | None = None,
    general: bool = False,
    engine: str = "local",
    workers: int = 2,
    compare: bool = True,
) -> dict[str, Any]:
    """One Dantzig-Wolfe clearing (and, with ``compare``, the monolithic LP) of a benchmark
    community; shards as ``engines.dw_shards`` picks them, on ``workers`` threads ("local") or as
    Ray actors ("ray")."""
    from flexunity.optimize.benchmark import general_case, generated_community, random_community
    from flexunity.optimize.engines import dw_shards, flexible_count
    from flexunity.optimize.solve import check_feasible, solve_dispatch

    sc = (
        random_community(peers, intervals, seed)
        if mix is None
        else generated_community(peers, intervals, mix, seed)
    )
    if general:
        sc = general_case(sc, seed)
    flexible = flexible_count(sc)
    shards = dw_shards(flexible, workers, engine)
    wall, cpu = time.perf_counter(), time.process_time()
    d, report = solve_dantzig_wolfe(sc, shards=shards, engine=engine, threads=workers)
    row: dict[str, Any] = {
        "peers": peers,
        "intervals": intervals,
        "general": general,
        "flexible_peers": flexible,
        "workers": workers,
        **{k: v for k, v in report.to_dict().items() if k not in ("method",)},
        "dw_wall_s": time.perf_counter() - wall,
        "dw_cpu_s": time.process_time() - cpu,
        "load_average": os.getloadavg()[0],
    }
    if compare:
        row["violations"] = len(check_feasible(sc, d.to_dict()))
        wall, cpu = time.perf_counter(), time.process_time()
        mono = solve_dispatch(sc)
        row["monolithic_wall_s"] = time.perf_counter() - wall
        row["monolithic_cpu_s"] = time.process_time() - cpu
        row["monolithic_objective"] = mono.objective
        row["gap_to_monolithic"] = (d.objective - mono.objective) / max(1.0, abs(mono.objective))
        row["load_average_after"] = os.getloadavg()[0]
    return row
