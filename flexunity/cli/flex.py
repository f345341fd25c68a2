"""``flexunity flex``: compute, offer and deliver the community's balancing flexibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from flexunity.errors import InputError

SCENARIO = click.option(
    "--scenario",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Scenario file or folder (docs/scenario-format.md).",
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
OUTPUT = click.option("--output", "-o", type=click.Path(path_type=Path), help="Also write the JSON here.")
PRODUCT = click.option(
    "--product",
    required=True,
    help="Product name: GB-DTU, GB-STOR, GB-DC-L, GB-DC-H, IB-SIM, PT-REN-RR, SIM-LOCAL "
    "or one in --products.",
)
PRODUCTS = click.option(
    "--products",
    type=click.Path(exists=True, path_type=Path),
    help="A flexunity-products/1 file instead of the shipped presets.",
)
FIRM = click.option(
    "--no-firm", "no_firm", is_flag=True, help="Skip the joint deliverability check of the offered blocks."
)
SITES = click.option(
    "--sites",
    type=click.Choice(["peer", "community"]),
    default="peer",
    show_default=True,
    help="What counts as a site for the minimum site size.",
)


@click.group()
def flex() -> None:
    """Balancing-market participation: flexibility, offers, activation and delivery (docs/markets.md)."""


@flex.command()
@SCENARIO
@click.option("--product", help="Sustain batteries over this product's delivery duration.")
@PRODUCTS
@FORMAT
@OUTPUT
def compute(
    scenario: Path, product: str | None, products: Path | None, fmt: str, output: Path | None
) -> None:
    """Up/down flexibility per peer and interval around the cleared schedule."""
    from flexunity.markets import workflow
    from flexunity.markets.products import get_product

    cleared = workflow.clear_baseline(_load(scenario))
    chosen = get_product(product, products) if product else None
    doc = workflow.flexibility(cleared, chosen).to_dict()
    _emit(doc, fmt, output, lambda: _flex_table(doc))


@flex.command()
@SCENARIO
@PRODUCT
@PRODUCTS
@SITES
@FIRM
@FORMAT
@OUTPUT
def offer(
    scenario: Path,
    product: str,
    products: Path | None,
    sites: str,
    no_firm: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Aggregate flexibility into an offer to PRODUCT, or say why none can be made."""
    from flexunity.markets import workflow
    from flexunity.markets.products import get_product

    cleared = workflow.clear_baseline(_load(scenario))
    doc = workflow.offer(cleared, get_product(product, products), sites=sites, firm=not no_firm).to_dict()
    _emit(doc, fmt, output, lambda: _offer_table(doc))


@flex.command()
@SCENARIO
@PRODUCT
@PRODUCTS
@SITES
@FIRM
@click.option(
    "--activation", type=click.Path(exists=True, path_type=Path), help="flexunity-activation/1 file."
)
@click.option("--simulate", is_flag=True, help="Simulated system operator (seeded).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--probability",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Simulation: chance each offered block is activated.",
)
@click.option(
    "--failure",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Simulation: chance each peer under-delivers.",
)
@click.option(
    "--rule", default="pro-rata", show_default=True, help="Revenue sharing rule (see allocate --help)."
)
@click.option(
    "--decimals",
    type=click.IntRange(0, 18),
    default=2,
    show_default=True,
    help="Base units per currency unit = 10^decimals.",
)
@FORMAT
@OUTPUT
def deliver(
    scenario: Path,
    product: str,
    products: Path | None,
    sites: str,
    no_firm: bool,
    activation: Path | None,
    simulate: bool,
    seed: int,
    probability: float,
    failure: float,
    rule: str,
    decimals: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Deliver activations by least-cost re-dispatch, settle them and share the revenue."""
    from flexunity.markets import workflow
    from flexunity.markets.products import get_product

    if (activation is None) == (not simulate):
        raise InputError("give exactly one of --activation FILE or --simulate")
    cleared = workflow.clear_baseline(_load(scenario))
    the_offer = workflow.offer(cleared, get_product(product, products), sites=sites, firm=not no_firm)
    acts = workflow.activations(
        the_offer, path=activation, seed=seed, probability=probability, failure_probability=failure
    )
    doc = workflow.deliver_report(cleared, the_offer, acts, rule=rule, decimals=decimals)
    _emit(doc, fmt, output, lambda: _deliver_table(doc))


def _load(path: Path) -> Any:
    from flexunity.data.scenario_io import load_scenario

    return load_scenario(path)


def _emit(doc: dict[str, Any], fmt: str, output: Path | None, table: Any) -> None:
    text = json.dumps(doc, indent=2, default=float)
    if output:
        output.write_text(text)
    if fmt == "json":
        click.echo(text)
    else:
        table()


def _flex_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Flexibility around the cleared schedule (kW)")
    for col in ("peer", "max up", "mean up", "max down", "mean down"):
        table.add_column(col, justify="right" if col != "peer" else "left")
    rows = {**doc["peers"], "COMMUNITY": doc["community"]}
    for peer, f in rows.items():
        up, down = f["up_kw"], f["down_kw"]
        table.add_row(
            peer,
            f"{max(up):.1f}",
            f"{sum(up) / len(up):.1f}",
            f"{max(down):.1f}",
            f"{sum(down) / len(down):.1f}",
        )
    Console().print(table)


def _offer_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if doc["offered"]:
        table = Table(title=f"Offer to {doc['product']} ({doc['direction']})")
        for col in ("intervals", "capacity kW", "sites"):
            table.add_column(col)
        for b in doc["blocks"]:
            table.add_row(
                f"{b['start']}-{b['start'] + b['intervals'] - 1}",
                f"{b['capacity_kw']:.1f}",
                str(len(b["peers_kw"])),
            )
        console.print(table)
        console.print(
            f"availability revenue if accepted: {doc['availability_revenue']:.2f} {doc['currency']}"
        )
    else:
        console.print(f"[bold]No offer to {doc['product']}.[/bold]")
    for reason in doc["reasons"]:
        console.print(f"  not offered: {reason}")


def _deliver_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    _offer_table(doc["offer"])
    for item in doc["activations"]:
        d = item["delivery"]
        a = d["activation"]
        console.print(
            f"activation {a['start']}..{a['start'] + a['intervals'] - 1}: "
            f"requested {d['requested_kwh']:.1f} kWh, "
            f"delivered {d['delivered_kwh']:.1f}, shortfall {d['shortfall_kwh']:.1f}, revenue "
            f"{d['utilisation_revenue'] + d['availability_revenue']:.2f}, penalty {d['penalty']:.2f}, "
            f"re-dispatch cost {d['redispatch_cost']:.2f} {doc['currency']}"
        )
    if not doc["activations"]:
        console.print("no activation")
    table = Table(title=f"Payouts ({doc['rule']}, base units = 10^-{doc['decimals']} {doc['currency']})")
    table.add_column("peer")
    table.add_column("payout", justify="right")
    for peer, amount in doc["payouts"].items():
        if amount:
            table.add_row(peer, str(amount))
    console.print(table)
