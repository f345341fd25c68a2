"""Independent optimisation work spread over a Ray cluster: the standalone bills of a community.

Every peer's standalone bill is its own LP, so chunks of ``clearing.STANDALONE_CHUNK`` peers run as
Ray tasks, each the same block-diagonal solve ``standalone_bills`` does in process. Results come
back as they finish (``ray.wait``), which drives the progress display. Ray must be initialised
(``ray_runtime.ensure_ray``); it is imported here only when called.
"""

from __future__ import annotations

from flexunity.model import Scenario
from flexunity.optimize.bills import Bill
from flexunity.optimize.clearing import STANDALONE_CHUNK, Progress, standalone_bills


def standalone_bills_on_ray(scenario: Scenario, progress: Progress | None = None) -> dict[str, Bill | None]:
    """``clearing.standalone_bills`` with its chunks as Ray tasks (same bills, in peer order)."""
    import ray

    from flexunity.optimize.ray_runtime import ensure_ray

    ensure_ray()
    ids = scenario.peer_ids
    task = ray.remote(num_cpus=1)(standalone_bills)
    pending = [
        task.remote(scenario.subset(ids[start : start + STANDALONE_CHUNK]), None, 1)  # type: ignore[attr-defined,call-arg]
        for start in range(0, len(ids), STANDALONE_CHUNK)
    ]
    found: dict[str, Bill | None] = {}
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        found.update(ray.get(done[0]))
        if progress is not None:
            progress("standalone bills", len(found), len(ids))
    return {pid: found[pid] for pid in ids}
