"""Run several market designs on the same scenario and the same assets, day after day.

Every design keeps its own batteries' state (carried to the next day), its own agents (seeded; ZIP
agents keep learning) and its own expected prices. ``none`` runs first on every day: it is the
baseline of every saving and of individual rationality.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexunity.lab import groups as grouping
from flexunity.lab.agents import Agents
from flexunity.lab.days import DaySource, carry_soc
from flexunity.lab.designs import bilateral, cda, community, hybrid, none, periodic
from flexunity.lab.designs_spec import AGENT_NAMES, Spec
from flexunity.lab.outcome import Outcome
from flexunity.lab.positions import MarketState
from flexunity.lab.tally import Tally

Progress = Callable[[str, int, int], None]
DEFAULT_PREFERENCES = {"green": 0.02, "local": 0.01}


@dataclass
class Comparison:
    """The result of a comparison: one tally per design, plus what was compared."""

    scenario: str
    source: str
    days: int
    peers: int
    intervals: int
    interval_minutes: int
    currency: str
    tallies: list[Tally]
    groups: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    last_day: dict[str, Outcome] = field(default_factory=dict)

    @property
    def baseline(self) -> Tally:
        return self.tallies[0]

    def kpis(self) -> list[dict[str, Any]]:
        return [t.kpis(self.baseline) for t in self.tallies]

    def peer_rows(self) -> list[dict[str, Any]]:
        return [row for t in self.tallies for row in t.peer_rows(self.baseline)]


def method(spec: Spec, groups: Mapping[str, str], prefs: Mapping[str, float]) -> str:
    """The design in words, for the report."""
    agent = AGENT_NAMES.get(spec.option, spec.option)
    if spec.kind == "none":
        return none.METHOD
    if spec.kind == "community":
        return community.METHOD.format(rule=spec.option)
    if spec.kind in ("pay-as-clear", "pay-as-bid"):
        return periodic.METHOD.format(agent=agent, pricing=periodic.PRICING_WORDS[spec.kind])
    if spec.kind == "cda":
        return cda.METHOD.format(agent=agent, passes=cda.PASSES[spec.option])
    if spec.kind == "bilateral":
        words = ", ".join(f"{k} {v:g}/kWh" for k, v in prefs.items())
        return bilateral.METHOD.format(
            prefs=f" with product-differentiation costs ({words})" if spec.option else ""
        )
    names = sorted(set(groups.values()))
    return hybrid.METHOD.format(groups=", ".join(names))


def run(
    days_of: DaySource,
    specs: list[Spec],
    days: int = 1,
    *,
    seed: int = 0,
    group_by: str = "auto",
    preferences: Mapping[str, float] | None = None,
    progress: Progress | None = None,
    source: str = "",
) -> Comparison:
    """Run every design in ``specs`` (``none`` first) for ``days`` days."""
    report = progress or (lambda stage, done, total: None)
    prefs = dict(DEFAULT_PREFERENCES if preferences is None else preferences)
    first = days_of(0)
    groups = grouping.assign(first, group_by)
    tallies = [Tally(s.label, method(s, groups, prefs)) for s in specs]
    soc: dict[Spec, dict[str, float]] = {s: {} for s in specs}
    markets = {
        s: MarketState(Agents(s.option, len(first.peers), seed=seed + i))
        for i, s in enumerate(specs)
        if s.kind in ("pay-as-clear", "pay-as-bid", "cda")
    }
    last: dict[str, Outcome] = {}
    total = days * len(specs)
    for day in range(days):
        base = first if day == 0 else days_of(day)
        alone: Outcome | None = None
        shared: dict[tuple[tuple[str, float], ...], Any] = {}
        for k, spec in enumerate(specs):
            report(f"day {day + 1}/{days}: {spec.label}", day * len(specs) + k, total)
            sc = carry_soc(base, soc[spec])
            if spec.kind == "none":
                out = alone = none.run(sc)
            elif spec.kind == "community":
                key = tuple(sorted(soc[spec].items()))  # rules share a dispatch when their state agrees
                if key not in shared:
                    shared[key] = community.dispatch(sc)
                d, solve_s = shared[key]
                assert alone is not None
                out = community.run(sc, spec.option, d, solve_s, alone.bills)
            elif spec.kind in ("pay-as-clear", "pay-as-bid"):
                out = periodic.run(sc, markets[spec], spec.kind)
            elif spec.kind == "cda":
                out = cda.run(sc, markets[spec])
            elif spec.kind == "bilateral":
                out = bilateral.run(sc, groups, prefs if spec.option else {})
            else:
                out = hybrid.run(sc, groups)
            out.design = spec.label
            soc[spec] = out.soc_end()
            tallies[k].add(out)
            last[spec.label] = out
        report("designs", (day + 1) * len(specs), total)
    return Comparison(
        first.name,
        source,
        days,
        len(first.peers),
        first.intervals,
        first.interval_minutes,
        first.currency,
        tallies,
        groups,
        {"seed": seed, "group_by": group_by, "preferences": prefs},
        last,
    )
