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

    w3 = connect(url, manifest, report)
    service = build_service(
        w3, manifest, account, store=store_dir, state=state_path, report=report, batch_size=batch_size
    )
    selected = list(rounds) or None
    if once:
        for round_id, step in service.tick(selected).items():
            click.echo(f"round {round_id}: {step.value}")
        if service.failed:
            raise SystemExit(4)
        return
    click.echo(f"oracle watching chain {manifest.chain_id} at {url} (Ctrl-C to stop)", err=True)
    service.serve(selected, poll=poll)


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
    """Relay wallet-signed orders (``peer typed-data`` files with a ``signature`` added) in batches."""
    import json

    from flexunity.chain.contracts import SignedOrder
    from flexunity.chain.eip712 import Order, recover_signer

    chain = _cm_chain(manifest_path, keystore, private_key_env, rpc_url, store_dir)
    signed = []
    for path in signed_orders:
        document = json.loads(path.read_text())
        if "signature" not in document:
            raise InputError(
                "no signature: add the wallet's eth_signTypedData_v4 result as 'signature'", where=str(path)
            )
        message, payload = (
            document["typedData"]["message"],
            bytes.fromhex(document["payload"].removeprefix("0x")),
        )
        signature = bytes.fromhex(document["signature"].removeprefix("0x"))
        if recover_signer(document["typedData"], signature).lower() != message["peer"].lower():
            raise InputError(f"the signature is not {message['peer']}'s", where=str(path))
        order = Order.for_payload(
            message["roundId"], message["peer"], message["nonce"], message["deadline"], payload
        )
        signed.append(SignedOrder(order, payload, signature))
    mined = chain.relay(signed)
    click.echo(
        f"relayed {len(signed)} orders in {len(mined)} transactions, gas {sum(m.gas_used for m in mined):,}"
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
