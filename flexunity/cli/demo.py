"""``flexunity demo``: full community rounds on a local devnet, a summary, then the audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

STEPS_PER_ROUND = 17  # progress messages per round (open, orders, gate, 8 oracle steps, window, revenue...)


@click.command()
@click.option("--pilot", type=click.Choice(["corby", "iberia"]), default="corby", show_default=True)
@click.option(
    "--peers", type=int, default=None, help="A generated community of this many peers instead of a pilot."
)
@click.option("--rounds", type=int, default=1, show_default=True)
@click.option(
    "--date", "day", default=None, help="Day of the round (YYYY-MM-DD; default: 2026-06-15, a June weekday)."
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
@click.option("--network", type=click.Choice(["anvil", "eth-tester"]), default="anvil", show_default=True)
@click.option("--challenge-window", type=int, default=600, show_default=True, help="Seconds (devnet clock).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-audit", is_flag=True, help="Skip the closing audit.")
@click.option(
    "--no-revenue", is_flag=True, help="Skip step 7 (balancing-market revenue shared and claimed on chain)."
)
@click.option(
    "--rule", default="pro-rata", show_default=True, help="Revenue sharing rule (docs/allocation.md)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--keep-devnet", is_flag=True,
    help="Leave anvil running afterwards, so that `flexunity audit/peer/serve --manifest OUT/manifest.json` "
    "can read it (prints how to stop it).",
)  # fmt: skip
def demo(
    pilot: str,
    peers: int | None,
    rounds: int,
    day: str | None,
    out: Path,
    network: str,
    challenge_window: int,
    seed: int,
    no_audit: bool,
    no_revenue: bool,
    rule: str,
    as_json: bool,
    keep_devnet: bool,
) -> None:
    """Run full community rounds on a local devnet, then audit them."""
    from flexunity.demo.options import DemoOptions
    from flexunity.demo.run import run_demo

    options = DemoOptions(
        pilot=pilot,
        peers=peers,
        rounds=rounds,
        day=day,
        out=out,
        network=network,
        seed=seed,
        challenge_window=challenge_window,
        audit=not no_audit,
        revenue=not no_revenue,
        revenue_rule=rule,
        keep_devnet=keep_devnet,
    )
    console = Console(stderr=as_json)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("starting", total=8 + STEPS_PER_ROUND * rounds)

        def report(message: str) -> None:
            progress.update(task, advance=1, description=message[:70])
            if message.startswith("[done]"):
                progress.console.print(f"  {message[7:]}")

        result = run_demo(options, report)
        progress.update(task, completed=progress.tasks[0].total, description="done")
    summary = summarise(result)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        print_summary(console, summary)
    if result.devnet_pid is not None:
        console.print(
            f"the devnet keeps running at {result.rpc_url} (pid {result.devnet_pid}): try "
            f"`flexunity audit --manifest {result.manifest_path}`; stop it with `kill {result.devnet_pid}`"
        )
    elif network == "anvil":
        console.print(
            "the devnet was stopped: to read its manifest afterwards (audit, peer, serve), run the demo "
            "with --keep-devnet"
        )
    if summary["audit"]["status"] in ("FAIL", "ERROR"):
        raise SystemExit(1)


def summarise(result: Any) -> dict[str, Any]:
    """Every figure of a demo run, JSON-ready."""
    rounds = []
    for outcome in result.rounds:
        document = json.loads(Path(outcome.document).read_text())
        clearing = document["clearing"]
        labels = {p["id"]: p.get("metadata", {}).get("label", p["id"]) for p in document["scenario"]["peers"]}
        peers = []
        for address, bill in clearing["bills"].items():
            alone = clearing["standalone_bills"].get(address)
            peers.append(
                {
                    "peer": labels.get(address, address),
                    "address": address,
                    "bill": bill["total"],
                    "standalone": None if alone is None else alone["total"],
                    "cost": bill["cost"],
                    "standalone_cost": None if alone is None else alone["cost"],
                }
            )
        rounds.append(
            {
                "round": outcome.round_id,
                "result_document": str(outcome.document),
                "result_hash": outcome.result_hash,
                "gate_to_settled_s": round(outcome.gate_to_settled_s, 3),
                "oracle_steps_s": outcome.timings,
                "kpis": clearing["kpis"],
                "peers": peers,
                "leaves": len(document["settlement"]["leaves"]),
                "merkle_root": document["settlement"]["merkle_root"],
                "currency": document["scenario"].get("currency", ""),
            }
        )
    skipped = "SKIPPED" if "not available" in result.audit_note or not result.audit_note else "ERROR"
    audit: dict[str, Any] = {"status": skipped, "note": result.audit_note, "rounds": []}
    if result.audit is not None:
        verdicts = [v.to_dict() if hasattr(v, "to_dict") else v for v in result.audit]
        failed = any(v.get("status") == "FAIL" for v in verdicts)
        audit = {"status": "FAIL" if failed else "PASS", "note": "", "rounds": verdicts}
    return {
        "chain_id": result.chain_id,
        "network": result.options.network,
        "rpc_url": result.rpc_url,
        "scenario": result.scenario["name"],
        "peers": len(result.peers),
        "intervals": result.scenario["intervals"],
        "manifest": str(result.manifest_path),
        "store": str(result.store),
        "plot": None if result.plot is None else str(result.plot),
        "rounds": rounds,
        "wall_s": {k: round(v, 3) for k, v in result.wall.items()},
        "gas": dict(result.gas.by_step),
        "txs": dict(result.gas.txs),
        "withdrawn_base_units": result.withdrawn,
        "audit": audit,
        "revenue": [r.to_dict() for r in getattr(result, "revenue", [])],
        "notes": result.notes,
        "devnet_clock": "gate closure and challenge window passed by moving the devnet clock forward",
    }


def print_summary(console: Console, s: dict[str, Any]) -> None:
    for r in s["rounds"]:
        table = Table(
            title=f"Round {r['round']}: each peer against standalone ({r['currency']}, positive = pays)",
            caption="cost = bill + flexibility cost; alone = standalone; saving = alone cost - cost",
        )
        for column in ("peer", "bill", "cost", "alone: bill", "alone: cost", "saving"):
            table.add_column(column, justify="left" if column == "peer" else "right")
        shown = sorted(r["peers"], key=lambda p: p["peer"])
        for p in shown[:40]:
            saving = None if p["standalone_cost"] is None else p["standalone_cost"] - p["cost"]
            table.add_row(
                p["peer"],
                f"{p['bill']:.2f}",
                f"{p['cost']:.2f}",
                _money(p["standalone"]),
                _money(p["standalone_cost"]),
                _money(saving),
            )
        if len(shown) > 40:
            table.add_row(f"... {len(shown) - 40} more", "", "", "", "", "")
        console.print(table)
        k = r["kpis"]
        console.print(
            f"KPIs: total bill {k.get('total_bill', 0):.2f}, "
            f"standalone cost {k.get('standalone_cost', 0):.2f}, "
            f"saving {k.get('saving', 0):.2f} ({100 * k.get('saving_fraction', 0):.1f} %), "
            f"self-sufficiency {_percent(k.get('self_sufficiency'))}, "
            f"self-consumption {_percent(k.get('self_consumption'))}, "
            f"peak import {k.get('peak_import_kw', 0):.0f} kW, "
            f"traded {k.get('internal_traded_kwh', 0):.0f} kWh"
        )
        console.print(
            f"gate closure → settled: {r['gate_to_settled_s']:.2f} s (challenge window excluded); "
            f"{r['leaves']} leaves, root {r['merkle_root'][:18]}…"
        )
    steps = Table(title="Wall time and gas per step")
    for column in ("step", "seconds", "gas", "txs"):
        steps.add_column(column, justify="left" if column == "step" else "right")
    setup_parts = [name for name in s["gas"] if name not in s["wall_s"]]
    for name, seconds in s["wall_s"].items():
        steps.add_row(name, f"{seconds:.2f}", _gas(s, name), str(s["txs"].get(name, "")))
        if name.startswith("wallets"):
            for part in setup_parts:
                steps.add_row(f"  {part}", "", _gas(s, part), str(s["txs"].get(part, "")))
    console.print(steps)
    console.print(f"chain {s['chain_id']} ({s['network']}); {s['devnet_clock']}")
    console.print(f"manifest: {s['manifest']}\nresult documents: {s['store']}")
    for r in s["rounds"]:
        console.print(f"  round {r['round']}: {r['result_document']}")
    console.print(f"report plot: {s['plot'] or 'none'}")
    for r in s.get("revenue", []):
        console.print(_revenue_line(r))
    for note in s["notes"]:
        console.print(f"note: {note}")
    audit = s["audit"]
    console.print(f"audit: {audit['status']}" + (f" ({audit['note']})" if audit["note"] else ""))
    for verdict in audit["rounds"]:
        console.print(f"  round {verdict.get('round')}: {verdict.get('status')}")
        for check in verdict.get("checks", []):
            mark = "ok " if check["passed"] else "FAIL"
            console.print(f"    {mark} {check['name']}: {check['detail']}")


def _revenue_line(r: dict[str, Any]) -> str:
    """Step 7 in one line (and why nothing was offered or paid, if so)."""
    why = "; ".join(r["reasons"])
    if r["distribution_id"] is None:
        return f"revenue, round {r['round_id']}: nothing paid out ({why or 'no product'})"
    unit = 10 ** r["decimals"]
    line = (
        f"revenue, round {r['round_id']}: {r['product']}, offered {r['offered_kw']:.1f} kW, "
        f"delivered {r['delivered_kwh']:.1f} of {r['requested_kwh']:.1f} kWh, revenue "
        f"{r['revenue'] / unit:.2f} {r['currency']} (penalties {r['penalties'] / unit:.2f}), "
        f"rule {r['rule']}: "
        f"distribution {r['distribution_id']} of {r['total'] / unit:.2f} to {len(r['shares'])} peers, "
        f"{r['claims']} claimed ({r['claimed'] / unit:.2f})"
    )
    return line + (f"\n  why not other products: {why}" if why else "")


def _gas(s: dict[str, Any], name: str) -> str:
    return f"{s['gas'][name]:,}" if name in s["gas"] else ""


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _percent(fraction: float | None) -> str:
    """A KPI share in percent; "n/a" where it is undefined (self-consumption of a community without
    generation: the KPI is None, docs/optimisation.md)."""
    return "n/a" if fraction is None else f"{100 * fraction:.1f} %"
