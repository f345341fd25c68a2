"""``flexunity oracle open|relay|revenue|enrol|fund``: the community manager's one-off commands on its
deployment (registered on the ``oracle`` group by flexunity/cli/oracle.py; docs/oracle.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flexunity.cli.connect import cm_chain, cm_store
from flexunity.cli.options import CM_SIGNER
from flexunity.errors import InputError

if TYPE_CHECKING:
    from flexunity.chain.contracts import SignedOrder


@click.command(name="open")
@CM_SIGNER
@click.option(
    "--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True), required=True,
    help="Its tariffs, grid and community rules become the round config (its peers are ignored).",
)  # fmt: skip
@click.option(
    "--gate-in", type=int, default=3600, show_default=True, help="Seconds from now to gate closure."
)
@click.option("--start", type=int, default=None, help="Unix time of interval 0 (default: gate closure).")
def open_(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path | None, scenario_path: Path, gate_in: int, start: int | None) -> None:  # fmt: skip
    """Store a round's config and open the round bound to its hash (openRound's configHash)."""
    from flexunity.cli.timefmt import when
    from flexunity.data.scenario_io import load_scenario, scenario_to_dict
    from flexunity.record.orders import round_config

    chain = cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    scenario = scenario_to_dict(load_scenario(scenario_path))
    gate = chain.now() + gate_in
    next_round = len(chain.open_rounds()) + 1
    config_hash = cm_store(chain).put_json(
        round_config(scenario, next_round, token_decimals=chain.token_decimals())
    )
    seconds = int(scenario["interval_minutes"]) * 60
    round_id = chain.open_round(start or gate, gate, seconds, int(scenario["intervals"]), config_hash)
    click.echo(f"round {round_id} open for orders until {when(gate)}; config {config_hash}")


@click.command()
@CM_SIGNER
@click.argument("signed_orders", nargs=-1, type=click.Path(path_type=Path, exists=True), required=True)
def relay(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path | None, signed_orders: tuple[Path, ...]) -> None:  # fmt: skip
    """Relay wallet-signed orders (``peer typed-data`` files with a ``signature`` added) in batches.

    Every order is first checked as the contract will check it (round open, deadline, the payload
    hashing to the signed ``payloadHash``, the signature over this chain's RoundBook domain,
    membership, nonces): one bad file would otherwise sink its whole batch on chain. Bad files are
    named, nothing is sent."""
    chain = cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    signed = [_signed_order(path) for path in signed_orders]
    problems = chain.clients.rounds.order_problems(signed, chain.clients.registry)
    bad = [f"{path}: {problem}" for path, problem in zip(signed_orders, problems, strict=True) if problem]
    if bad:
        raise InputError(
            f"{len(bad)} of {len(signed)} orders would be refused on chain, nothing sent: " + "; ".join(bad)
        )
    mined = chain.relay(signed)
    click.echo(
        f"relayed {len(signed)} orders in {len(mined)} transactions, gas {sum(m.gas_used for m in mined):,}"
    )


@click.command()
@CM_SIGNER
@click.option("--round", "round_id", type=int, required=True, help="A settled round.")
@click.option(
    "--state", "state_path", type=click.Path(path_type=Path), default=Path("oracle-state.sqlite"),
    show_default=True, help="The oracle's state file (the step's progress is saved in the round's row).",
)  # fmt: skip
@click.option("--product", default=None, help="Balancing product preset (default: the first that fits).")
@click.option("--products", "products_file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option("--rule", default="pro-rata", show_default=True, help="Revenue sharing rule.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated activations.")
@click.option("--activations", "activation_file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option("--claim-window", type=int, default=30 * 86_400, show_default=True, help="Seconds to claim.")
def revenue(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
            store_dir: Path | None, round_id: int, state_path: Path, product: str | None,
            products_file: Path | None, rule: str, seed: int, activation_file: Path | None,
            claim_window: int) -> None:  # fmt: skip
    """Offer a settled round's flexibility, share the revenue and create its distribution, once."""
    from flexunity.oracle.lock import OracleLock
    from flexunity.oracle.revenue import RevenuePlan, distribute_revenue
    from flexunity.oracle.state import StateDB

    chain = cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    lock = OracleLock(state_path, chain.identity()).acquire()
    try:
        db = StateDB(state_path)
        db.bind(chain.identity())
        result_hash = chain.posted_document_hash(round_id)
        if not result_hash or not chain.view(round_id).finalized:
            raise InputError(f"round {round_id} has no final result on chain yet: nothing to share")
        plan = RevenuePlan(
            product=product,
            products_file=products_file,
            rule=rule,
            seed=seed,
            activation_file=activation_file,
        )
        outcome = distribute_revenue(
            chain, cm_store(chain), round_id=round_id, result_hash=result_hash, plan=plan, db=db,
            claim_window_s=claim_window, report=lambda m: click.echo(m, err=True),
        )  # fmt: skip
    finally:
        lock.release()
    for reason in outcome.reasons:
        click.echo(f"  {reason}")
    if outcome.distribution_id is None:
        click.echo(f"round {round_id}: no revenue distributed")
        return
    scale = 10**outcome.decimals
    click.echo(
        f"distribution {outcome.distribution_id} (round {round_id}, {outcome.product}, rule {outcome.rule}): "
        f"{outcome.total / scale:.{outcome.decimals}f} {outcome.currency} to {len(outcome.shares)} peers; "
        f"document {outcome.document_hash}"
    )
    if outcome.carried_in:
        click.echo(
            f"  with {outcome.carried_in / scale:.{outcome.decimals}f} {outcome.currency} of unclaimed "
            "earlier shares carried in, paid by the contract pro rata to these shares"
        )
    for address, amount in sorted(outcome.shares.items()):
        click.echo(f"  {address}  {amount / scale:>12.{outcome.decimals}f}")
    click.echo("peers claim with `flexunity peer claim`")


@click.command()
@CM_SIGNER
@click.option("--address", "addresses", multiple=True, required=True, help="Peer address (repeatable).")
@click.option(
    "--kind", type=click.Choice(["consumer", "prosumer", "producer", "storage"]), default="consumer"
)
def enrol(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path | None, addresses: tuple[str, ...], kind: str) -> None:  # fmt: skip
    """Enrol peers (from the next round on)."""
    from flexunity.chain.addresses import is_address
    from flexunity.chain.contracts import PeerKind

    for address in addresses:
        if not is_address(address):
            raise InputError(f"not an address: {address!r} (0x followed by 40 hex digits)", where="--address")
    chain = cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    chain.enrol([(a, PeerKind[kind.upper()], b"\0" * 32) for a in addresses])
    click.echo(f"enrolled {len(addresses)} peers as {kind}")


@click.command()
@CM_SIGNER
@click.option("--address", "addresses", multiple=True, required=True, help="Who to fund (repeatable).")
@click.option("--ether", default="1", show_default=True, help="Ether for gas, per address.")
@click.option("--tokens", default="100", show_default=True, help="Test tokens (currency units) per address.")
def fund(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
         store_dir: Path | None, addresses: tuple[str, ...], ether: str, tokens: str) -> None:  # fmt: skip
    """Faucet on a test chain: send ether from the CM and mint test tokens (refused on other chains)."""
    from flexunity.oracle.faucet import check_test_chain, fund

    chain = cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    check_test_chain(chain)
    done = fund(
        chain, addresses, _units(ether, 18, "--ether"), _units(tokens, chain.token_decimals(), "--tokens")
    )
    for address in done.addresses:
        click.echo(f"funded {address}: {ether} ether, {tokens} {chain.token_symbol()}")


def _units(amount: str, decimals: int, option: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(amount) * 10**decimals
    except InvalidOperation:
        raise InputError(f"not an amount: {amount!r}", where=option) from None
    if value < 0 or value != value.to_integral_value():
        raise InputError(
            f"{amount} is not a non-negative amount with at most {decimals} decimals", where=option
        )
    return int(value)


def _signed_order(path: Path) -> SignedOrder:
    """A ``peer typed-data`` file with the wallet's ``signature`` added, checked: the payload hashes to
    the signed ``payloadHash`` and the signature is the named peer's."""
    from flexunity.chain.contracts import SignedOrder
    from flexunity.chain.eip712 import NO_DEBIT_CAP, Order, recover_signer
    from flexunity.chain.hashing import keccak

    try:
        document = json.loads(path.read_text())
        message = document["typedData"]["message"]
        payload = bytes.fromhex(document["payload"].removeprefix("0x"))
        payload_hash = bytes.fromhex(str(message["payloadHash"]).removeprefix("0x"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a signed order file ({type(exc).__name__}: {exc})", where=str(path)) from None
    if "signature" not in document:
        raise InputError(
            "no signature: add the wallet's eth_signTypedData_v4 result as 'signature'", where=str(path)
        )
    signature = bytes.fromhex(document["signature"].removeprefix("0x"))
    if keccak(payload) != payload_hash:
        raise InputError("the payload does not hash to the signed payloadHash (edited?)", where=str(path))
    if recover_signer(document["typedData"], signature).lower() != message["peer"].lower():
        raise InputError(f"the signature is not {message['peer']}'s", where=str(path))
    order = Order(
        message["roundId"],
        message["peer"],
        message["nonce"],
        message["deadline"],
        payload_hash,
        int(message.get("maxDebit", NO_DEBIT_CAP)),
    )
    return SignedOrder(order, payload, signature)
