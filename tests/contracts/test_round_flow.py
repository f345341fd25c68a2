"""A whole round on chain: open, orders (direct and relayed), result, window, settlement, withdrawal."""

from __future__ import annotations

import pytest
from contract_helpers import (
    CHALLENGE_WINDOW,
    CONFIG_HASH,
    FUNDS,
    Setup,
    make_result,
    payload,
    sign_result,
    signed_order,
)

from flexunity.chain.contracts import ResultStatus
from flexunity.chain.eip712 import Order
from flexunity.chain.settlement import settlement_leaves, settlement_tree
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def open_round(s: Setup, gate_in: int = 600) -> int:
    gate = s.now() + gate_in
    return s.community.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)


def test_full_round_settles_to_zero_and_frees_deposits(setup: Setup) -> None:
    s, c = setup, setup.community
    for peer in s.peers:
        c.escrow.deposit(peer.address, 100 * 10**6)
    round_id = open_round(s)
    deadline = s.now() + 3600
    direct = Order.for_payload(round_id, s.peers[0].address, 1, deadline, payload(seed=0))
    c.rounds.submit_order(direct, payload(seed=0))
    relayed = [
        signed_order(c, p, round_id, 1, deadline, payload(seed=i)) for i, p in enumerate(s.peers[1:], 1)
    ]
    c.rounds.relay_orders(s.cm, relayed)

    book = c.rounds.order_book(round_id)
    assert set(book.effective()) == {p.address for p in s.peers}
    assert c.escrow.withdrawable(s.peers[0].address) == 0  # committed until the round finishes

    s.travel(700)
    bills = {s.peers[0].address: 30, s.peers[1].address: 20, s.peers[2].address: -35, s.peers[3].address: -10,
             s.cm: -5}  # fmt: skip
    tree = settlement_tree(round_id, settlement_leaves(round_id, bills))
    result = make_result(c, round_id, tree, fees=5)
    c.clearing.post_result(s.cm, result, sign_result(c.clearing.domain(), result, s.cm_key))
    assert c.clearing.round_result(round_id).status is ResultStatus.POSTED
    with pytest.raises(ChainError, match="RoundNotFinal"):
        c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))

    s.travel(CHALLENGE_WINDOW + 1)
    c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id), batch_size=2)
    assert c.escrow.is_finished(round_id)
    c.escrow.release(s.cm, s.peers[2].address, [round_id])
    assert c.escrow.account(s.peers[0].address).balance == 100 * 10**6 - 30
    assert c.escrow.account(s.peers[2].address).balance == 100 * 10**6 + 35
    assert c.escrow.account(s.cm).balance == 5
    c.escrow.withdraw(s.peers[2].address, 100 * 10**6 + 35)
    assert c.token.balance_of(s.peers[2].address) == FUNDS + 35
