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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clearing(peers_list: str, intervals: int, seed: int, mix: str | None, as_json: bool) -> None:
    """Build and solve one clearing per peer count; print size, times and memory."""
    from flexunity.data.generator import parse_mix
    from flexunity.optimize.benchmark import run_clearing_benchmark

    try:
        shares = None if mix is None else parse_mix(mix)
        counts = [int(n) for n in peers_list.split(",")]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mix or --peers") from None
    rows = [run_clearing_benchmark(n, intervals, seed=seed, mix=shares) for n in counts]
    _print(rows, "Clearing benchmark", as_json, tall=True)


@bench.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def gas(as_json: bool) -> None:
    """Gas of every on-chain step of a round, measured on a fresh chain."""
    from flexunity.chain.gas_report import run_gas_benchmark

    _print(run_gas_benchmark(), "Gas report", as_json)


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
