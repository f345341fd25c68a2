"""Where the ADMM shards run: in this process, or as Ray actors (one per shard) on a Ray cluster.

Both offer ``call(method, args_per_shard)``, returning each shard's result in shard order, so the
ADMM loop (run.py) does not know where its shards live. Ray is imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from flexunity.model import Scenario
from flexunity.optimize.admm.local import ShardSolver

#: a shard's peers, where their PV spill is kept, and each peer's grid class
Shard = tuple[Scenario, npt.NDArray[np.bool_], npt.NDArray[np.int64]]


class LocalShards:
    """Shards as plain objects in this process, solved one after the other."""

    engine = "local"

    def __init__(self, shards: Sequence[Shard], fee: float, rho: float, classes: int) -> None:
        self.solvers = [ShardSolver(sub, spill, fee, rho, of, classes) for sub, spill, of in shards]

    def call(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [getattr(s, method)(*a) for s, a in zip(self.solvers, args, strict=True)]

    def close(self) -> None:
        self.solvers = []


class RayShards:
    """One Ray actor per shard, holding its OSQP model between passes; only positions travel."""

    engine = "ray"

    def __init__(self, shards: Sequence[Shard], fee: float, rho: float, classes: int) -> None:
        import ray

        actor = ray.remote(num_cpus=1)(ShardSolver)
        self.ray = ray
        self.actors = [actor.remote(sub, spill, fee, rho, of, classes) for sub, spill, of in shards]  # type: ignore[attr-defined]

    def call(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        refs = [getattr(a, method).remote(*x) for a, x in zip(self.actors, args, strict=True)]
        return list(self.ray.get(refs))

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
