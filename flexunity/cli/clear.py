"""``flexunity clear SCENARIO --out RESULT.json``: dispatch, prices, bills and KPIs of one round."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

PRICING = ("dual", "sdr", "sdr-compensated", "mmr", "bill-sharing")


@click.command()
@click.argument("scenario", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Write the result document (JSON) here.")
@click.option(
    "--pricing",
    type=click.Choice(PRICING),
    default=None,
    help="Pricing rule [default: the scenario's, else dual].",
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option(
    "--enforce-ir/--no-enforce-ir",
    default=None,
    help="Add zero-sum side payments so no peer loses against standalone (default: the scenario's "
    "community.enforce_ir).",
)
@click.option(
    "--compensation", type=click.FloatRange(0, 1), default=None, help="c of sdr-compensated [default 0.5]."
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "highs", "dw", "dw-ray", "admm", "ray"]),
    default="auto",
    show_default=True,
    help="Who solves the dispatch: auto (by size, docs/distributed.md), highs (one LP), dw "
    "(Dantzig-Wolfe, exact, shards on threads), dw-ray (its shards as Ray actors), admm (the "
    "seed's ADMM in process, about 1e-3 from the optimum), ray (ADMM shards on a Ray cluster). "
    "With --many: ray, dw-ray or auto run one Ray task per scenario.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="ADMM shards, or DW threads or Ray actors [default: Ray's CPUs, or the machine's cores].",
)
@click.option("--address", default=None, help="Ray cluster to join (default: RAY_ADDRESS, else a local one).")
@click.option(
    "--many",
    is_flag=True,
    help="SCENARIO is a folder of scenarios (*.json or folders with scenario.json): clear each one "
    "as an independent job and write OUT/<name>.result.json (--out is the folder, default DIR/results).",
)
@click.option(
    "--rows",
    type=click.IntRange(0),
    default=40,
    show_default=True,
    help="Table: at most this many peers (those saving most and least); 0 for all.",
)
def clear(
    scenario: Path,
    out: Path | None,
    pricing: str | None,
    fmt: str,
    enforce_ir: bool | None,
    compensation: float | None,
    engine: str,
    workers: int | None,
    address: str | None,
    many: bool,
    rows: int,
) -> None:
    """Clear one round of SCENARIO (a JSON file or a folder with scenario.json and CSV profiles)."""
    from flexunity.data.scenario_io import load_scenario
    from flexunity.optimize import clear as run_clear

    if many:
        _clear_many(scenario, out, pricing, "ray" if engine == "dw-ray" else engine, address, fmt)
        return
    sc = load_scenario(scenario)
    options = {} if compensation is None else {"compensation": compensation}
    with _progress() as report, _ray_if(engine, address):
        result = run_clear(
            sc,
            pricing or sc.community.pricing,
            enforce_ir=enforce_ir,
            pricing_options=options,
            progress=report,
            engine=engine,
            workers=workers,
        )
    doc = result.to_dict()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1) + "\n")
    if fmt == "json":
        click.echo(json.dumps(doc, indent=1))
    else:
        _print_table(doc, rows)


@contextmanager
def _ray_if(engine: str, address: str | None) -> Iterator[None]:
    """Join the cluster at ``address`` (engine ray); shut down any Ray this clearing started."""
    import sys

    if engine in ("ray", "dw-ray") and address is not None:
        from flexunity.optimize.ray_runtime import ensure_ray

        ensure_ray(address)
    try:
        yield
    finally:
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            ray.shutdown()


def _clear_many(
    folder: Path, out: Path | None, pricing: str | None, engine: str, address: str | None, fmt: str
) -> None:
    """Every scenario of ``folder`` as an independent job; a summary table (or JSON rows)."""
    from rich.console import Console
    from rich.table import Table

    from flexunity.cli.clear_many import clear_folder
    from flexunity.errors import UserError

    if not folder.is_dir():
        raise click.BadParameter("with --many, SCENARIO must be a folder of scenarios", param_hint="SCENARIO")
    with _progress() as report:
        rows = clear_folder(
            folder,
            out or folder / "results",
            pricing=pricing,
            engine=engine,
            address=address,
            progress=report,
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1))
    else:
        table = Table(title=f"{len(rows)} scenarios of {folder}")
        for col in ("scenario", "peers", "objective", "saving", "engine", "seconds", "result or error"):
            table.add_column(col, justify="left" if col in ("scenario", "result or error") else "right")
        for r in rows:
            table.add_row(
                r["scenario"],
                str(r.get("peers", "—")),
                _money(r.get("objective")),
                _money(r.get("saving")),
                r.get("engine", "—"),
                f"{r['seconds']:.2f}",
                r.get("result") or r.get("error", ""),
            )
        Console(width=None if Console().is_terminal else 160).print(table)
    failed = [r["scenario"] for r in rows if "error" in r]
    if failed:
        raise UserError(f"{len(failed)} of {len(rows)} scenarios failed: {', '.join(failed[:10])}")


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress display on stderr (one bar per stage); silent when stderr is no terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (SpinnerColumn(), "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _peers_shown(doc: dict[str, Any], limit: int) -> tuple[list[str], str]:
    """All peers in document order, or (more than ``limit``) those saving most and least, by saving."""
    bills, standalone = doc["bills"], doc["standalone_bills"]
    if limit == 0 or len(bills) <= limit:
        return list(bills), ""

    def saving(pid: str) -> float:
        alone = standalone.get(pid)
        return float("-inf") if alone is None else alone["cost"] - bills[pid]["cost"]

    ranked = sorted(bills, key=saving, reverse=True)
    most = limit // 2
    note = (
        f"; {limit} of {len(bills):,} peers shown, the {most} saving most and the {limit - most} saving "
        "least (all of them: --rows 0, or the JSON result)"
    )
    return ranked[:most] + ranked[len(ranked) - (limit - most) :], note


def _engine_note(doc: dict[str, Any]) -> str:
    """ ", solved by ADMM (… passes, certified gap …)" when the dispatch did not come from HiGHS."""
    solver = doc.get("solver", {})
    if solver.get("engine", "highs") == "highs":
        return ", solved by HiGHS as one LP"
    where = "on Ray" if solver["engine"] in ("ray", "dw-ray") else "in process"
    gap = max(0.0, solver["certified_gap"])  # a bound above the value by rounding reads as 0
    if solver["engine"] in ("dw", "dw-ray"):
        return (
            f", solved by Dantzig-Wolfe {where} ({solver['iterations']} iterations, "
            f"{solver['shards']} shards, certified gap {gap:.1e})"
        )
    finish = solver.get("finish")
    if finish is None:
        return f", solved by ADMM {where} ({solver['iterations']} passes, certified gap {gap:.1e})"
    return (
        f", solved by ADMM {where} ({solver['iterations']} passes, gap {solver['admm_gap']:.1e}), "
        f"finished by Dantzig-Wolfe ({finish['iterations']} iterations, "
        f"certified gap {gap:.1e})"
    )


def _print_table(doc: dict[str, Any], limit: int = 0) -> None:
    """A readable summary: bills per peer (at most ``limit``, 0: all), then the community KPIs."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if Console().is_terminal else 140)
    shown, note = _peers_shown(doc, limit)
    rule, cur, obj = doc["pricing"]["rule"], doc["currency"], doc["objective"]
    table = Table(
        title=f"{doc['scenario']}: {doc['status']}, pricing {rule}, objective {obj:.2f} {cur}"
        + _engine_note(doc),
        caption="cost = bill + flexibility cost; saving = standalone cost - cost (positive: better off)"
        + note,
    )
    for col in (
        "peer",
        "trades",
        "import",
        "export",
        "fees",
        "G share",
        "side",
        "bill",
        "flex cost",
        "cost",
        "standalone cost",
        "saving",
    ):
        table.add_column(col, justify="left" if col == "peer" else "right")
    for pid in shown:
        b, s = doc["bills"][pid], doc["standalone_bills"].get(pid)
        saving = None if s is None else s["cost"] - b["cost"]
        table.add_row(
            pid,
            *(
                _money(b[k])
                for k in (
                    "trades",
                    "import",
                    "export",
                    "fees",
                    "community_grid",
                    "side_payment",
                    "total",
                    "flex_cost",
                )
            ),
            _money(b["cost"]),
            _money(None if s is None else s["cost"]),
            _money(saving),
        )
    console.print(table)
    kpis = Table(title="KPIs")
    kpis.add_column("KPI")
    kpis.add_column("value", justify="right")
    for key, value in doc["kpis"].items():
        kpis.add_row(
            key, "—" if value is None else f"{value:,.4g}" if isinstance(value, float) else str(value)
        )
    ir = doc["individual_rationality"]
    losers = ir["violations"]
    named = ", ".join(losers[:10]) + (f" and {len(losers) - 10:,} more" if len(losers) > 10 else "")
    kpis.add_row("individually rational", "yes" if ir["satisfied"] else f"no: {named}")
    console.print(kpis)
