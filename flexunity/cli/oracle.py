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
    store_dir: Path,
    state_path: Path,
    rounds: tuple[int, ...],
    once: bool,
    poll: float,
    batch_size: int,
) -> None:
    """Watch the chain; clear, post and settle every round that reaches gate closure."""
    from flexunity.oracle.service import build_service, connect

    manifest, url, account = _manifest_url_account(
        manifest_path, keystore, private_key_env, rpc_url, "the oracle signs results"
    )

    def report(message: str) -> None:
        click.echo(message, err=True)

    from flexunity.oracle.lock import OracleLock

    w3 = connect(url, manifest, report, wait=not once)
    service = build_service(
        w3, manifest, account, store=store_dir, state=state_path, report=report, batch_size=batch_size
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
        service.serve(selected, poll=poll)
    finally:
        lock.release()


CM_KEY_OPTIONS = [MANIFEST, CM_KEYSTORE, CM_PRIVATE_KEY_ENV, RPC, STORE]


def _cm_options(fn: Any) -> Any:
    for option in reversed(CM_KEY_OPTIONS):
        fn = option(fn)
    return fn


def _cm_chain(
    manifest_path: Path, keystore: Path | None, key_env: str | None, rpc_url: str | None, store: Path
) -> Any:
    from flexunity.oracle.chainio import OracleChain
    from flexunity.oracle.service import connect
    from flexunity.record.store import FolderStore

    manifest, url, account = _manifest_url_account(
        manifest_path, keystore, key_env, rpc_url, "this command signs as the CM"
    )
    w3 = connect(url, manifest, lambda m: click.echo(m, err=True))
    return OracleChain.from_manifest(w3, manifest, account, store=FolderStore(store))


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
          store_dir: Path, scenario_path: Path, gate_in: int, start: int | None) -> None:  # fmt: skip
    """Store a round's config and open the round bound to its hash (openRound's configHash)."""
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
    click.echo(f"round {round_id} open until {gate} (unix time); config {config_hash}")


@oracle.command()
@_cm_options
@click.argument("signed_orders", nargs=-1, type=click.Path(path_type=Path, exists=True), required=True)
def relay(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path, signed_orders: tuple[Path, ...]) -> None:  # fmt: skip
    """Relay wallet-signed orders (``peer typed-data`` files with a ``signature`` added) in batches.

    Every order is first checked as the contract will check it (round open, deadline, the payload
    hashing to the signed ``payloadHash``, the signature over this chain's RoundBook domain,
    membership, nonces): one bad file would otherwise sink its whole batch on chain. Bad files are
    named, nothing is sent."""
    import json

    from eth_hash.auto import keccak

    from flexunity.chain.contracts import SignedOrder
    from flexunity.chain.eip712 import Order, recover_signer

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
            message["roundId"], message["peer"], message["nonce"], message["deadline"], payload_hash
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
            store_dir: Path, round_id: int, state_path: Path, product: str | None, products_file: Path | None,
            rule: str, seed: int, activation_file: Path | None, claim_window: int) -> None:  # fmt: skip
    """Offer a settled round's flexibility, share the revenue and create its distribution, once."""
    from flexunity.oracle.lock import OracleLock
    from flexunity.oracle.revenue import distribute_revenue
    from flexunity.oracle.state import StateDB

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    lock = OracleLock(state_path, chain.identity()).acquire()
    try:
        db = StateDB(state_path)
        db.bind(chain.identity())
        result_hash = chain.posted_document_hash(round_id)
        if not result_hash or not chain.view(round_id).finalized:
            raise InputError(f"round {round_id} has no final result on chain yet: nothing to share")
        outcome = distribute_revenue(
            chain, chain.store, round_id=round_id, result_hash=result_hash, db=db,
            claim_window_s=claim_window, report=lambda m: click.echo(m, err=True), product=product,
            products_file=products_file, rule=rule, seed=seed, activation_file=activation_file,
        )  # fmt: skip
    finally:
        lock.release()
    if outcome.distribution_id is None:
        click.echo(f"round {round_id}: nothing distributed ({'; '.join(outcome.reasons)})")
    else:
        click.echo(
            f"round {round_id}: distribution {outcome.distribution_id} of {outcome.total} base units "
            f"({outcome.document_hash})"
        )


@oracle.command()
@_cm_options
@click.option("--address", "addresses", multiple=True, required=True, help="Peer address (repeatable).")
@click.option(
    "--kind", type=click.Choice(["consumer", "prosumer", "producer", "storage"]), default="consumer"
)
def enrol(manifest_path: Path, keystore: Path | None, private_key_env: str | None, rpc_url: str | None,
          store_dir: Path, addresses: tuple[str, ...], kind: str) -> None:  # fmt: skip
    """Enrol peers (from the next round on)."""
    from flexunity.chain.contracts import PeerKind

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    chain.enrol([(a, PeerKind[kind.upper()], b"\0" * 32) for a in addresses])
    click.echo(f"enrolled {len(addresses)} peers as {kind}")


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
