"""``flexunity deploy``: deploy and wire the contracts, write the deployment manifest (docs/deployment.md)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import click

from flexunity.errors import InputError

DEPLOY_RPC_TIMEOUT_S = 120  # seconds per request: a deployment transaction on a public chain can be slow


@click.command()
@click.option(
    "--network",
    type=click.Choice(["anvil", "eth-tester", "pilot"]),
    default="anvil",
    show_default=True,
    help="anvil: started for you on a free port; pilot: FLEXUNITY_PILOT_RPC_URL with a keystore.",
)
@click.option("--rpc", "rpc_url", default=None, help="Any JSON-RPC endpoint (needs --keystore).")
@click.option(
    "--keystore",
    type=click.Path(path_type=Path),
    default=None,
    help="Deployer = admin = CM (passphrase: FLEXUNITY_PASSPHRASE).",
)
@click.option(
    "--chain-id", type=int, default=None, help="Refuse to deploy unless the node reports this chain id."
)
@click.option("--supplier", default=None, help="Supplier account (default: the deployer).")
@click.option("--arbiter", default=None, help="Arbiter account (default: the deployer).")
@click.option("--pauser", default=None, help="Pauser account (default: the deployer).")
@click.option(
    "--token", default=None, help="An existing ERC-20 settlement token (default: deploy a test token)."
)
@click.option("--challenge-window", type=int, default=3600, show_default=True, help="Seconds.")
@click.option(
    "--admin-delay", type=int, default=24 * 3600, show_default=True, help="Seconds for admin transfers."
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("manifest.json"), show_default=True)
@click.option("--exit", "exit_after", is_flag=True, help="anvil: stop the devnet after writing the manifest.")
@click.option(
    "--test-chain", is_flag=True,
    help="Mark the chain a test chain in the manifest (its ether and tokens are worthless): enables "
    "`flexunity oracle fund`. Always set on anvil and eth-tester.",
)  # fmt: skip
def deploy(
    network: str,
    rpc_url: str | None,
    keystore: Path | None,
    chain_id: int | None,
    supplier: str | None,
    arbiter: str | None,
    pauser: str | None,
    token: str | None,
    challenge_window: int,
    admin_delay: int,
    out: Path,
    exit_after: bool,
    test_chain: bool,
) -> None:
    """Deploy and wire the contracts; write a deployment manifest."""
    if rpc_url or network == "pilot":
        _deploy_remote(
            rpc_url,
            network,
            keystore,
            chain_id,
            supplier,
            arbiter,
            pauser,
            token,
            challenge_window,
            admin_delay,
            out,
            test_chain,
        )
    elif network == "eth-tester":
        _deploy_devnet(None, "eth-tester", token, challenge_window, admin_delay, out)
        click.echo(
            "note: the eth-tester chain lived in this process only; the manifest describes a chain now gone"
        )
    else:
        _deploy_anvil(token, challenge_window, admin_delay, out, exit_after)


def _deploy_remote(
    rpc_url: str | None,
    network: str,
    keystore: Path | None,
    chain_id: int | None,
    supplier: str | None,
    arbiter: str | None,
    pauser: str | None,
    token: str | None,
    challenge_window: int,
    admin_delay: int,
    out: Path,
    test_chain: bool = False,
) -> None:
    from flexunity.chain.addresses import checksum, is_address
    from flexunity.chain.deploy import RoleAccounts
    from flexunity.chain.deployment import check_chain_id, deploy, use_local_signer
    from flexunity.chain.keystore import load_keystore
    from flexunity.chain.node import balance, http_web3

    if network == "pilot" and not rpc_url:
        rpc_url = os.environ.get("FLEXUNITY_PILOT_RPC_URL")
        if not rpc_url:
            raise InputError(
                "--network pilot reads FLEXUNITY_PILOT_RPC_URL, which is not set (docs/deployment.md)"
            )
        if chain_id is None and os.environ.get("FLEXUNITY_PILOT_CHAIN_ID"):
            chain_id = int(os.environ["FLEXUNITY_PILOT_CHAIN_ID"])
    if keystore is None:
        raise InputError("deploying to an RPC endpoint needs --keystore FILE (no unlocked accounts are used)")
    assert rpc_url is not None
    account = load_keystore(keystore)
    w3 = http_web3(rpc_url, timeout=DEPLOY_RPC_TIMEOUT_S)
    actual = check_chain_id(w3, chain_id, allow_devnet=network != "pilot")
    if balance(w3, account.address) == 0:
        raise InputError(f"the deployer {account.address} has no ether on chain {actual} to pay for gas")
    use_local_signer(w3, account)
    me = account.address
    for option, value in (("--supplier", supplier), ("--arbiter", arbiter), ("--pauser", pauser)):
        if value is not None and not is_address(value):
            raise InputError(f"not an address: {value!r} (0x followed by 40 hex digits)", where=option)
    named = {k: checksum(v) if v else me for k, v in (("a", arbiter), ("p", pauser), ("s", supplier))}
    roles = RoleAccounts(me, me, named["a"], named["p"], named["s"])
    click.echo(f"deploying to chain {actual} at {rpc_url} from {me} (signed locally)")
    manifest, _ = deploy(
        w3,
        roles,
        network=network if network == "pilot" else "rpc",
        rpc_url=rpc_url,
        token=token,
        challenge_window=challenge_window,
        admin_delay=admin_delay,
        test_chain=test_chain,
    )
    _written(manifest.save(out), manifest)


def _deploy_devnet(
    rpc_url: str | None,
    network: str,
    token: str | None,
    challenge_window: int,
    admin_delay: int,
    out: Path,
    w3: object | None = None,
) -> None:
    from flexunity.chain.deploy import RoleAccounts
    from flexunity.chain.deployment import deploy
    from flexunity.chain.devnet import eth_tester_web3

    web3: Any = w3 if w3 is not None else eth_tester_web3()
    roles = RoleAccounts.from_accounts(web3.eth.accounts)  # type: ignore[attr-defined]
    manifest, _ = deploy(
        web3,
        roles,
        network=network,
        rpc_url=rpc_url,
        token=token,  # type: ignore[arg-type]
        challenge_window=challenge_window,
        admin_delay=admin_delay,
    )
    _written(manifest.save(out), manifest)


def _deploy_anvil(
    token: str | None, challenge_window: int, admin_delay: int, out: Path, exit_after: bool
) -> None:
    from flexunity.chain.devnet import DEFAULT_MNEMONIC, start_anvil

    node = start_anvil()
    try:
        _deploy_devnet(node.rpc_url, "anvil", token, challenge_window, admin_delay, out, w3=node.web3())
        click.echo(
            f"anvil (chain {node.chain_id}) at {node.rpc_url}; roles are its accounts 0-4 "
            f"(admin, CM, arbiter, pauser, supplier) from the mnemonic {DEFAULT_MNEMONIC!r}"
        )
        click.echo(f"CM key (devnet only, for `oracle run --private-key-env`): {_devnet_key(1)}")
        if exit_after:
            return
        click.echo("anvil keeps running for the oracle and peers; Ctrl-C stops it")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while node.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()


def _devnet_key(index: int) -> str:
    from flexunity.chain.accounts import account_from_mnemonic
    from flexunity.chain.devnet import DEFAULT_MNEMONIC

    account = account_from_mnemonic(DEFAULT_MNEMONIC, index)
    return "0x" + bytes(account.key).hex()


def _written(path: Path, manifest: object) -> None:
    from flexunity.chain.manifest import Manifest

    assert isinstance(manifest, Manifest)
    from flexunity.cli.audit import default_store

    store = default_store(path)
    store.mkdir(parents=True, exist_ok=True)
    click.echo(f"manifest written: {path} (chain {manifest.chain_id}); document store: {store}/")
    for name, contract in sorted(manifest.contracts.items()):
        click.echo(f"  {name:<20} {contract.address}  block {contract.block}")
