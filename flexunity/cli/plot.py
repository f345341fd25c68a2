"""``flexunity plot SCENARIO RESULT.json --out day.png``: one PNG of a cleared day."""

from __future__ import annotations

import json
from pathlib import Path

import click

from flexunity.errors import InputError


@click.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, path_type=Path))
@click.argument(
    "result_path", metavar="RESULT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out", "out", default="day.png", show_default=True, type=click.Path(dir_okay=False, path_type=Path)
)
def plot(scenario_path: Path, result_path: Path, out: Path) -> None:
    """Plot community load, PV, grid import/export, battery state and prices of a cleared round."""
    from flexunity.report.plots import plot_day

    try:
        result = json.loads(result_path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", where=str(result_path)) from None
    if not isinstance(result, dict):
        raise InputError("expected a JSON object (a flexunity clear result)", where=str(result_path))
    click.echo(f"wrote {plot_day(scenario_path, result, out)}")
