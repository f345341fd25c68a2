"""``flexunity bench``: benchmarks that print their figures (never timed assertions in tests).

Each subcommand calls the room that owns the measured code and prints a table:
- ``clearing``: model size, build and solve time, peak memory of one clearing (flexunity.optimize);
- ``gas``: gas per on-chain step of a round (flexunity.chain);
- ``round``: wall time and gas of a whole round end to end on anvil (flexunity.oracle);
- ``designs``: run time of every market design of the laboratory (flexunity.lab).
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table


@click.group()
def bench() -> None:
    """Benchmarks: clearing size and speed, gas, end-to-end rounds, market designs."""


@bench.command()
@click.option("--peers", "peers_list", default="40", show_default=True, help="Peer counts, comma-separated.")
@click.option("--intervals", default=96, show_default=True, help="Intervals per round.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--mix",
    default=None,
    help="Asset shares for the realistic generator, e.g. 'pv=0.3,battery=0.05,ev=0.1' "
    "(keys: business, pv, battery, ev, curtailable, shiftable; others keep their defaults). "
    "Default: the benchmark's own flexible-heavy community.",
)
@click.option(
    "--quadratic-share",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Share of peers given a quadratic cost function (benchmark.with_cost_functions).",
)
@click.option(
    "--quadratic",
    type=click.Choice(["exact", "pwl", "both"]),
    default="exact",
    show_default=True,
    help="Quadratic costs solved exactly (a QP, Clarabel), on chords (an LP, HiGHS), or both.",
)
@click.option(
    "--engine",
    type=click.Choice(["highs", "dw", "dw-ray", "admm", "ray"]),
    default="highs",
    show_default=True,
    help="highs: the monolithic LP; dw: Dantzig-Wolfe, shards on threads; dw-ray: its shards as Ray "
    "actors; admm: ADMM with shards in process; ray: ADMM shards as Ray actors (local Ray, or "
    "RAY_ADDRESS). Decomposition rows also solve the monolithic LP for the gap (--no-compare skips).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="ADMM shards; DW threads or actors.",
)
@click.option("--compare/--no-compare", default=True, help="ADMM, DW: also solve the monolithic LP.")
@click.option(
    "--general",
    is_flag=True,
    help="No two assets scaled copies: every battery its own C-rates, efficiencies and initial "
    "state, every EV and shiftable load its own window (benchmark.general_case).",
)
@click.option(
    "--end-to-end",
    is_flag=True,
    help="Time all of `clear` (dispatch, bills, standalone bills, result document), wall and CPU.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clearing(
    peers_list: str,
    intervals: int,
    seed: int,
    mix: str | None,
    quadratic_share: float,
    quadratic: str,
    engine: str,
    workers: int,
    compare: bool,
    general: bool,
    end_to_end: bool,
    as_json: bool,
) -> None:
    """Build and solve one clearing per peer count; print size, times and memory (or ADMM figures)."""
    from flexunity.data.generator import parse_mix
    from flexunity.optimize.benchmark import run_clearing_benchmark

    try:
        shares = None if mix is None else parse_mix(mix)
        counts = [int(n) for n in peers_list.split(",")]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mix or --peers") from None
    if end_to_end and engine not in ("ray", "dw-ray"):
        from flexunity.optimize.benchmark import run_clear_benchmark

        rows = [
            run_clear_benchmark(n, intervals, seed, mix=shares, general=general, engine=engine)
            for n in counts
        ]
    elif engine in ("dw", "dw-ray"):
        from flexunity.optimize.dw_benchmark import run_dw_benchmark
        from flexunity.optimize.ray_runtime import ray_session

        def run_dw() -> list[dict[str, Any]]:
            return [
                run_dw_benchmark(
                    n,
                    intervals,
                    seed,
                    mix=shares,
                    general=general,
                    engine="ray" if engine == "dw-ray" else "local",
                    workers=workers,
                    compare=compare,
                )
                for n in counts
            ]

        if engine == "dw-ray":
            with ray_session(num_cpus=workers):
                rows = run_dw()
        else:
            rows = run_dw()
    elif engine == "highs":
        modes = ["pwl", "exact"] if quadratic == "both" else [quadratic]
        rows = [
            run_clearing_benchmark(
                n,
                intervals,
                seed=seed,
                mix=shares,
                quadratic_share=quadratic_share,
                quadratic=mode,
                general=general,
            )
            for n in counts
            for mode in modes
        ]
    else:
        from flexunity.optimize.admm.benchmark import run_admm_benchmark
        from flexunity.optimize.ray_runtime import ray_session

        def run() -> list[dict[str, Any]]:
            return [
                run_admm_benchmark(
                    n,
                    intervals,
                    seed,
                    mix=shares,
                    engine="local" if engine == "admm" else "ray",
                    workers=workers,
                    compare=compare,
                )
                for n in counts
            ]

        if engine == "ray":
            with ray_session():
                rows = run()
        else:
            rows = run()
    _print(rows, "Clearing benchmark", as_json, tall=True)


@bench.command(name="scaled-copies")
@click.option("--pilot", type=click.Choice(["corby", "iberia"]), default=None)
@click.option("--peers", type=int, default=None, help="A generated community of this many peers instead.")
@click.option("--intervals", default=96, show_default=True)
@click.option("--mix", default=None, help="Realistic generator's asset shares (default: its default mix).")
@click.option("--solve/--no-solve", default=True, help="Also time the solve of both communities.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def scaled_copies(
    pilot: str | None, peers: int | None, intervals: int, mix: str | None, solve: bool, as_json: bool
) -> None:
    """Exact aggregation of scaled copies: what merges in a pilot or generated community, and the gain."""
    from flexunity.data.generator import parse_mix
    from flexunity.optimize.benchmark import generated_community, run_copies_benchmark

    if peers is None:
        from flexunity.data.pilots.registry import build_pilot
        from flexunity.data.scenario_io import scenario_from_dict

        name = pilot or "corby"
        sc = scenario_from_dict(build_pilot(name, "2025-06-18"), source=f"pilot {name}")
    else:
        sc = generated_community(peers, intervals, parse_mix(mix or ""))
    _print(run_copies_benchmark(sc, solve=solve), "Scaled copies", as_json)


@bench.command(name="admm-scaling")
@click.option("--peers", default=200, show_default=True)
@click.option("--intervals", default=96, show_default=True)
@click.option("--workers", "workers_list", default="1,2,4", show_default=True, help="Nodes (and shards).")
@click.option("--passes", default=10, show_default=True, help="ADMM passes timed per cluster size.")
@click.option("--model-for", default=64, show_default=True, help="Workers of the modelled cluster.")
@click.option("--mix", default=None, help="Realistic generator's asset shares (as for clearing).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def admm_scaling(
    peers: int, intervals: int, workers_list: str, passes: int, model_for: int, mix: str | None, as_json: bool
) -> None:
    """Per-pass ADMM time on Ray clusters of 1, 2, 4, … one-CPU nodes (ray.cluster_utils) and a
    model for a larger cluster."""
    from flexunity.data.generator import parse_mix
    from flexunity.optimize.admm.benchmark import run_scaling_benchmark

    shares = None if mix is None else parse_mix(mix)
    counts = [int(w) for w in workers_list.split(",")]
    out = run_scaling_benchmark(peers, intervals, counts, mix=shares, passes=passes, model_for=model_for)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    _print(out["curve"], f"ADMM pass time, {peers} peers × {intervals}, {passes} passes", False)
    _print(out["model"], f"Model for {model_for} workers", False)


@bench.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def gas(as_json: bool) -> None:
    """Gas of every on-chain step of a round, measured on a fresh chain."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from flexunity.chain.gas_report import STEPS, run_gas_benchmark
    from flexunity.demo.benchmark import generated_order_payloads

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("gas benchmark", total=STEPS)

        def report(step: str) -> None:
            progress.update(task, advance=1, description=f"gas benchmark: {step}")

        rows = run_gas_benchmark(generated_order_payloads(50, 24), report=report)
    _print(rows, "Gas report", as_json)


@bench.command(name="round")
@click.option("--pilot", type=click.Choice(["corby", "iberia"]), default=None)
@click.option("--peers", type=int, default=None, help="A generated community of this many peers instead.")
@click.option("--intervals", type=int, default=48, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def round_(pilot: str | None, peers: int | None, intervals: int, as_json: bool) -> None:
    """One round end to end on anvil: wall time per step and gas."""
    from flexunity.demo.benchmark import run_round_benchmark

    _print(run_round_benchmark(pilot=pilot, peers=peers, intervals=intervals), "Round benchmark", as_json)


@bench.command()
@click.option("--pilot", type=click.Choice(["corby", "iberia"]), default=None)
@click.option("--peers", type=int, default=None, help="A generated community of this many peers instead.")
@click.option("--intervals", type=int, default=96, show_default=True, help="Intervals (generated community).")
@click.option("--days", type=click.IntRange(1, 31), default=1, show_default=True)
@click.option(
    "--designs", default="none,community,pay-as-clear,pay-as-bid,cda,bilateral,hybrid", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def designs(
    pilot: str | None, peers: int | None, intervals: int, days: int, designs: str, as_json: bool
) -> None:
    """Run time (and on-chain cost) of each market design on a pilot or a generated community."""
    from flexunity.lab.benchmark import run_designs_benchmark

    title, rows = run_designs_benchmark(pilot, peers, intervals, days, designs)
    _print(rows, title, as_json)


def _print(
    rows: list[dict[str, Any]] | dict[str, Any], title: str, as_json: bool, *, tall: bool = False
) -> None:
    """Records as a table: one row per record, or (``tall``, and always for a single record) one
    row per figure and one column per record, which fits any terminal when records are few."""
    rows = [rows] if isinstance(rows, dict) else rows
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=title)
    keys = list(dict.fromkeys(key for row in rows for key in row))
    if tall or len(rows) == 1:
        table.add_column("figure")
        for i in range(len(rows)):
            table.add_column("value" if len(rows) == 1 else f"run {i + 1}", justify="right")
        for key in keys:
            table.add_row(key, *(_cell(row.get(key)) for row in rows))
    else:
        for key in keys:
            numeric = all(isinstance(row.get(key), int | float) for row in rows if key in row)
            table.add_column(key, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*(_cell(row.get(key)) for key in keys))
    Console().print(table)


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
