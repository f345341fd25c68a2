"""``flexunity oracle run``: the community manager's oracle (docs/oracle.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flexunity.cli.options import CM_KEYSTORE, CM_PRIVATE_KEY_ENV, MANIFEST, RPC, STORE
from flexunity.errors import InputError


@click.group()
def oracle() -> None:
    """Run the community manager's oracle against a chain."""


@oracle.command()
@MANIFEST
@CM_KEYSTORE
@CM_PRIVATE_KEY_ENV
@RPC
@STORE
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
    from flexunity.oracle.service import build_service, connect
    from flexunity.record.store import default_store

    manifest, url, account = _manifest_url_account(
        manifest_path, keystore, private_key_env, rpc_url, "the oracle signs results"
    )

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
            for round_id, step in service.tick(selected).items():
                click.echo(f"round {round_id}: {step.value}")
            if service.failed:
                raise SystemExit(4)
            return
        click.echo(f"oracle watching chain {manifest.chain_id} at {url} (Ctrl-C to stop)", err=True)
        _serve_with_countdown(service, selected, poll, live)
    finally:
        lock.release()


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


CM_KEY_OPTIONS = [MANIFEST, CM_KEYSTORE, CM_PRIVATE_KEY_ENV, RPC, STORE]


def _cm_options(fn: Any) -> Any:
    for option in reversed(CM_KEY_OPTIONS):
        fn = option(fn)
    return fn


def _cm_chain(
    manifest_path: Path, keystore: Path | None, key_env: str | None, rpc_url: str | None, store: Path | None
) -> Any:
    from flexunity.oracle.chainio import OracleChain
    from flexunity.oracle.service import connect
    from flexunity.record.store import FolderStore, default_store

    manifest, url, account = _manifest_url_account(
        manifest_path, keystore, key_env, rpc_url, "this command signs as the CM"
    )
    w3 = connect(url, manifest, lambda m: click.echo(m, err=True))
    folder = FolderStore(store or default_store(manifest_path))
    return OracleChain.from_manifest(w3, manifest, account, store=folder)


@oracle.command(name="open")
@_cm_options
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

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    scenario = scenario_to_dict(load_scenario(scenario_path))
    gate = chain.now() + gate_in
    next_round = len(chain.open_rounds()) + 1
    config_hash = chain.store.put_json(
        round_config(scenario, next_round, token_decimals=chain.token_decimals())
    )
    seconds = int(scenario["interval_minutes"]) * 60
    round_id = chain.open_round(start or gate, gate, seconds, int(scenario["intervals"]), config_hash)
    click.echo(f"round {round_id} open for orders until {when(gate)}; config {config_hash}")


@oracle.command()
@_cm_options
@click.argument("signed_orders", nargs=-1, type=click.Path(path_type=Path, exists=True), required=True)
def relay(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path | None, signed_orders: tuple[Path, ...]) -> None:  # fmt: skip
    """Relay wallet-signed orders (``peer typed-data`` files with a ``signature`` added) in batches.

    Every order is first checked as the contract will check it (round open, deadline, the payload
    hashing to the signed ``payloadHash``, the signature over this chain's RoundBook domain,
    membership, nonces): one bad file would otherwise sink its whole batch on chain. Bad files are
    named, nothing is sent."""
    import json

    from eth_hash.auto import keccak

    from flexunity.chain.contracts import SignedOrder
    from flexunity.chain.eip712 import NO_DEBIT_CAP, Order, recover_signer

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    signed = []
    for path in signed_orders:
        try:
            document = json.loads(path.read_text())
            message = document["typedData"]["message"]
            payload = bytes.fromhex(document["payload"].removeprefix("0x"))
            payload_hash = bytes.fromhex(str(message["payloadHash"]).removeprefix("0x"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"not a signed order file ({type(exc).__name__}: {exc})", where=str(path)
            ) from None
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
        signed.append(SignedOrder(order, payload, signature))
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


@oracle.command()
@_cm_options
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

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
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
            chain, chain.store, round_id=round_id, result_hash=result_hash, plan=plan, db=db,
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


@oracle.command()
@_cm_options
@click.option("--address", "addresses", multiple=True, required=True, help="Peer address (repeatable).")
@click.option(
    "--kind", type=click.Choice(["consumer", "prosumer", "producer", "storage"]), default="consumer"
)
def enrol(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path | None, addresses: tuple[str, ...], kind: str) -> None:  # fmt: skip
    """Enrol peers (from the next round on)."""
    from eth_utils import is_address

    from flexunity.chain.contracts import PeerKind

    for address in addresses:
        if not is_address(address):
            raise InputError(f"not an address: {address!r} (0x followed by 40 hex digits)", where="--address")
    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    chain.enrol([(a, PeerKind[kind.upper()], b"\0" * 32) for a in addresses])
    click.echo(f"enrolled {len(addresses)} peers as {kind}")


@oracle.command()
@_cm_options
@click.option("--address", "addresses", multiple=True, required=True, help="Who to fund (repeatable).")
@click.option("--ether", default="1", show_default=True, help="Ether for gas, per address.")
@click.option("--tokens", default="100", show_default=True, help="Test tokens (currency units) per address.")
def fund(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
         store_dir: Path | None, addresses: tuple[str, ...], ether: str, tokens: str) -> None:  # fmt: skip
    """Faucet on a test chain: send ether from the CM and mint test tokens (refused on other chains)."""
    from flexunity.oracle.faucet import check_test_chain, fund

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
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


def _manifest_url_account(
    manifest_path: Path, keystore: Path | None, key_env: str | None, rpc_url: str | None, why: str
) -> tuple[Any, str, Any]:
    """The manifest, the RPC URL to use and the CM's account, or an InputError saying what is missing."""
    import os

    from eth_account import Account

    from flexunity.chain.keystore import load_keystore
    from flexunity.chain.manifest import load_manifest

    manifest = load_manifest(manifest_path)
    url = rpc_url or manifest.rpc_url
    if not url:
        raise InputError("no RPC URL: pass --rpc (the manifest has none)")
    if key_env:
        if key_env not in os.environ:
            raise InputError(f"{key_env} is not set")
        return manifest, url, Account.from_key(os.environ[key_env])
    if keystore:
        return manifest, url, load_keystore(keystore)
    raise InputError(f"{why}: pass --keystore FILE (or --private-key-env VAR on a devnet)")
