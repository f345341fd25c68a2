"""Ray, when it is wanted: join or start a cluster, and count its CPUs.

``ensure_ray(address=None)`` connects to the cluster at ``address`` (or ``RAY_ADDRESS``), or starts
a local one (``ray.init()``) if none is running, and returns the number of CPUs Ray can use. The
caller that started Ray shuts it down (``ray_session`` does both). Ray is imported here only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def ensure_ray(address: str | None = None, num_cpus: int | None = None) -> int:
    """Join (or start) Ray; the cluster's CPU count."""
    import os

    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no GPUs here: keep Ray quiet
    os.environ.setdefault("RAY_enable_metrics_collection", "0")  # no metrics agent without dashboard
    import ray

    if not ray.is_initialized():
        kwargs: dict[str, Any] = {
            "address": address,
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": "warning",
        }
        if address is None and num_cpus is not None:
            kwargs["num_cpus"] = num_cpus
        ray.init(**kwargs)
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[int]:
    """Ray for the duration of a ``with`` block; shut down afterwards if this block started it."""
    import ray

    started = not ray.is_initialized()
    try:
        yield ensure_ray(address, num_cpus)
    finally:
        if started and ray.is_initialized():
            ray.shutdown()
