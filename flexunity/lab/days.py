"""Days of a comparison: the scenario of each day, and batteries' state carried from day to day."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from flexunity.model import Scenario

DaySource = Callable[[int], Scenario]


def source(scenario: str, start: str | None = None, seed: int = 0) -> tuple[DaySource, str]:
    """Scenarios by day index from a pilot name (one built day after another from ``start``) or a
    scenario file/folder (the same profiles every day); and a description of that choice."""
    from flexunity.data.pilots import PILOTS, build_pilot
    from flexunity.data.scenario_io import load_scenario, scenario_from_dict

    if scenario in PILOTS:
        first = date.fromisoformat(start) if start else date(2026, 6, 15)

        def pilot_day(i: int) -> Scenario:
            return scenario_from_dict(build_pilot(scenario, first + timedelta(days=i), seed=seed))

        return pilot_day, f"pilot {scenario}, days from {first.isoformat()}"
    base = load_scenario(Path(scenario))
    return (lambda i: base), f"{scenario} (the same profiles every day)"


def carry_soc(sc: Scenario, soc: Mapping[str, float]) -> Scenario:
    """The day with each battery starting where it ended the day before (label ``peer/battery``).

    The end-of-day minimum stays the scenario's own (soc_final, else its initial state), clipped to
    the capacity, so a day that starts fuller may end lower again, never below that minimum.
    """
    if not soc:
        return sc
    peers = []
    for p in sc.peers:
        bats = tuple(
            replace(
                b,
                soc_initial_kwh=min(
                    max(soc.get(f"{p.id}/{b.id}", b.soc_initial_kwh), b.soc_min_kwh), b.capacity_kwh
                ),
                soc_final_kwh=min(b.soc_final_min, b.capacity_kwh),
            )
            for b in p.batteries
        )
        peers.append(replace(p, batteries=bats) if bats else p)
    return replace(sc, peers=tuple(peers))
