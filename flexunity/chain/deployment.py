"""Deploy the contracts with the chain room's ``deploy_all`` and describe them in a manifest.

On devnets the node's own accounts hold the roles (anvil's and eth-tester's are unlocked). On any
other node the roles are held by a keystore account: web3 gets a signing middleware so that every
transaction is signed locally and sent raw; the node needs no unlocked account.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.middleware import SignAndSendRawMiddlewareBuilder

from flexunity.chain.compiler import compiler_settings
from flexunity.chain.deploy import ClearingConfig, Deployment, RoleAccounts, deploy_all
from flexunity.chain.manifest import DeployedContract, Manifest
from flexunity.chain.retry import retrying
from flexunity.errors import ChainError

DEVNET_CHAIN_IDS = (1337, 31337)


def use_local_signer(w3: Web3, account: LocalAccount) -> None:
    """Sign every ``transact`` from ``account`` locally (SignAndSendRawMiddleware)."""
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
    w3.eth.default_account = account.address


def deploy(
    w3: Web3,
    roles: RoleAccounts,
    *,
    network: str,
    rpc_url: str | None = None,
    token: str | None = None,
    challenge_window: int = 3600,
    admin_delay: int = 24 * 3600,
    test_chain: bool | None = None,
) -> tuple[Manifest, Deployment]:
    """Deploy and wire everything; return the manifest and the chain room's deployment.

    ``test_chain`` marks the chain in the manifest as one whose ether and tokens are worthless (so
    ``flexunity oracle fund`` may hand them out); default: True on the devnets anvil and eth-tester.
    """
    retrying(lambda: w3.eth.chain_id, what="connect")
    config = ClearingConfig(challenge_window=challenge_window)
    deployment = deploy_all(w3, roles, token, config=config, admin_delay=admin_delay)
    if test_chain is None:
        test_chain = network in ("anvil", "eth-tester")
    manifest = manifest_of(deployment, network=network, rpc_url=rpc_url, test_chain=test_chain)
    return manifest, deployment


def manifest_of(
    deployment: Deployment, *, network: str, rpc_url: str | None, test_chain: bool = False
) -> Manifest:
    settings: dict[str, Any] = dict(asdict(compiler_settings()))
    settings["remappings"] = list(settings["remappings"])
    contracts = {
        name: DeployedContract(address, deployment.blocks[name], deployment.abi_hashes[name])
        for name, address in deployment.addresses.items()
    }
    return Manifest(
        chain_id=deployment.chain_id,
        contracts=contracts,
        compiler=settings,
        rpc_url=rpc_url,
        network=network,
        roles=dict(asdict(deployment.roles)),
        parameters={
            "clearing": asdict(deployment.config),
            "token_is_test_token": deployment.token_is_test_token,
            "test_chain": test_chain,
        },
    )


def check_chain_id(w3: Web3, expected: int | None, *, allow_devnet: bool) -> int:
    chain_id = int(retrying(lambda: w3.eth.chain_id, what="eth_chainId"))
    if expected is not None and chain_id != expected:
        raise ChainError(f"the node reports chain id {chain_id}, expected {expected}: refusing to deploy")
    if not allow_devnet and chain_id in DEVNET_CHAIN_IDS:
        raise ChainError(
            f"chain id {chain_id} is a devnet id; a pilot chain needs its own (EIP-712 domains rely on it)"
        )
    return chain_id
