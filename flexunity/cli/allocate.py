"""``flexunity allocate``: share a community's P2P savings or a given value among its peers."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from flexunity.errors import InputError

RULE_HELP = (
    "equal | pro-rata | marginal | shapley | least-core | stakeholder | renewable | mix:RULE=W,... "
    "(e.g. mix:shapley=0.6,stakeholder=0.4); formulas in docs/allocation.md"
)


@click.command()
@click.option("--rule", required=True, help=RULE_HELP)
@click.option(
    "--scenario", type=click.Path(exists=True, path_type=Path), help="Share this scenario's P2P savings."
)
@click.option(
    "--value",
    "value_file",
    type=click.Path(exists=True, path_type=Path),
    help="Share the total of a flexunity-value/1 JSON file.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Also write the JSON report here.")
@click.option(
    "--samples", type=click.IntRange(min=2), help="Sampled Shapley with N (antithetic) permutations."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Shapley sampling.")
@click.option(
    "--decimals",
    type=click.IntRange(0, 18),
    default=2,
    show_default=True,
    help="Scenario savings: base units per currency unit = 10^decimals.",
)
@click.option("--flag", default="low_income", show_default=True, help="Stakeholder rule: metadata flag.")
@click.option(
    "--factor", type=float, default=2.0, show_default=True, help="Stakeholder rule: weight of flagged peers."
)
@click.option(
    "--bonus",
    type=float,
    default=0.5,
    show_default=True,
    help="Renewable rule: fraction shared by renewable energy.",
)
@click.option("--no-core", is_flag=True, help="Skip the core check.")
@click.option(
    "--method",
    type=click.Choice(["auto", "closed-form", "lp"]),
    default="auto",
    show_default=True,
    help="Scenario coalition values: closed form (inflexible peers only) or one LP per coalition.",
)
def allocate(
    rule: str,
    scenario: Path | None,
    value_file: Path | None,
    fmt: str,
    output: Path | None,
    samples: int | None,
    seed: int,
    decimals: int,
    flag: str,
    factor: float,
    bonus: float,
    no_core: bool,
    method: str,
) -> None:
    """Share savings (--scenario) or a given value (--value) by RULE, in exact integer base units."""
    from flexunity.allocation.rules import RuleOptions
    from flexunity.allocation.rules import allocate as run_rule

    if (scenario is None) == (value_file is None):
        raise InputError("give exactly one of --scenario or --value")
    options = RuleOptions(
        samples=samples,
        seed=seed,
        stakeholder_flag=flag,
        stakeholder_factor=factor,
        renewable_bonus=bonus,
        check_core=not no_core,
    )
    context: dict[str, object] = {}
    if value_file is not None:
        from flexunity.allocation.value_file import load_value_file

        inputs, total = load_value_file(value_file)
        context["source"] = str(value_file)
    else:
        from flexunity.allocation.scenario_game import savings_inputs

        assert scenario is not None
        with _solve_progress() as on_solve:
            inputs, total, context = savings_inputs(
                scenario, decimals=decimals, method=method, on_solve=on_solve
            )
            result = run_rule(rule, total, inputs, options)
        document = {**result.to_dict(), "context": context}
        return _write(document, result, context, fmt, output)
    result = run_rule(rule, total, inputs, options)
    _write({**result.to_dict(), "context": context}, result, context, fmt, output)


def _write(
    document: dict[str, Any], result: Any, context: dict[str, object], fmt: str, output: Path | None
) -> None:
    if output:
        output.write_text(json.dumps(document, indent=2, default=float))
    if fmt == "json":
        click.echo(json.dumps(document, indent=2, default=float))
    else:
        _table(result, context)


@contextlib.contextmanager
def _solve_progress() -> Iterator[Callable[[int], None]]:
    """A live line on stderr counting the coalition LPs solved (sampled Shapley can take minutes)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("coalition values: 0 LPs solved", total=None)
        yield lambda n: progress.update(task, description=f"coalition values: {n:,} LPs solved")


def _table(result, context: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Rule {result.rule}: {result.total} base units")
    table.add_column("peer")
    table.add_column("share", justify="right")
    table.add_column("exact", justify="right")
    for peer, share in result.shares.items():
        table.add_row(peer, str(share), f"{result.exact[peer]:.4f}")
    console = Console()
    console.print(table)
    shapley = result.report.get("shapley")
    if isinstance(shapley, dict) and "max_ci95_halfwidth" in shapley:
        console.print(
            f"sampled Shapley: {shapley['samples']} samples, max 95 % CI half-width "
            f"{shapley['max_ci95_halfwidth']:.4g} (game units)"
        )
    if result.core is not None:
        core = result.core
        verdict = (
            "in the core" if core.in_core else f"NOT in the core (coalition {list(core.worst_coalition)})"
        )
        console.print(
            f"core: {verdict}; max excess {core.max_excess:.4g}, least-core ε {core.least_core_epsilon}"
        )
    for key in ("method", "grand_coalition_value", "currency"):
        if key in context:
            console.print(f"{key}: {context[key]}")
