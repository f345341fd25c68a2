"""The demo's options, its step timer and its scenario (a pilot or a generated community of a day)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Reporter = Callable[[str], None]
GATE_SECONDS = 3600  # orders are open for an hour of devnet time
DEFAULT_DAY = "2026-06-15"  # a June weekday: PV surplus, so the community trades (any --date works)


@dataclass
class DemoOptions:
    pilot: str | None = "corby"
    peers: int | None = None  # a generated community of this size instead of a pilot
    intervals: int = 48
    rounds: int = 1
    day: str | None = None
    out: Path = Path("demo-out")
    network: str = "anvil"
    seed: int = 0
    challenge_window: int = 600
    settle_batch: int = 100
    relay_batch: int = 50
    audit: bool = True
    plot: bool = True
    withdraw: bool = True
    revenue: bool = True  # step 7: balancing-market revenue, shared and paid out on chain
    revenue_rule: str = "pro-rata"
    revenue_product: str | None = None  # None: the first preset in the round's currency that fits
    keep_devnet: bool = False  # leave anvil running afterwards (its pid in DemoResult.devnet_pid)


class Timer:
    def __init__(self, wall: dict[str, float], report: Reporter) -> None:
        self.wall, self.report = wall, report

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.wall[name] = self.wall.get(name, 0.0) + elapsed
        self.report(f"[done] {name} ({elapsed:.2f} s)")


def build_scenario(options: DemoOptions, day: str) -> dict[str, Any]:
    from flexunity.data.scenario_io import scenario_from_dict, scenario_to_dict

    if options.peers is not None:
        from flexunity.data.generator import generate_community

        raw = generate_community(options.peers, options.intervals, seed=options.seed, start=day)
    else:
        from flexunity.data.pilots.registry import build_pilot

        raw = build_pilot(options.pilot or "corby", day, seed=options.seed)
    return scenario_to_dict(scenario_from_dict(raw))
