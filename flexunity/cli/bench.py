"""``flexunity bench``: benchmarks that print their figures (never timed assertions in tests).

Each subcommand calls the room that owns the measured code and prints a table:
- ``clearing``: model size, build and solve time, peak memory of one clearing (flexunity.optimize);
- ``gas``: gas per on-chain step of a round (flexunity.chain);
- ``round``: wall time and gas of a whole round end to end on anvil (flexunity.oracle).
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table


@click.group()
def bench() -> None:
    """Benchmarks: clearing size and speed, gas, end-to-end rounds."""


@bench.command()
@click.option("--peers", "peers_list", default="40", show_default=True, help="Peer counts, comma-separated.")
@click.option("--intervals", default=96, show_default=True, help="Intervals per round.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clearing(peers_list: str, intervals: int, seed: int, as_json: bool) -> None:
    """Build and solve one clearing per peer count; print size, times and memory."""
    from flexunity.optimize.benchmark import run_clearing_benchmark

    rows = [run_clearing_benchmark(int(n), intervals, seed=seed) for n in peers_list.split(",")]
    _print(rows, "Clearing benchmark", as_json)


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
    from flexunity.oracle.benchmark import run_round_benchmark

    _print(run_round_benchmark(pilot=pilot, peers=peers, intervals=intervals), "Round benchmark", as_json)


def _print(rows: list[dict[str, Any]] | dict[str, Any], title: str, as_json: bool) -> None:
    rows = [rows] if isinstance(rows, dict) else rows
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if len(rows) == 1:  # one measurement: a tall two-column table fits any terminal
        table = Table(title=title)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in rows[0].items():
            table.add_row(key, _cell(value) if not isinstance(value, dict | list) else json.dumps(value))
        Console().print(table)
        return
    table = Table(title=title)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        table.add_column(column, justify="right" if _numeric(rows, column) else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    Console().print(table)


def _numeric(rows: list[dict[str, Any]], column: str) -> bool:
    return all(isinstance(row.get(column), int | float) for row in rows if column in row)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
