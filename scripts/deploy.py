"""``ape run deploy [--network ecosystem:network:provider | URL]``: deploy FlexUnity and write a manifest.

The same deployment as ``flexunity deploy`` (flexunity.chain.deployment), through Ape's provider:
on Ape's local networks the roles are the node's first five test accounts; with ``--keystore`` a
FlexUnity keystore account is admin and CM and signs locally, ``--supplier``/``--arbiter``/``--pauser``
naming other accounts. A pilot's testnet is reached by its URL (``--network "$FLEXUNITY_PILOT_RPC_URL"``):
its chain id is the node's, checked against ``FLEXUNITY_PILOT_CHAIN_ID`` when set; devnet ids are
refused for it (docs/deployment.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand


@click.command(cls=ConnectedProviderCommand)
@click.option("--keystore", type=click.Path(path_type=Path), default=None, help="Deployer = admin = CM.")
@click.option("--supplier", default=None, help="Supplier account (with --keystore; default: the deployer).")
@click.option("--arbiter", default=None, help="Arbiter account (with --keystore; default: the deployer).")
@click.option("--pauser", default=None, help="Pauser account (with --keystore; default: the deployer).")
@click.option("--test-chain", is_flag=True, help="Mark the chain a test chain (enables `oracle fund`).")
@click.option("--challenge-window", type=int, default=3600, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("manifest.json"), show_default=True)
def cli(ecosystem: Any, network: Any, provider: Any, keystore: Path | None, supplier: str | None,
        arbiter: str | None, pauser: str | None, test_chain: bool, challenge_window: int,
        out: Path) -> None:  # fmt: skip
    from eth_utils import to_checksum_address

    from flexunity.chain.deploy import RoleAccounts
    from flexunity.chain.deployment import check_chain_id, deploy, use_local_signer
    from flexunity.chain.keystore import load_keystore

    w3 = provider.web3
    in_process = provider.name == "test"  # Ape's eth-tester chain has no URL anyone else can reach
    local = network.name == "local"
    if not local:
        wanted = os.environ.get("FLEXUNITY_PILOT_CHAIN_ID")
        check_chain_id(w3, int(wanted) if wanted else None, allow_devnet=False)
    if keystore is not None:
        account = load_keystore(keystore)
        use_local_signer(w3, account)
        me = account.address
        named = [to_checksum_address(x) if x else me for x in (arbiter, pauser, supplier)]
        roles = RoleAccounts(me, me, *named)
    else:
        roles = RoleAccounts.from_accounts(w3.eth.accounts)
    rpc_url = None if in_process else getattr(provider, "uri", None) or getattr(provider, "http_uri", None)
    manifest, _ = deploy(
        w3, roles, network=f"{ecosystem.name}:{network.name}:{provider.name}", rpc_url=rpc_url,
        challenge_window=challenge_window, test_chain=True if local else test_chain,
    )  # fmt: skip
    manifest.save(out)
    click.echo(f"manifest written: {out} (chain {manifest.chain_id}, {ecosystem.name}:{network.name})")
    for name, contract in sorted(manifest.contracts.items()):
        click.echo(f"  {name:<20} {contract.address}  block {contract.block}")
    if in_process:
        click.echo(
            "warning: Ape's default network is an in-process chain that vanished when this command "
            "exited; the manifest describes a chain now gone. Deploy to a node: --network "
            "ethereum:local:foundry (anvil) or --network URL (docs/deployment.md)",
            err=True,
        )
