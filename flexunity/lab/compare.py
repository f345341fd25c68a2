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
from flexunity.optimize.bills import Bill

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
    engine: str = "local",
) -> Comparison:
    """Run every design in ``specs`` (``none`` first) for ``days`` days.

    ``engine`` "local" runs them here, day by day; "ray" runs the designs as Ray tasks (``jobs``:
    each design's days stay in order, since batteries and agents carry over; the community rules,
    which share one dispatch, are one task), after ``none``, whose bills the community rules read.
    Both give the same comparison (tests/lab/test_compare_on_ray.py)."""
    prefs = dict(DEFAULT_PREFERENCES if preferences is None else preferences)
    first = days_of(0)
    groups = grouping.assign(first, group_by)
    indexed = list(enumerate(specs))
    if engine == "ray":
        done = _run_on_ray(days_of, indexed, days, seed, groups, prefs, progress)
    else:
        done = [_run_job(days_of, indexed, days, seed, groups, prefs, None, progress)]
    tallies = {i: t for job in done for i, t in job.tallies.items()}
    last = {label: out for job in done for label, out in job.last.items()}
    return Comparison(
        first.name,
        source,
        days,
        len(first.peers),
        first.intervals,
        first.interval_minutes,
        first.currency,
        [tallies[i] for i in range(len(specs))],
        groups,
        {"seed": seed, "group_by": group_by, "preferences": prefs},
        {s.label: last[s.label] for s in specs},
    )


@dataclass
class JobResult:
    """Some designs' tallies (by position in the comparison), last days, and ``none``'s bills."""

    tallies: dict[int, Tally]
    last: dict[str, Outcome]
    alone: list[dict[str, Bill]]  # per day, when ``none`` was in the job


def jobs(indexed: list[tuple[int, Spec]]) -> tuple[list[tuple[int, Spec]], list[list[tuple[int, Spec]]]]:
    """``none`` (run first), then independent jobs: the community rules together (one dispatch per
    day serves them all), every other design on its own."""
    baseline = [(i, s) for i, s in indexed if s.kind == "none"]
    shared = [(i, s) for i, s in indexed if s.kind == "community"]
    rest = [[(i, s)] for i, s in indexed if s.kind not in ("none", "community")]
    return baseline, ([shared] if shared else []) + rest


def _run_on_ray(
    days_of: DaySource,
    indexed: list[tuple[int, Spec]],
    days: int,
    seed: int,
    groups: Mapping[str, str],
    prefs: Mapping[str, float],
    progress: Progress | None,
) -> list[JobResult]:
    """``none`` as one Ray task, then the other jobs as Ray tasks given its bills (the caller has
    joined or started Ray: optimize.ray_runtime)."""
    import ray

    report = progress or (lambda stage, done, total: None)
    baseline, rest = jobs(indexed)
    task = ray.remote(num_cpus=1)(_run_job)
    report("designs", 0, len(indexed))
    head: JobResult = ray.get(task.remote(days_of, baseline, days, seed, groups, prefs, None, None))
    report("designs", len(baseline), len(indexed))
    pending = [task.remote(days_of, job, days, seed, groups, prefs, head.alone, None) for job in rest]
    done, finished = [head], len(baseline)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        result: JobResult = ray.get(ready[0])
        done.append(result)
        finished += len(result.tallies)
        report("designs", finished, len(indexed))
    return done


def _run_job(
    days_of: DaySource,
    job: list[tuple[int, Spec]],
    days: int,
    seed: int,
    groups: Mapping[str, str],
    prefs: Mapping[str, float],
    alone_bills: list[dict[str, Bill]] | None,
    progress: Progress | None,
) -> JobResult:
    """The designs of ``job`` (position in the comparison, spec) over ``days`` days, day by day.
    The community rules need ``none``'s bills of each day: from ``none`` in this job, else
    ``alone_bills``."""
    report = progress or (lambda stage, done, total: None)
    tallies = {i: Tally(s.label, method(s, groups, prefs)) for i, s in job}
    soc: dict[Spec, dict[str, float]] = {s: {} for _, s in job}
    first = days_of(0)
    markets = {
        s: MarketState(Agents(s.option, len(first.peers), seed=seed + i))
        for i, s in job
        if s.kind in ("pay-as-clear", "pay-as-bid", "cda")
    }
    last: dict[str, Outcome] = {}
    alone_days: list[dict[str, Bill]] = []
    total = days * len(job)
    for day in range(days):
        base = first if day == 0 else days_of(day)
        alone = None if alone_bills is None else alone_bills[day]
        shared: dict[tuple[tuple[str, float], ...], Any] = {}
        for k, (i, spec) in enumerate(job):
            report(f"day {day + 1}/{days}: {spec.label}", day * len(job) + k, total)
            sc = carry_soc(base, soc[spec])
            if spec.kind == "none":
                out = none.run(sc)
                alone = out.bills
                alone_days.append(out.bills)
            elif spec.kind == "community":
                key = tuple(sorted(soc[spec].items()))  # rules share a dispatch when their state agrees
                if key not in shared:
                    shared[key] = community.dispatch(sc)
                d, solve_s = shared[key]
                assert alone is not None, "the community rules need none's bills of the day"
                out = community.run(sc, spec.option, d, solve_s, alone)
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
            tallies[i].add(out)
            last[spec.label] = out
        report("designs", (day + 1) * len(job), total)
    return JobResult(tallies, last, alone_days)
