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

from flexunity.cli.options import CHAIN_READER, KEYSTORE, MANIFEST_OR_URL, PEER_SIGNER, STORE_OR_URL
from flexunity.cli.peer_connect import connect_peer as _connect
from flexunity.cli.peer_connect import reader_chain
from flexunity.errors import InputError
from flexunity.units import parse_amount as _base_units  # an amount the user typed -> base units

MANIFEST = MANIFEST_OR_URL  # peers may read the manifest from the CM's `flexunity serve`
STORE = STORE_OR_URL


@click.group()
def peer() -> None:
    """Peer wallet commands: keystores, deposits, orders, status, bills, claims, withdrawals."""


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
@PEER_SIGNER
@click.option("--amount", type=str, required=True, help="Currency units, e.g. 25.00")
def deposit(manifest_path: str, keystore: Path, rpc_url: str | None, amount: str) -> None:
    """Approve and deposit settlement tokens into the escrow."""
    chain, account = _connect(manifest_path, keystore, rpc_url)
    units = _base_units(amount, chain.token_decimals())
    mined = chain.deposit(units)
    click.echo(f"deposited {amount} ({units} base units) for {account.address}; gas {mined.gas_used:,}")


@peer.command()
@PEER_SIGNER
@click.option("--amount", type=str, default=None, help="Currency units (default: everything withdrawable).")
def withdraw(manifest_path: str, keystore: Path, rpc_url: str | None, amount: str | None) -> None:
    """Withdraw uncommitted escrow to the peer's own address (finished rounds are released first)."""
    chain, account = _connect(manifest_path, keystore, rpc_url)
    finished = chain.release_finished()
    if finished:
        click.echo(f"released the commitments of finished rounds {finished}")
    available = chain.withdrawable(account.address)
    units = available if amount is None else _base_units(amount, chain.token_decimals())
    if units == 0:
        raise InputError(
            f"nothing to withdraw for {account.address} (committed to an unfinished round, or empty)"
        )
    if units > available:
        raise InputError(f"{account.address} can withdraw {available} base units now, not {units}")
    mined = chain.withdraw(units)
    decimals = chain.token_decimals()
    shown = f"{Decimal(units) / 10**decimals:f} {chain.token_symbol()}"
    click.echo(f"withdrew {shown} ({units} base units) to {account.address}; gas {mined.gas_used:,}")


def _order_inputs(scenario_path: Path, peer_id: str) -> tuple[dict[str, Any], bytes]:
    from flexunity.data.scenario_io import load_scenario, scenario_to_dict
    from flexunity.record.orders import encode_order

    scenario = scenario_to_dict(load_scenario(scenario_path))
    found = [p for p in scenario["peers"] if p["id"] == peer_id]
    if not found:
        raise InputError(f"no peer {peer_id!r} in the scenario", where=str(scenario_path))
    return scenario, encode_order(found[0], scenario["intervals"], scenario["interval_minutes"])


@peer.command()
@PEER_SIGNER
@click.option("--round", "round_id", type=int, required=True)
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--peer", "peer_id", required=True, help="The peer of the scenario whose forecasts to send.")
@click.option("--nonce", type=int, default=None, help="Default: the peer's last nonce + 1.")
@click.option("--deadline", type=int, default=None, help="Unix time (default: the round's gate closure).")
@STORE
@click.option(
    "--max-debit",
    type=str,
    default=None,
    help="Currency units: the most the round may debit this peer (default: no cap).",
)
def order(
    manifest_path: str,
    keystore: Path,
    rpc_url: str | None,
    round_id: int,
    scenario_path: Path,
    peer_id: str,
    nonce: int | None,
    deadline: int | None,
    store_dir: str | None,
    max_debit: str | None,
) -> None:
    """Submit the peer's order for a round directly (the peer pays the gas).

    The order is checked first against the round: still open, and its intervals and tariff those of
    the round's config (fetched by its on-chain hash), so that the oracle will not reject it."""
    from flexunity.chain.eip712 import NO_DEBIT_CAP
    from flexunity.record.store import default_store

    chain, account = _connect(manifest_path, keystore, rpc_url)
    _, payload = _order_inputs(scenario_path, peer_id)
    _check_fits(chain, round_id, payload, store_dir or default_store(manifest_path))
    nonce, deadline = _nonce_deadline(chain, account.address, round_id, nonce, deadline)
    cap = NO_DEBIT_CAP if max_debit is None else _base_units(max_debit, chain.token_decimals())
    mined = chain.submit_order(round_id, nonce, deadline, payload, cap)
    click.echo(
        f"order accepted: round {round_id}, nonce {nonce}, {len(payload)} bytes, gas {mined.gas_used:,}"
    )


@peer.command(name="typed-data")
@CHAIN_READER
@click.option("--address", required=True, help="The peer's address (the wallet that will sign).")
@click.option("--round", "round_id", type=int, required=True)
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--peer", "peer_id", required=True)
@click.option("--nonce", type=int, default=None)
@click.option("--deadline", type=int, default=None)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write here (default: stdout).")
@STORE
def typed_data(
    manifest_path: str,
    rpc_url: str | None,
    address: str,
    round_id: int,
    scenario_path: Path,
    peer_id: str,
    nonce: int | None,
    deadline: int | None,
    out: Path | None,
    store_dir: str | None,
) -> None:
    """Export the EIP-712 order a browser wallet signs with eth_signTypedData_v4 (plus the payload)."""
    from flexunity.record.store import default_store

    chain = reader_chain(manifest_path, rpc_url)
    _, payload = _order_inputs(scenario_path, peer_id)
    _check_fits(chain, round_id, payload, store_dir or default_store(manifest_path))
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
@CHAIN_READER
@click.option("--round", "round_id", type=int, required=True)
@click.option("--address", required=True)
@STORE
def bill(manifest_path: str, rpc_url: str | None, round_id: int, address: str, store_dir: str | None) -> None:
    """Show a peer's bill for a round from the posted result document, and its settlement on chain."""
    from flexunity.record.store import default_store, open_store

    chain = reader_chain(manifest_path, rpc_url)
    digest = chain.posted_document_hash(round_id)
    if not digest:
        raise InputError(f"round {round_id} has no posted result yet")
    document = open_store(store_dir or default_store(manifest_path)).get_json(digest)
    key = address.lower()
    bills = document["clearing"]["bills"]
    if key not in bills:
        raise InputError(f"{address} had no order in round {round_id}")
    leaf = next(x for x in document["settlement"]["leaves"] if x["account"].lower() == key)
    applied = chain.is_applied(round_id, int(leaf["index"]))
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


def _check_fits(chain: Any, round_id: int, payload: bytes, store_spec: str | Path) -> None:
    """Refuse, before signing, an order the round would not take or the oracle would reject."""
    from flexunity.cli.timefmt import when
    from flexunity.errors import UserError
    from flexunity.record.orders import decode_payload, order_problems
    from flexunity.record.store import open_store

    count = chain.round_count()
    if not 1 <= round_id <= count:
        raise InputError(f"round {round_id} does not exist (the chain has {count} rounds)", where="--round")
    info = chain.round(round_id)
    if chain.now() >= info.gate_closure:
        raise InputError(f"round {round_id} closed for orders at {when(info.gate_closure)}", where="--round")
    document = decode_payload(payload)
    minutes = info.interval_seconds // 60
    schedule = {"intervals": info.interval_count, "interval_minutes": minutes}
    problems = [p for p in order_problems(document, {**schedule, "tariffs": {document["tariff"]: {}}})]
    try:
        config = open_store(store_spec).get_json("0x" + info.config_hash.hex())
        problems = order_problems(document, config)
    except UserError as exc:
        click.echo(f"note: the round's config could not be read ({exc}); tariff not checked", err=True)
    if problems:
        raise InputError(
            f"this order does not fit round {round_id}: " + "; ".join(problems), where="--scenario"
        )


def _nonce_deadline(
    chain: Any, address: str, round_id: int, nonce: int | None, deadline: int | None
) -> tuple[int, int]:
    if nonce is None:
        nonce = chain.nonce_of(address) + 1
    if deadline is None:
        deadline = chain.round(round_id).gate_closure
    return int(nonce), int(deadline)


def _register() -> None:
    from flexunity.cli.peer_status import claim, status

    peer.add_command(status)
    peer.add_command(claim)


_register()
