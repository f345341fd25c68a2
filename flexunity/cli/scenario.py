"""``flexunity scenario``: write the pilot scenarios (Corby, Iberia) or generated communities.

flexunity scenario --list
flexunity scenario corby --date 2025-06-21 --out runs/corby [--seed 0] [--days 1]
flexunity scenario corby --date 2025-06-21 --out DIR --user-profile corby-home-01.load_kw=meter.csv
flexunity scenario generate --peers 1000 --intervals 48 --mix pv=0.5,battery=0.3 --out DIR
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from flexunity.errors import InputError


def _date(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def _summary(scenario: dict[str, Any], path: Path) -> None:
    peers = scenario["peers"]
    kinds: dict[str, int] = {}
    for peer in peers:
        kinds[peer["kind"]] = kinds.get(peer["kind"], 0) + 1
    mix = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    Console().print(
        f"wrote [bold]{path}[/]: {len(peers)} peers ({mix}), {scenario['intervals']} x "
        f"{scenario['interval_minutes']} min from {scenario['start']}"
    )


def _apply_user_profiles(scenario: dict[str, Any], specs: tuple[str, ...]) -> None:
    """Replace ``PEER.KEY`` profiles (``load_kw`` or ``pv_kw``) by the user's CSV ``FILE[:COLUMN]``."""
    import pandas as pd

    from flexunity.data.profiles import round_index
    from flexunity.data.user_profiles import read_user_profile

    start = pd.Timestamp(scenario["start"]).tz_convert(scenario["timezone"])
    index = round_index(
        start.date(),
        scenario["timezone"],
        scenario["interval_minutes"],
        days=1 + scenario["intervals"] * scenario["interval_minutes"] // 1440,
    )[: scenario["intervals"]]
    peers = {p["id"]: p for p in scenario["peers"]}
    for spec in specs:
        target, sep, source = spec.partition("=")
        peer_id, _, key = target.rpartition(".")
        if not sep or peer_id not in peers or key not in ("load_kw", "pv_kw"):
            raise InputError(f"--user-profile {spec!r}: use PEER.load_kw=FILE[:COLUMN] with a known peer id")
        file, _, column = source.partition(":")
        series = read_user_profile(file, index, column=column or None)
        peers[peer_id][key] = [round(float(v), 4) for v in series]
        peers[peer_id].setdefault("metadata", {})[f"{key}_source"] = f"user file {file}"


@click.group(invoke_without_command=True)
@click.option("--list", "list_", is_flag=True, help="List the pilot scenarios and exit.")
@click.pass_context
def scenario(ctx: click.Context, list_: bool) -> None:
    """Write a pilot scenario (corby, iberia) or a generated community as a folder scenario."""
    if list_:
        from flexunity.data.pilots import PILOTS

        table = Table("pilot", "interval", "time zone", "description")
        for pilot in PILOTS.values():
            table.add_row(pilot.name, f"{pilot.interval_minutes} min", pilot.timezone, pilot.description)
        table.add_row("generate", "any", "any", "N peers with a chosen mix of asset types (benchmarks)")
        Console().print(table)
    elif ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _pilot_command(name: str) -> click.Command:
    @click.command(name=name, help=f"Write the {name} pilot for a day (or --days days) as DIR/scenario.json.")
    @click.option("--date", "day", required=True, help="First local day, YYYY-MM-DD.")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
    @click.option("--seed", default=0, show_default=True, help="Seed of the per-home variation and EVs.")
    @click.option("--days", default=1, show_default=True, type=click.IntRange(1, 366))
    @click.option(
        "--user-profile",
        "user_profiles",
        multiple=True,
        metavar="PEER.KEY=FILE[:COLUMN]",
        help="Replace a peer's load_kw or pv_kw with your own CSV (kW or kWh, any resolution).",
    )
    def command(day: str, out: Path, seed: int, days: int, user_profiles: tuple[str, ...]) -> None:
        from flexunity.data.pilots import build_pilot, write_folder

        built = build_pilot(name, _date(day), seed=seed, days=days)
        _apply_user_profiles(built, user_profiles)
        _summary(built, write_folder(built, out))

    return command


@click.command()
@click.option("--peers", "n_peers", required=True, type=click.IntRange(1))
@click.option("--intervals", required=True, type=click.IntRange(2))
@click.option("--interval-minutes", default="30", show_default=True, type=click.Choice(["15", "30", "60"]))
@click.option(
    "--mix",
    default="",
    help="Shares of peers, e.g. business=0.1,pv=0.5,battery=0.25,ev=0.2,"
    "curtailable=0.3,shiftable=0.2 (unlisted keys keep these defaults).",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--date", "day", default="2025-06-18", show_default=True, help="First local day.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
def generate(
    n_peers: int, intervals: int, interval_minutes: str, mix: str, seed: int, day: str, out: Path
) -> None:
    """Generate N peers with a chosen mix of asset types (for benchmarks and studies)."""
    from flexunity.data.generator import generate_community, parse_mix
    from flexunity.data.pilots import write_folder

    try:
        shares = parse_mix(mix)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mix") from None
    built = generate_community(
        n_peers, intervals, mix=shares, seed=seed, interval_minutes=int(interval_minutes), start=_date(day)
    )
    _summary(built, write_folder(built, out))


for _name in ("corby", "iberia"):
    scenario.add_command(_pilot_command(_name))
scenario.add_command(generate)
