"""``flexunity peer``: a peer's wallet commands (keystores, deposits, orders, bills, withdrawals).

Keys live in encrypted keystores (passphrase from FLEXUNITY_PASSPHRASE or a prompt); every transaction
is signed locally. Amounts are in the settlement currency (e.g. 12.50), converted with the token's
decimals. Orders are built from a scenario's peer (docs/oracle.md, order payload).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from flexunity.cli.options import KEYSTORE, MANIFEST, RPC
from flexunity.errors import InputError


@click.group()
def peer() -> None:
    """Peer wallet commands: keystores, deposits, orders, bills."""


@peer.command()
@KEYSTORE
@click.option("--light", is_flag=True, help="pbkdf2 with few iterations (tests and devnets only).")
def new(keystore: Path, light: bool) -> None:
    """Create a new key in an encrypted keystore."""
    from flexunity.chain.keystore import new_keystore, passphrase

    account = new_keystore(keystore, passphrase(confirm=True), kdf_iterations=1000 if light else None)
    click.echo(f"{account.address} -> {keystore}")


@peer.command(name="import")
@KEYSTORE
@click.option(
    "--key-env", default=None, help="Read the private key from this variable (else a hidden prompt)."
)
def import_(keystore: Path, key_env: str | None) -> None:
    """Import an existing private key into an encrypted keystore."""
    from flexunity.chain.keystore import import_key, passphrase

    key = os.environ.get(key_env, "") if key_env else click.prompt("Private key", hide_input=True)
    if not key:
        raise InputError(f"{key_env} is not set")
    account = import_key(key, keystore, passphrase(confirm=True))
    click.echo(f"{account.address} -> {keystore}")


@peer.command()
@MANIFEST
@KEYSTORE
@RPC
@click.option("--amount", type=str, required=True, help="Currency units, e.g. 25.00")
def deposit(manifest_path: Path, keystore: Path, rpc_url: str | None, amount: str) -> None:
    """Approve and deposit settlement tokens into the escrow."""
    chain, account = _connect(manifest_path, keystore, rpc_url)
    units = _base_units(amount, chain.token_decimals())
    token = chain.clients.token.contract.functions
    escrow = chain.clients.escrow
    chain.sender.transact(token.approve(escrow.address, units), "approve")
    mined = chain.sender.transact(escrow.contract.functions.deposit(account.address, units), "deposit")
    click.echo(f"deposited {amount} ({units} base units) for {account.address}; gas {mined.gas_used:,}")


@peer.command()
@MANIFEST
@KEYSTORE
@RPC
@click.option("--amount", type=str, default=None, help="Currency units (default: everything withdrawable).")
def withdraw(manifest_path: Path, keystore: Path, rpc_url: str | None, amount: str | None) -> None:
    """Withdraw uncommitted escrow to the peer's own address (finished rounds are released first)."""
    chain, account = _connect(manifest_path, keystore, rpc_url)
    escrow = chain.clients.escrow
    finished = _finished_unreleased(chain, account.address)
    if finished:
        fn = escrow.contract.functions.release(account.address, finished)
        chain.sender.transact(fn, f"release finished rounds {finished}")
        click.echo(f"released the commitments of finished rounds {finished}")
    available = escrow.withdrawable(account.address)
    units = available if amount is None else _base_units(amount, chain.token_decimals())
    if units == 0:
        raise InputError(
            f"nothing to withdraw for {account.address} (committed to an unfinished round, or empty)"
        )
    if units > available:
        raise InputError(f"{account.address} can withdraw {available} base units now, not {units}")
    mined = chain.sender.transact(escrow.contract.functions.withdraw(units, account.address), "withdraw")
    click.echo(f"withdrew {units} base units to {account.address}; gas {mined.gas_used:,}")


def _finished_unreleased(chain: Any, address: str) -> list[int]:
    """Rounds the peer ordered in that are finished (settled, closed, void) and not yet released."""
    event = chain.clients.rounds.contract.events.OrderAccepted()
    logs = event.get_logs(from_block=chain.manifest.first_block, argument_filters={"peer": address})
    rounds = sorted({int(log["args"]["roundId"]) for log in logs})
    registry, escrow = chain.clients.registry, chain.clients.escrow
    return [r for r in rounds if escrow.is_finished(r) and not registry.order_status(address, r)[1]]


def _order_inputs(scenario_path: Path, peer_id: str) -> tuple[dict[str, Any], bytes]:
    from flexunity.data.scenario_io import load_scenario, scenario_to_dict
    from flexunity.record.orders import encode_order

    scenario = scenario_to_dict(load_scenario(scenario_path))
    found = [p for p in scenario["peers"] if p["id"] == peer_id]
    if not found:
        raise InputError(f"no peer {peer_id!r} in the scenario", where=str(scenario_path))
    return scenario, encode_order(found[0], scenario["intervals"], scenario["interval_minutes"])


@peer.command()
@MANIFEST
@KEYSTORE
@RPC
@click.option("--round", "round_id", type=int, required=True)
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--peer", "peer_id", required=True, help="The peer of the scenario whose forecasts to send.")
@click.option("--nonce", type=int, default=None, help="Default: the peer's last nonce + 1.")
@click.option("--deadline", type=int, default=None, help="Unix time (default: the round's gate closure).")
@click.option(
    "--max-debit",
    type=str,
    default=None,
    help="Currency units: the most the round may debit this peer (default: no cap).",
)
def order(
    manifest_path: Path,
    keystore: Path,
    rpc_url: str | None,
    round_id: int,
    scenario_path: Path,
    peer_id: str,
    nonce: int | None,
    deadline: int | None,
    max_debit: str | None,
) -> None:
    """Submit the peer's order for a round directly (the peer pays the gas)."""
    from flexunity.chain.eip712 import NO_DEBIT_CAP, Order

    chain, account = _connect(manifest_path, keystore, rpc_url)
    _, payload = _order_inputs(scenario_path, peer_id)
    nonce, deadline = _nonce_deadline(chain, account.address, round_id, nonce, deadline)
    cap = NO_DEBIT_CAP if max_debit is None else _base_units(max_debit, chain.token_decimals())
    signed = Order.for_payload(round_id, account.address, nonce, deadline, payload, cap)
    fn = chain.clients.rounds.contract.functions.submitOrder(signed.as_tuple(), payload)
    mined = chain.sender.transact(fn, f"order for round {round_id}")
    click.echo(
        f"order accepted: round {round_id}, nonce {nonce}, {len(payload)} bytes, gas {mined.gas_used:,}"
    )


@peer.command(name="typed-data")
@MANIFEST
@RPC
@click.option("--address", required=True, help="The peer's address (the wallet that will sign).")
@click.option("--round", "round_id", type=int, required=True)
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--peer", "peer_id", required=True)
@click.option("--nonce", type=int, default=None)
@click.option("--deadline", type=int, default=None)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write here (default: stdout).")
def typed_data(
    manifest_path: Path,
    rpc_url: str | None,
    address: str,
    round_id: int,
    scenario_path: Path,
    peer_id: str,
    nonce: int | None,
    deadline: int | None,
    out: Path | None,
) -> None:
    """Export the EIP-712 order a browser wallet signs with eth_signTypedData_v4 (plus the payload)."""
    from eth_account import Account

    chain, _ = _connect(manifest_path, None, rpc_url, reader=Account.create())
    _, payload = _order_inputs(scenario_path, peer_id)
    nonce, deadline = _nonce_deadline(chain, address, round_id, nonce, deadline)
    document = {
        "typedData": chain.order_typed_data(address, round_id, nonce, deadline, payload),
        "payload": "0x" + payload.hex(),
        "howTo": "eth_signTypedData_v4(address, JSON.stringify(typedData)); signature + payload to the CM",
    }
    text = json.dumps(document, indent=2)
    if out:
        out.write_text(text + "\n")
        click.echo(f"typed data written: {out}")
    else:
        click.echo(text)


@peer.command()
@MANIFEST
@RPC
@click.option("--round", "round_id", type=int, required=True)
@click.option("--address", required=True)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=Path("flexunity-store"),
    show_default=True,
)
def bill(manifest_path: Path, rpc_url: str | None, round_id: int, address: str, store_dir: Path) -> None:
    """Show a peer's bill for a round from the posted result document, and its settlement on chain."""
    from eth_account import Account

    from flexunity.record.store import FolderStore

    chain, _ = _connect(manifest_path, None, rpc_url, reader=Account.create())
    digest = chain.posted_document_hash(round_id)
    if not digest:
        raise InputError(f"round {round_id} has no posted result yet")
    document = FolderStore(store_dir).get_json(digest)
    key = address.lower()
    bills = document["clearing"]["bills"]
    if key not in bills:
        raise InputError(f"{address} had no order in round {round_id}")
    leaf = next(x for x in document["settlement"]["leaves"] if x["account"].lower() == key)
    applied = chain.clients.escrow.is_applied(round_id, int(leaf["index"]))
    alone = document["clearing"]["standalone_bills"].get(key) or {}
    currency = document["scenario"].get("currency", "")
    click.echo(f"round {round_id}, {address} ({currency}, positive = you pay)")
    for name, value in bills[key].items():
        click.echo(f"  {name:<15} {value:>12.4f}")
    if alone:
        click.echo(f"  {'standalone':<15} {alone.get('total', 0):>12.4f}")
    sign = "credit" if leaf["isCredit"] else "debit"
    click.echo(
        f"  settlement: {sign} of {leaf['amount']} base units, leaf {leaf['index']}, "
        f"{'applied' if applied else 'not applied yet'}"
    )


def _nonce_deadline(
    chain: Any, address: str, round_id: int, nonce: int | None, deadline: int | None
) -> tuple[int, int]:
    if nonce is None:
        nonce = chain.clients.rounds.nonce_of(address) + 1
    if deadline is None:
        deadline = chain.clients.rounds.round(round_id).gate_closure
    return int(nonce), int(deadline)


def _base_units(amount: str, decimals: int) -> int:
    try:
        value = Decimal(amount) * 10**decimals
    except ArithmeticError:
        raise InputError(f"not an amount: {amount!r}") from None
    if value <= 0 or value != value.to_integral_value():
        raise InputError(f"{amount} is not a positive amount with at most {decimals} decimals")
    return int(value)


def _connect(
    manifest_path: Path, keystore: Path | None, rpc_url: str | None, reader: Any = None
) -> tuple[Any, Any]:
    from flexunity.chain.keystore import load_keystore
    from flexunity.chain.manifest import load_manifest
    from flexunity.oracle.chainio import OracleChain
    from flexunity.oracle.service import connect

    manifest = load_manifest(manifest_path)
    url = rpc_url or manifest.rpc_url
    if not url:
        raise InputError("no RPC URL: pass --rpc (the manifest has none)")
    account = load_keystore(keystore) if keystore is not None else reader
    w3 = connect(url, manifest, lambda m: click.echo(m, err=True))
    return OracleChain.from_manifest(w3, manifest, account), account
