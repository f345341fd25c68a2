"""The same deployment on anvil: digests agree and a relayed wallet-signed order is accepted."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from flexunity.chain.contracts import ContractClients, PeerKind, SignedOrder
from flexunity.chain.deploy import RoleAccounts, deploy_all
from flexunity.chain.eip712 import Order, order_typed_data, sign_typed_data, typed_digest

pytestmark = pytest.mark.devnet


def test_deploy_and_relay_on_anvil(anvil_w3: Web3) -> None:
    roles = RoleAccounts.from_accounts(anvil_w3.eth.accounts)
    deployment = deploy_all(anvil_w3, roles, admin_delay=0)
    assert set(deployment.manifest()["addresses"]) >= {"CommunityRegistry", "RoundBook", "SettlementToken"}
    c = ContractClients(anvil_w3, deployment)
    peer = Account.from_key(Web3.keccak(text="anvil peer"))
    c.registry.enrol(roles.community_manager, peer.address, PeerKind.CONSUMER)
    now = anvil_w3.eth.get_block("latest")["timestamp"]
    round_id = c.rounds.open_round(
        roles.community_manager, now + 4000, now + 600, 900, 4, Web3.keccak(text="anvil round config")
    )
    order = Order.for_payload(round_id, peer.address, 1, now + 600, b"\x01\x02")
    typed = order_typed_data(c.rounds.domain(), order)
    assert typed_digest(typed) == c.rounds.hash_order(order)
    c.rounds.relay_orders(
        roles.community_manager, [SignedOrder(order, b"\x01\x02", sign_typed_data(peer.key, typed))]
    )
    assert c.rounds.order_book(round_id).effective()[peer.address].nonce == 1
