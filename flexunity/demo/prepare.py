"""A devnet community for the demo (and the benchmark and tests): the devnet, the deployment, the role
and peer wallets funded, enrolled and deposited, and each round opened with the peers' signed orders."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexunity.chain.deployment import deploy, use_local_signer
from flexunity.chain.manifest import Manifest
from flexunity.chain.node import Web3, pay_from_node
from flexunity.chain.rpc import Sender
from flexunity.demo.community import (
    ETHER,
    Gas,
    PeerWallet,
    RoleKeys,
    deposit_for,
    key_for,
    setup_peers,
    sign_orders,
)
from flexunity.demo.options import GATE_SECONDS, DemoOptions, Reporter, Timer
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.record.orders import round_config
from flexunity.record.store import FolderStore

DEVNET_GAS_LIMIT = 100_000_000  # a block takes a few hundred peers' relayed orders and settlement
DEVNET_RPC_TIMEOUT_S = 120  # a loaded 2-core CI machine answers a big batch slowly


@contextlib.contextmanager
def devnet(network: str, kept: list[int] | None = None) -> Iterator[tuple[Web3, str | None]]:
    """The demo's chain; with ``kept`` (a list), anvil is left running afterwards and its pid appended."""
    if network == "anvil" and kept is not None:
        from flexunity.chain.devnet import start_anvil

        node = start_anvil(chain_id=private_chain_id(), gas_limit=DEVNET_GAS_LIMIT)
        kept.append(node.process.pid)
        yield node.web3(timeout=DEVNET_RPC_TIMEOUT_S), node.rpc_url
    elif network == "anvil":
        from flexunity.chain.devnet import anvil

        with anvil(chain_id=private_chain_id(), gas_limit=DEVNET_GAS_LIMIT) as node:
            yield node.web3(timeout=DEVNET_RPC_TIMEOUT_S), node.rpc_url
    elif network == "eth-tester":
        from flexunity.chain.devnet import eth_tester_web3

        yield eth_tester_web3(), None
    else:
        raise InputError(f"unknown devnet {network!r}: anvil or eth-tester")


def private_chain_id() -> int:
    """A chain id of its own for each devnet run.

    Two processes that pick the same free port at the same moment could otherwise both talk to one
    anvil (each checks only that the node answers with the chain id it expects) and mix their nonces.
    """
    return 31_337_000 + secrets.randbelow(1_000_000)


def fund_roles(w3: Web3, roles: RoleKeys) -> None:
    """The node's first (unlocked) account pays ether to the locally generated role keys."""
    # the admin funds the peers: it gets more
    payments = [(a.address, (5000 if a is roles.admin else 100) * ETHER) for a in roles.all()]
    pay_from_node(w3, payments)


@dataclass
class Community:
    """A deployed devnet community: the CM's chain adapter, the peers' wallets and the role keys."""

    chain: OracleChain
    roles: RoleKeys
    wallets: list[PeerWallet]
    manifest: Manifest
    manifest_path: Path
    store: FolderStore


def prepare(
    w3: Web3,
    rpc_url: str | None,
    options: DemoOptions,
    scenario: dict[str, Any],
    timer: Timer,
    gas: Gas,
    report: Reporter,
    roles: RoleKeys | None = None,
) -> Community:
    """Deploy, then create, fund, enrol and deposit for one wallet per peer.

    ``roles``: the role keys (one account may hold several roles); default: one key per role from the seed.
    """
    seed = f"flexunity-demo/{scenario['name']}/{options.seed}"
    roles = roles or RoleKeys.generate(seed)
    with timer.step("deploy"):
        fund_roles(w3, roles)
        use_local_signer(w3, roles.admin)
        manifest, _ = deploy(
            w3,
            roles.role_accounts(),
            network=options.network,
            rpc_url=rpc_url,
            challenge_window=options.challenge_window,
        )
        manifest_path = manifest.save(options.out / "manifest.json")
    store = FolderStore(options.out / "store")
    chain = OracleChain.from_manifest(w3, manifest, roles.cm, store=store)
    chain.settle_batch_size, chain.relay_batch_size = options.settle_batch, options.relay_batch
    decimals = chain.token_decimals()
    wallets = [
        PeerWallet(
            p["id"], key_for(f"{seed}/peer/{p['id']}"), p, deposit_for(p, scenario, decimals, options.rounds)
        )
        for p in scenario["peers"]
    ]
    with timer.step("wallets, deposits, enrolment"):
        admin = Sender(w3, roles.admin, chain.decoder)
        float_money = 10**decimals * 10_000
        extra = [(roles.cm, float_money)]
        if roles.supplier.address != roles.cm.address:
            extra.append((roles.supplier, float_money))
        setup_peers(chain, admin, wallets, scenario, gas, extra_accounts=extra, report=report)
    return Community(chain, roles, wallets, manifest, manifest_path, store)


def open_round_with_orders(community: Community, scenario: dict[str, Any], timer: Timer) -> tuple[int, int]:
    """Publish the config, open the next round, relay every peer's signed order; (round id, gate)."""
    chain = community.chain
    with timer.step("open round"):
        gate = chain.now() + GATE_SECONDS
        next_round = len(chain.open_rounds()) + 1
        config = round_config(
            scenario, next_round, token_decimals=chain.token_decimals(), token_symbol=chain.token_symbol()
        )
        config_hash = community.store.put_json(config)
        seconds = int(scenario["interval_minutes"]) * 60
        round_id = chain.open_round(gate, gate, seconds, int(scenario["intervals"]), config_hash)
    with timer.step("orders"):
        chain.relay(sign_orders(chain, community.wallets, scenario, round_id, gate))
    return round_id, gate
