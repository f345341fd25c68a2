"""Python and Solidity agree: EIP-712 digests, wallet signatures, order digests and Merkle proofs.

The typed data is signed the way a browser wallet signs it (eth_signTypedData_v4 full message, after
a JSON round trip), and replays on another chain, contract or round are rejected by the contracts.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from contract_helpers import (
    CHALLENGE_WINDOW,
    CONFIG_HASH,
    Setup,
    make_result,
    payload,
    sign_result,
    signed_order,
    skipped,
)
from eth_account import Account

from flexunity.chain.contracts import SignedOrder
from flexunity.chain.eip712 import (
    Order,
    chain_order_digest,
    domain_separator,
    order_typed_data,
    result_typed_data,
    sign_typed_data,
    typed_digest,
)
from flexunity.chain.settlement import SettlementLeaf, settlement_leaves, settlement_tree
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def open_round(s: Setup) -> int:
    gate = s.now() + 600
    return s.community.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)


def wallet_signature(key: bytes, typed: dict) -> bytes:
    """Sign what a dapp would hand a browser wallet: the JSON text of the full typed data."""
    message = json.loads(json.dumps(typed))
    return bytes(Account.sign_typed_data(key, full_message=message).signature)


def test_order_digest_equals_contract_hash_order(setup: Setup) -> None:
    c = setup.community
    order = Order.for_payload(7, setup.peers[0].address, 3, 2**40, payload())
    typed = order_typed_data(c.rounds.domain(), order)
    assert typed_digest(typed) == c.rounds.hash_order(order)
    on_chain_separator = bytes(c.rounds.contract.functions.domainSeparator().call())
    assert domain_separator(c.rounds.domain()) == on_chain_separator


def test_result_digest_equals_contract_hash_result(setup: Setup) -> None:
    c = setup.community
    round_id = open_round(setup)
    tree = settlement_tree(round_id, settlement_leaves(round_id, {setup.peers[0].address: 5, setup.cm: -5}))
    result = make_result(c, round_id, tree, fees=5)
    assert typed_digest(result_typed_data(c.clearing.domain(), result)) == c.clearing.hash_result(result)


def test_wallet_signed_orders_are_accepted_and_digest_chains(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    deadline = s.now() + 3600
    batch = []
    for i, peer in enumerate(s.peers):
        order = Order.for_payload(round_id, peer.address, 1, deadline, payload(seed=i))
        signature = wallet_signature(peer.key, order_typed_data(c.rounds.domain(), order))
        batch.append(SignedOrder(order, payload(seed=i), signature))
    c.rounds.relay_orders(s.cm, batch)
    expected = chain_order_digest(o.order.struct_hash() for o in batch)
    assert c.rounds.round(round_id).digest == expected
    assert c.rounds.order_book(round_id).digest == expected


@pytest.mark.parametrize("replay", ["chain", "contract", "round", "name"])
def test_order_signed_for_another_domain_or_round_is_rejected(setup: Setup, replay: str) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    other_round = open_round(s)
    peer = s.peers[0]
    data = payload()
    order = Order.for_payload(round_id, peer.address, 1, s.now() + 3600, data)
    domain = c.rounds.domain()
    if replay == "chain":
        domain = dataclasses.replace(domain, chain_id=domain.chain_id + 1)
    elif replay == "contract":
        domain = dataclasses.replace(domain, verifying_contract=c.clearing.address)
    elif replay == "name":
        domain = dataclasses.replace(domain, name="FlexUnity ClearingHouse")
    signature = sign_typed_data(peer.key, order_typed_data(domain, order))
    submitted = dataclasses.replace(order, round_id=other_round) if replay == "round" else order
    assert "InvalidSignature" in skipped(c, s.cm, [SignedOrder(submitted, data, signature)])


def test_replayed_order_is_rejected(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    signed = signed_order(c, s.peers[0], round_id, 1, s.now() + 3600, payload())
    c.rounds.relay_orders(s.cm, [signed])
    assert "NonceAlreadyUsed" in skipped(c, s.cm, [signed])


@pytest.mark.parametrize("replay", ["chain", "contract", "round"])
def test_result_signed_for_another_domain_or_round_is_rejected(setup: Setup, replay: str) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    other_round = open_round(s)
    s.travel(700)
    tree = settlement_tree(round_id, settlement_leaves(round_id, {s.peers[0].address: 5, s.cm: -5}))
    result = make_result(c, round_id, tree, fees=5)
    domain = c.clearing.domain()
    if replay == "chain":
        domain = dataclasses.replace(domain, chain_id=domain.chain_id + 1)
    elif replay == "contract":
        domain = dataclasses.replace(domain, verifying_contract=c.rounds.address)
    signatures = sign_result(domain, result, s.cm_key)
    if replay == "round":
        result = dataclasses.replace(result, round_id=other_round)
    with pytest.raises(ChainError, match="UnauthorizedSigner"):
        c.clearing.post_result(s.cm, result, signatures)


@pytest.mark.parametrize("peers", [1, 2, 3, 6])
def test_python_merkle_proofs_settle_and_tampered_leaves_fail(make_setup, peers: int) -> None:
    s = make_setup(peers=peers)
    c = s.community
    for peer in s.peers:
        c.escrow.deposit(peer.address, 10**6)
    round_id = open_round(s)
    deadline = s.now() + 600
    c.rounds.relay_orders(s.cm, [signed_order(c, p, round_id, 1, deadline, payload()) for p in s.peers])
    s.travel(700)
    bills = {peer.address: 1000 + i for i, peer in enumerate(s.peers)}
    bills[s.cm] = -sum(bills.values())
    tree = settlement_tree(round_id, settlement_leaves(round_id, bills))
    result = make_result(c, round_id, tree)
    c.clearing.post_result(s.cm, result, sign_result(c.clearing.domain(), result, s.cm_key))
    s.travel(CHALLENGE_WINDOW + 1)

    first = tree.leaves[0]
    tampered = dataclasses.replace(first, amount=first.amount - 1)
    state = c.clearing.round_result(round_id).as_tuple()
    fn = c.escrow.contract.functions.applySettlements(round_id, state, [tampered.as_tuple()], [tree.proof(0)])
    with pytest.raises(ChainError, match="SettlementProofInvalid"):
        c.escrow._send(fn, s.cm, "applying a tampered leaf")
    c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))
    assert all(c.escrow.is_applied(round_id, leaf.index) for leaf in tree.leaves)
    assert c.escrow.account(s.cm).balance == sum(1000 + i for i in range(peers))


def test_leaf_encoding_matches_contract_struct(setup: Setup) -> None:
    """Every leaf field reaches the contract: changing any one breaks the proof."""
    leaf = SettlementLeaf(1, 0, setup.peers[0].address, 5, False, 1, 2, 3, 4)
    fields = [f.name for f in dataclasses.fields(SettlementLeaf)]
    assert len(leaf.as_tuple()) == len(fields) == 9
