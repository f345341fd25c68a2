"""``flexunity peer status`` and ``flexunity peer claim``: what a peer has on chain, and its revenue shares.

Registered on the ``peer`` group by flexunity/cli/peer.py. The data come from
flexunity/oracle/peer_view.py; documents from the CM's store (a folder or ``flexunity serve``), each
checked against the hash the chain holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flexunity.cli.options import CHAIN_READER
from flexunity.cli.options import STORE_OR_URL as STORE
from flexunity.cli.peer_connect import checked_address, reader_chain
from flexunity.cli.peer_connect import connect_peer as _connect
from flexunity.cli.timefmt import when
from flexunity.errors import InputError


@click.command()
@CHAIN_READER
@STORE
@click.option("--keystore", type=click.Path(path_type=Path), default=None, help="The peer's keystore.")
@click.option("--address", default=None, help="Or the peer's address (no key needed to look).")
def status(
    manifest_path: str, rpc_url: str | None, store_dir: str | None, keystore: Path | None, address: str | None
) -> None:
    """Membership, escrow (balance, committed, debt), rounds, rejected orders and open revenue claims."""
    from rich.console import Console
    from rich.table import Table

    from flexunity.oracle.peer_view import peer_status

    chain, who, store = _peer(manifest_path, keystore, address, rpc_url, store_dir)
    s = peer_status(chain, who, store)
    money = _money(s.decimals, s.symbol)
    console = Console(highlight=False)
    membership = (
        f"member (from round {s.member_from})"
        if s.member
        else f"not a member (enrolled from {s.member_from})"
    )
    if not s.member_from:
        membership = "not enrolled: ask the CM (`flexunity oracle enrol --address ...`)"
    console.print(f"[bold]{who}[/bold] on chain {chain.chain_id}: {membership}")
    console.print(
        f"escrow: balance {money(s.balance)}, committed {money(s.committed)}, withdrawable "
        f"{money(s.withdrawable)}, debt {money(s.debt)}"
    )
    console.print(f"wallet: {money(s.wallet_tokens)}, {s.wallet_ether / 10**18:.4f} ether for gas")
    if s.rounds:
        table = Table("round", "gate closure", "order", "result", "you pay (+) / get (−)", "settled", "note")
        for r in s.rounds:
            table.add_row(
                str(r.round_id),
                when(r.gate_closure),
                f"nonce {r.nonce}" if r.ordered else "—",
                r.result,
                money(r.amount) if r.amount is not None else "—",
                {True: "yes", False: "not yet", None: "—"}[r.applied],
                f"[red]order rejected: {r.rejected}[/red]" if r.rejected else r.note,
            )
        console.print(table)
    open_claims = [c for c in s.claims if not c.claimed]
    for c in s.claims:
        state = "claimed" if c.claimed else ("claim period over" if s.now > c.deadline else "open")
        console.print(
            f"revenue distribution {c.distribution_id} (round {c.round_id}): {money(c.payout)}, {state}"
            f"{'' if c.claimed else ', claim by ' + when(c.deadline)}"
        )
    if any(s.now <= c.deadline for c in open_claims):
        console.print("claim with `flexunity peer claim`")
    for note in s.notes:
        console.print(f"note: {note}")


@click.command()
@CHAIN_READER
@STORE
@click.option("--keystore", type=click.Path(path_type=Path), required=True)
@click.option("--distribution", "distributions", type=int, multiple=True, help="Only this one (repeatable).")
def claim(
    manifest_path: str, rpc_url: str | None, store_dir: str | None, keystore: Path,
    distributions: tuple[int, ...],
) -> None:  # fmt: skip
    """Claim the peer's open revenue shares (each with its Merkle proof from the published document)."""
    from flexunity.oracle.peer_view import revenue_claims

    chain, who, store = _peer(manifest_path, keystore, None, rpc_url, store_dir)
    money = _money(chain.token_decimals(), chain.token_symbol())
    claims = revenue_claims(chain, who, store, lambda m: click.echo(f"note: {m}", err=True))
    if distributions:
        claims = [c for c in claims if c.distribution_id in distributions]
    now = chain.now()
    todo = [c for c in claims if not c.claimed and now <= c.deadline]
    for c in claims:
        if c.claimed:
            click.echo(f"distribution {c.distribution_id}: {money(c.payout)} already claimed")
        elif now > c.deadline:
            click.echo(f"distribution {c.distribution_id}: the claim period ended {when(c.deadline)}")
    if not todo:
        raise InputError(f"no open revenue share for {who}")
    for c in todo:
        mined = chain.claim(c.leaf, c.proof)
        click.echo(
            f"claimed {money(c.payout)} from distribution {c.distribution_id} "
            f"(round {c.round_id}); gas {mined.gas_used:,}"
        )


def _peer(
    manifest_path: str, keystore: Path | None, address: str | None, rpc_url: str | None, store_dir: str | None
) -> tuple[Any, str, Any]:
    from flexunity.record.store import default_store, open_store

    if keystore is None and address is None:
        raise InputError("give --keystore FILE or --address 0x..")
    if keystore is not None:
        chain, account = _connect(manifest_path, keystore, rpc_url)
        who = str(account.address)
    else:
        assert address is not None
        who = checked_address(address)
        chain = reader_chain(manifest_path, rpc_url)
    return chain, who, open_store(store_dir or default_store(manifest_path))


def _money(decimals: int, symbol: str) -> Any:
    def show(units: int) -> str:
        return f"{units / 10**decimals:,.{min(decimals, 4)}f} {symbol}"

    return show
