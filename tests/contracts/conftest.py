"""Fixtures for the contract tests: a fresh deployment on eth-tester, peers with known keys, time travel."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from contract_helpers import CHALLENGE_WINDOW, DISPUTE_BOND, FUNDS, RESULT_TIMEOUT, Setup
from eth_account import Account
from web3 import Web3

from flexunity.chain.compiler import CompiledContract, compile_contracts
from flexunity.chain.contracts import ContractClients, PeerKind
from flexunity.chain.deploy import ClearingConfig, RoleAccounts, deploy_all


@pytest.fixture(scope="session")
def compiled() -> dict[str, CompiledContract]:
    return compile_contracts()


@pytest.fixture
def make_setup(eth_tester_w3: Web3, compiled: dict[str, CompiledContract]) -> Callable[..., Setup]:
    def build(peers: int = 4, config: ClearingConfig | None = None, fund: bool = True) -> Setup:
        w3 = eth_tester_w3
        roles = RoleAccounts.from_accounts(w3.eth.accounts)
        config = config or ClearingConfig(CHALLENGE_WINDOW, RESULT_TIMEOUT, DISPUTE_BOND)
        deployment = deploy_all(w3, roles, config=config, admin_delay=3600, compiled=dict(compiled))
        community = ContractClients(w3, deployment)
        accounts = [Account.from_key(Web3.keccak(text=f"flexunity peer {i}")) for i in range(peers)]
        tester = w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for peer in accounts:
            if peer.address not in w3.eth.accounts:
                tester.add_account(peer.key.hex())
            w3.eth.send_transaction({"from": roles.admin, "to": peer.address, "value": 10**18})
            community.registry.enrol(roles.community_manager, peer.address, PeerKind.PROSUMER)
            if fund:
                community.token.mint(roles.community_manager, peer.address, FUNDS)
                community.token.approve(peer.address, community.escrow.address, 2**256 - 1)
        community.token.mint(roles.community_manager, roles.community_manager, 100 * FUNDS)
        community.token.approve(roles.community_manager, community.escrow.address, 2**256 - 1)
        community.token.approve(roles.community_manager, community.revenue.address, 2**256 - 1)
        return Setup(w3, deployment, community, roles, accounts)

    return build


@pytest.fixture
def setup(make_setup: Callable[..., Setup]) -> Setup:
    return make_setup()
