"""``flexunity oracle run``: the community manager's oracle (docs/oracle.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flexunity.cli.options import CM_SIGNER


@click.group()
def oracle() -> None:
    """Run the community manager's oracle against a chain."""


@oracle.command()
@CM_SIGNER
@click.option(
    "--state",
    "state_path",
    type=click.Path(path_type=Path),
    default=Path("oracle-state.sqlite"),
    show_default=True,
)
@click.option(
    "--round", "rounds", type=int, multiple=True, help="Only these rounds (default: every round on chain)."
)
@click.option("--once", is_flag=True, help="Advance every round as far as possible now, then exit.")
@click.option(
    "--poll", type=float, default=2.0, show_default=True, help="Seconds between looks at the chain."
)
@click.option(
    "--batch-size", type=int, default=100, show_default=True, help="Settlement leaves per transaction."
)
def run(
    manifest_path: Path,
    keystore: Path | None,
    private_key_env: str | None,
    rpc_url: str | None,
    store_dir: Path | None,
    state_path: Path,
    rounds: tuple[int, ...],
    once: bool,
    poll: float,
    batch_size: int,
) -> None:
    """Watch the chain; clear, post and settle every round that reaches gate closure."""
    from flexunity.chain.node import connect
    from flexunity.cli.connect import cm_account, manifest_and_url
    from flexunity.oracle.service import build_service
    from flexunity.record.store import default_store

    manifest, url = manifest_and_url(manifest_path, rpc_url)
    account = cm_account(keystore, private_key_env, "the oracle signs results")

    live: list[Any] = []  # the countdown display while serving: messages are printed above it

    def report(message: str) -> None:
        if live:
            live[0].console.print(message, markup=False, highlight=False)
        else:
            click.echo(message, err=True)

    from flexunity.oracle.lock import OracleLock

    w3 = connect(url, manifest, report, wait=not once)
    service = build_service(
        w3,
        manifest,
        account,
        store=Path(store_dir or default_store(manifest_path)),
        state=state_path,
        report=report,
        batch_size=batch_size,
    )
    lock = OracleLock(state_path, service.runner.chain.identity()).acquire()  # one oracle per deployment
    selected = list(rounds) or None
    try:
        if once:
            _once(service, selected)
            if service.failed:
                raise SystemExit(4)
            return
        click.echo(f"oracle watching chain {manifest.chain_id} at {url} (Ctrl-C to stop)", err=True)
        _serve_with_countdown(service, selected, poll, live)
    finally:
        lock.release()


def _once(service: Any, rounds: list[int] | None) -> None:
    """Advance every round once; a round that did not move is named with the step it stays at (the
    runner has already reported each step a round reached, with its time: not repeated here)."""
    db = service.runner.db
    wanted = rounds if rounds is not None else service.runner.chain.open_rounds()
    before = {r: (state.step if (state := db.get(r)) else None) for r in wanted}
    for round_id, step in service.tick(wanted).items():
        if before.get(round_id) == step:
            click.echo(f"round {round_id}: {step.value}")


def _serve_with_countdown(service: Any, rounds: list[int] | None, poll: float, holder: list[Any]) -> None:
    """Poll the chain; between steps, one live line per round says what it waits for and how long."""
    from rich.console import Console
    from rich.live import Live

    from flexunity.cli.timefmt import duration, when

    def line(w: Any) -> str:
        if not w.at:
            return f"round {w.round_id}: waiting for {w.what}"
        left = max(0, w.at - w.now)
        return f"round {w.round_id}: {w.what} at {when(w.at)}, in {duration(left)}"

    with Live("", console=Console(stderr=True), transient=True, refresh_per_second=2) as live:
        holder.append(live)
        try:
            service.serve(rounds, poll=poll, idle=lambda ws: live.update("\n".join(line(w) for w in ws)))
        finally:
            holder.clear()


def _register() -> None:
    from flexunity.cli.oracle_cm import enrol, fund, open_, relay, revenue

    for command in (open_, relay, revenue, enrol, fund):
        oracle.add_command(command)


_register()
