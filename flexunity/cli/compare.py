"""``flexunity compare SCENARIO --designs ... [--days N] --out DIR``: market designs side by side."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

DEFAULT_DESIGNS = "none,community,pay-as-clear,pay-as-bid,cda,bilateral,hybrid"


@click.command()
@click.argument("scenario")
@click.option(
    "--designs",
    default=DEFAULT_DESIGNS,
    show_default=True,
    help="Comma-separated: none, community (every rule of --rules) or community-RULE, pay-as-clear, "
    "pay-as-bid, cda (each with every agent of --agents), bilateral, hybrid.",
)
@click.option(
    "--agents", default="truthful,zic,zip", show_default=True, help="Auction agents: truthful, zic, zip."
)
@click.option(
    "--rules", default="dual,sdr,mmr,bill-sharing", show_default=True, help="Community pricing rules."
)
@click.option(
    "--days", type=click.IntRange(1, 366), default=1, show_default=True, help="Days, batteries carried."
)
@click.option("--start", default=None, help="First day of a pilot (YYYY-MM-DD) [default 2026-06-15].")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the agents and the pilot profiles."
)
@click.option(
    "--groups",
    "group_by",
    default="auto",
    show_default=True,
    help="Sub-communities: auto, kind, country, metadata:KEY.",
)
@click.option(
    "--preferences",
    default="green=0.02,local=0.01",
    show_default=True,
    help="Bilateral product differentiation, currency/kWh (also runs bilateral without); 'none' to skip.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="ray: the designs as Ray tasks (each design's days in order; the community rules one task).",
)
@click.option("--address", default=None, help="Ray cluster to join (default: RAY_ADDRESS, else a local one).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for report.html, kpis.csv/json, peers.csv.",
)
def compare(
    scenario: str,
    designs: str,
    agents: str,
    rules: str,
    days: int,
    start: str | None,
    seed: int,
    group_by: str,
    preferences: str,
    engine: str,
    address: str | None,
    out: Path,
) -> None:
    """Compare market designs on SCENARIO (a pilot name: corby, iberia; or a scenario file/folder)."""
    from flexunity.errors import InputError
    from flexunity.lab import compare as lab
    from flexunity.lab import report
    from flexunity.lab.days import source
    from flexunity.lab.designs_spec import parse

    prefs = _preferences(preferences)
    specs = parse(designs, agents, rules, preferences=bool(prefs))
    try:
        days_of, described = source(scenario, start, seed)
    except ValueError as exc:
        raise InputError(str(exc), where="--start") from None
    with _progress() as progress, _ray_if(engine, address):
        result = lab.run(
            days_of,
            specs,
            days,
            seed=seed,
            group_by=group_by,
            preferences=prefs,
            progress=progress,
            source=described,
            engine=engine,
        )
        paths = report.write(result, out)
    _print(result.kpis(), result.currency)
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@contextmanager
def _ray_if(engine: str, address: str | None) -> Iterator[None]:
    """Ray for the comparison when ``engine`` is ray (joined at ``address`` or started here)."""
    if engine != "ray":
        yield
        return
    from flexunity.optimize.ray_runtime import ray_session

    with ray_session(address):
        yield


def _preferences(text: str) -> dict[str, float]:
    from flexunity.errors import InputError

    if text.strip().lower() in ("", "none"):
        return {}
    out: dict[str, float] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip() not in ("green", "local"):
            raise InputError(
                f"unknown preference {key.strip()!r}; use green=X,local=Y", where="--preferences"
            )
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"{part!r} is not KEY=NUMBER", where="--preferences") from None
        if out[key.strip()] < 0:
            raise InputError(f"{part!r}: a preference cost cannot be negative", where="--preferences")
    return out


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """One bar over designs × days, the current design in its description; silent off a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (SpinnerColumn(), "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if "id" not in task:
                task["id"] = bar.add_task(stage, total=total)
            bar.update(task["id"], completed=done, total=total, description=stage)

        yield report


def _print(kpis: list[dict[str, Any]], currency: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from flexunity.lab.report import fmt

    table = Table(title=f"Market designs ({currency}; saving against no trading)")
    cols = [
        ("design", "design", "text"),
        ("total_cost", "total cost", "money"),
        ("saving", "saving", "money"),
        ("ir_violations", "IR viol.", "int"),
        ("self_sufficiency", "self-suff.", "pct"),
        ("internal_traded_kwh", "traded kWh", "num"),
        ("allocative_efficiency", "efficiency", "pct"),
        ("seconds", "time s", "num"),
        ("gas_per_day", "gas / day", "int"),
        ("gas_basis", "gas basis", "text"),
    ]
    for key, title, _ in cols:
        table.add_column(title, justify="left" if key in ("design", "gas_basis") else "right")
    for row in kpis:
        table.add_row(*(fmt(row[key], kind) for key, _, kind in cols))
    Console(width=None if Console().is_terminal else 150).print(table)
