"""deploy_all: wiring, the manifest, and an existing ERC-20 as settlement token."""

from __future__ import annotations

import pytest
from web3 import Web3

from flexunity.chain.compiler import CompiledContract
from flexunity.chain.contracts import ContractClients
from flexunity.chain.deploy import CONTRACT_NAMES, RoleAccounts, deploy_all
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def test_manifest_and_wiring(eth_tester_w3: Web3, compiled: dict[str, CompiledContract]) -> None:
    roles = RoleAccounts.from_accounts(eth_tester_w3.eth.accounts)
    deployment = deploy_all(eth_tester_w3, roles, compiled=dict(compiled))
    manifest = deployment.manifest()
    assert set(CONTRACT_NAMES) | {"SettlementToken"} == set(manifest["addresses"])
    assert manifest["abi_hashes"]["RoundBook"] == compiled["RoundBook"].abi_hash
    assert manifest["token_is_test_token"] is True
    c = ContractClients(eth_tester_w3, deployment)
    assert c.registry.signers() == [roles.community_manager] and c.registry.threshold() == 1
    assert c.registry.fee_recipient() == roles.community_manager and c.registry.supplier() == roles.supplier
    assert c.escrow.contract.functions.token().call() == deployment.token
    assert c.token.decimals() == 6


def test_existing_token_is_used(eth_tester_w3: Web3, compiled: dict[str, CompiledContract]) -> None:
    roles = RoleAccounts.from_accounts(eth_tester_w3.eth.accounts)
    first = deploy_all(eth_tester_w3, roles, compiled=dict(compiled))
    second = deploy_all(eth_tester_w3, roles, token=first.token, compiled=dict(compiled))
    assert second.token == first.token and second.token_is_test_token is False
    with pytest.raises(ChainError, match="no contract"):
        deploy_all(eth_tester_w3, roles, token=roles.supplier, compiled=dict(compiled))
