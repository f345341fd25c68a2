"""``ape run deploy [--network ecosystem:network:provider]``: deploy FlexUnity and write a manifest.

The same deployment as ``flexunity deploy`` (flexunity.chain.deployment), through Ape's provider:
on Ape's local networks the roles are the node's first five test accounts; with ``--keystore`` a
FlexUnity keystore account holds every role and signs locally (the pilot network, docs/deployment.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand


@click.command(cls=ConnectedProviderCommand)
@click.option("--keystore", type=click.Path(path_type=Path), default=None, help="Deployer = every role.")
@click.option("--supplier", default=None, help="Supplier account (with --keystore; default: the deployer).")
@click.option("--challenge-window", type=int, default=3600, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("manifest.json"), show_default=True)
def cli(ecosystem: Any, network: Any, provider: Any, keystore: Path | None, supplier: str | None,
        challenge_window: int, out: Path) -> None:  # fmt: skip
    from flexunity.chain.deploy import RoleAccounts
    from flexunity.chain.deployment import deploy, use_local_signer
    from flexunity.chain.keystore import load_keystore

    w3 = provider.web3
    if keystore is not None:
        account = load_keystore(keystore)
        use_local_signer(w3, account)
        me = account.address
        roles = RoleAccounts(me, me, me, me, supplier or me)
    else:
        roles = RoleAccounts.from_accounts(w3.eth.accounts)
    in_process = provider.name == "test"  # Ape's eth-tester chain has no URL anyone else can reach
    rpc_url = None if in_process else getattr(provider, "uri", None) or getattr(provider, "http_uri", None)
    manifest, _ = deploy(
        w3, roles, network=f"{ecosystem.name}:{network.name}:{provider.name}", rpc_url=rpc_url,
        challenge_window=challenge_window,
    )  # fmt: skip
    manifest.save(out)
    click.echo(f"manifest written: {out} (chain {manifest.chain_id}, {ecosystem.name}:{network.name})")
    for name, contract in sorted(manifest.contracts.items()):
        click.echo(f"  {name:<20} {contract.address}  block {contract.block}")
