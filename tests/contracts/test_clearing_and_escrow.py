"""ClearingHouse and SettlementEscrow: posting rules, disputes, voiding, shortfall, commitment, pause."""

from __future__ import annotations

import dataclasses

import pytest
from contract_helpers import (
    CHALLENGE_WINDOW,
    CONFIG_HASH,
    DISPUTE_BOND,
    RESULT_TIMEOUT,
    Setup,
    make_result,
    payload,
    sign_result,
)

from flexunity.chain.contracts import ResultStatus
from flexunity.chain.eip712 import Order
from flexunity.chain.settlement import SettlementTree, settlement_leaves, settlement_tree
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def round_with_orders(s: Setup) -> int:
    gate = s.now() + 600
    round_id = s.community.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)
    for i, peer in enumerate(s.peers):
        nonce = s.community.rounds.nonce_of(peer.address) + 1
        order = Order.for_payload(round_id, peer.address, nonce, gate, payload(seed=i))
        s.community.rounds.submit_order(order, payload(seed=i))
    return round_id


def tree_for(s: Setup, round_id: int, bills: list[int]) -> SettlementTree:
    by_account = {peer.address: bill for peer, bill in zip(s.peers, bills, strict=False)}
    by_account[s.cm] = -sum(by_account.values())
    return settlement_tree(round_id, settlement_leaves(round_id, by_account))


def post(s: Setup, round_id: int, tree: SettlementTree) -> None:
    result = make_result(s.community, round_id, tree, attempt=s.community.clearing.rejections(round_id))
    s.community.clearing.post_result(
        s.cm, result, sign_result(s.community.clearing.domain(), result, s.cm_key)
    )


def test_post_rules(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = round_with_orders(s)
    tree = tree_for(s, round_id, [10, -10])
    result = make_result(c, round_id, tree)
    signatures = sign_result(c.clearing.domain(), result, s.cm_key)
    with pytest.raises(ChainError, match="GateNotClosed"):
        c.clearing.post_result(s.cm, result, signatures)
    s.travel(700)
    stale = dataclasses.replace(result, order_digest=b"\x01" * 32)
    with pytest.raises(ChainError, match="OrderDigestMismatch"):
        c.clearing.post_result(s.cm, stale, sign_result(c.clearing.domain(), stale, s.cm_key))
    unbalanced = dataclasses.replace(result, total_credit=result.total_credit + 1)
    with pytest.raises(ChainError, match="TotalsUnbalanced"):
        c.clearing.post_result(s.cm, unbalanced, sign_result(c.clearing.domain(), unbalanced, s.cm_key))
    with pytest.raises(ChainError, match="UnauthorizedSigner"):
        c.clearing.post_result(s.cm, result, sign_result(c.clearing.domain(), result, s.peers[0].key))
    with pytest.raises(ChainError, match="InsufficientSignatures"):
        c.clearing.post_result(s.cm, result, [])
    c.clearing.post_result(s.roles.arbiter, result, signatures)  # anyone may submit signed results
    with pytest.raises(ChainError, match="ResultAlreadyPosted"):
        c.clearing.post_result(s.cm, result, signatures)


def test_two_of_three_signers_in_ascending_order(setup: Setup) -> None:
    s, c = setup, setup.community
    keys = {
        s.cm: s.cm_key,
        s.roles.arbiter: s.key_of(s.roles.arbiter),
        s.roles.pauser: s.key_of(s.roles.pauser),
    }
    c.registry.propose_signers(s.roles.admin, list(keys), 2)
    assert c.registry.signer_epoch() == 0  # announced, not in force before the delay
    s.travel(2 * 24 * 3600)
    assert c.registry.signer_epoch() == 1
    round_id = round_with_orders(s)
    s.travel(700)
    result = dataclasses.replace(make_result(c, round_id, tree_for(s, round_id, [3, -3])), signer_epoch=1)
    ordered = sorted(keys, key=lambda a: int(a, 16))
    one = sign_result(c.clearing.domain(), result, keys[ordered[0]])
    with pytest.raises(ChainError, match="InsufficientSignatures"):
        c.clearing.post_result(s.cm, result, one)
    descending = sign_result(c.clearing.domain(), result, keys[ordered[1]], keys[ordered[0]])
    with pytest.raises(ChainError, match="SignersNotAscending"):
        c.clearing.post_result(s.cm, result, descending)
    c.clearing.post_result(
        s.cm, result, sign_result(c.clearing.domain(), result, keys[ordered[0]], keys[ordered[2]])
    )


def test_dispute_rejected_result_can_be_corrected(setup: Setup) -> None:
    s, c = setup, setup.community
    disputer = s.peers[1].address
    round_id = round_with_orders(s)
    s.travel(700)
    post(s, round_id, tree_for(s, round_id, [10, -10]))
    c.token.approve(disputer, c.clearing.address, DISPUTE_BOND)
    before = c.token.balance_of(disputer)
    c.clearing.dispute(disputer, round_id, b"\x05" * 32)
    assert c.clearing.round_result(round_id).status is ResultStatus.DISPUTED
    s.travel(CHALLENGE_WINDOW + 1)
    assert not c.clearing.is_final(round_id)  # frozen while disputed, even past the window
    with pytest.raises(ChainError, match="Unauthorized"):
        c.clearing.resolve(s.cm, round_id, uphold=False)
    c.clearing.resolve(s.roles.arbiter, round_id, uphold=False)
    assert c.clearing.bond_owed(disputer) == DISPUTE_BOND  # pulled, never pushed
    c.clearing.withdraw_bond(disputer)
    assert c.token.balance_of(disputer) == before
    assert c.clearing.round_result(round_id).status is ResultStatus.REJECTED
    rejected = make_result(c, round_id, tree_for(s, round_id, [10, -10]))
    with pytest.raises(ChainError, match="AttemptMismatch"):  # the rejected result, posted again
        c.clearing.post_result(s.cm, rejected, sign_result(c.clearing.domain(), rejected, s.cm_key))
    corrected = tree_for(s, round_id, [12, -12])
    post(s, round_id, corrected)
    s.travel(CHALLENGE_WINDOW + 1)
    assert c.clearing.is_final(round_id)


def test_dispute_upheld_forfeits_the_bond_and_finalises(setup: Setup) -> None:
    s, c = setup, setup.community
    disputer = s.peers[1].address
    round_id = round_with_orders(s)
    s.travel(700)
    post(s, round_id, tree_for(s, round_id, [10, -10]))
    c.token.approve(disputer, c.clearing.address, DISPUTE_BOND)
    c.clearing.dispute(disputer, round_id, b"\x05" * 32)
    fee_before = c.token.balance_of(s.cm)
    c.clearing.resolve(s.roles.arbiter, round_id, uphold=True)
    c.clearing.withdraw_bond(s.cm)
    assert c.token.balance_of(s.cm) == fee_before + DISPUTE_BOND
    assert c.clearing.is_final(round_id)
    with pytest.raises(ChainError, match="NotDisputable"):
        c.clearing.dispute(disputer, round_id, b"\x05" * 32)


def test_void_round_frees_commitments(setup: Setup) -> None:
    s, c = setup, setup.community
    c.escrow.deposit(s.peers[0].address, 1000)
    round_id = round_with_orders(s)
    assert c.escrow.withdrawable(s.peers[0].address) == 0
    with pytest.raises(ChainError, match="NotVoidable"):
        c.clearing.void(s.cm, round_id)
    s.travel(600 + RESULT_TIMEOUT + 1)
    c.clearing.void(s.peers[3].address, round_id)
    assert c.clearing.round_result(round_id).status is ResultStatus.VOID
    assert c.escrow.is_finished(round_id)
    c.escrow.release(s.cm, s.peers[0].address, [round_id])
    c.escrow.withdraw(s.peers[0].address, 1000)


def test_shortfall_is_advanced_by_the_fee_account_and_repaid_by_deposits(setup: Setup) -> None:
    s, c = setup, setup.community
    debtor, seller = s.peers[0].address, s.peers[1].address
    c.escrow.deposit(debtor, 40)
    c.escrow.deposit(s.cm, 1000)
    round_id = round_with_orders(s)
    s.travel(700)
    tree = settlement_tree(round_id, settlement_leaves(round_id, {debtor: 100, seller: -100}))
    post(s, round_id, tree)
    s.travel(CHALLENGE_WINDOW + 1)
    state = c.clearing.round_result(round_id)
    credit_first = [leaf for leaf in tree.leaves if leaf.is_credit]
    with pytest.raises(ChainError, match="CreditsBeforeDebits"):
        c.escrow.apply_settlements(s.cm, tree, state, leaves=credit_first)
    c.escrow.apply_settlements(s.cm, tree, state)
    assert c.escrow.account(debtor).balance == 0 and c.escrow.account(debtor).debt == 60
    assert c.escrow.account(s.cm).balance == 940
    assert c.escrow.account(seller).balance == 100
    c.escrow.deposit(debtor, 100)
    assert c.escrow.account(debtor).balance == 40 and c.escrow.account(debtor).debt == 0
    assert c.escrow.account(s.cm).balance == 1000


def test_uncovered_shortfall_waits(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = round_with_orders(s)
    s.travel(700)
    tree = settlement_tree(
        round_id, settlement_leaves(round_id, {s.peers[0].address: 5, s.peers[1].address: -5})
    )
    post(s, round_id, tree)
    s.travel(CHALLENGE_WINDOW + 1)
    with pytest.raises(ChainError, match="ShortfallUncovered"):
        c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))


def test_commitment_pause_and_withdraw(setup: Setup) -> None:
    s, c = setup, setup.community
    peer, outsider = s.peers[0].address, s.peers[3].address
    c.escrow.deposit(peer, 500)
    c.escrow.deposit(outsider, 500)
    gate = s.now() + 600
    round_id = c.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)
    c.rounds.submit_order(Order.for_payload(round_id, peer, 1, gate, payload()), payload())
    with pytest.raises(ChainError, match="can withdraw 0"):
        c.escrow.withdraw(peer, 1)
    s.travel(700)
    tree = settlement_tree(round_id, settlement_leaves(round_id, {peer: 0}))
    post(s, round_id, tree)
    s.travel(CHALLENGE_WINDOW + 1)
    c.registry.pause(s.roles.pauser)
    c.escrow.withdraw(outsider, 500)  # uncommitted deposits leave even while paused
    with pytest.raises(ChainError, match="CommunityPaused"):
        c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))
    c.registry.unpause(s.roles.pauser)
    c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))
    with pytest.raises(ChainError, match="LeafAlreadyApplied"):
        fn = c.escrow.contract.functions.applySettlements(
            round_id,
            c.clearing.round_result(round_id).as_tuple(),
            [tree.leaves[0].as_tuple()],
            [tree.proof(0)],
        )
        c.escrow._send(fn, s.cm, "applying again")
    c.escrow.release(s.cm, peer, [round_id])
    c.escrow.withdraw(peer, 500)


def test_round_without_leaves_completes(setup: Setup) -> None:
    s, c = setup, setup.community
    gate = s.now() + 600
    round_id = c.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)
    s.travel(700)
    tree = settlement_tree(round_id, [])
    post(s, round_id, tree)
    s.travel(CHALLENGE_WINDOW + 1)
    c.escrow.apply_settlements(s.cm, tree, c.clearing.round_result(round_id))
    assert c.escrow.is_finished(round_id)
