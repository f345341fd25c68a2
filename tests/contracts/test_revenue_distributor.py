"""RevenueDistributor: deposits with a root of shares, claims, the unclaimed rule (sweep into the carry,
taken in whole by the next distribution and paid pro rata to its shares, only to members of its round)."""

from __future__ import annotations

import dataclasses

import pytest
from contract_helpers import Setup

from flexunity.chain.settlement import revenue_leaves, revenue_tree
from flexunity.errors import ChainError
from flexunity.units import amounts_to_base_units

pytestmark = pytest.mark.chain


def test_claims_pay_exact_shares_and_unclaimed_is_swept_into_the_carry(setup: Setup) -> None:
    s, c = setup, setup.community
    deposit = 1_000_000
    amounts = amounts_to_base_units([1 / 3] * len(s.peers), 0, total=deposit)  # exact: sums to the deposit
    leaves = revenue_leaves(1, {p.address: a for p, a in zip(s.peers, amounts, strict=True)})
    tree = revenue_tree(leaves)
    with pytest.raises(ChainError, match="NotCommunityManager"):
        c.revenue.create_distribution(
            s.peers[0].address, tree.root, deposit, s.now() + 3600, b"\0" * 32, round_id=1
        )
    distribution = c.revenue.create_distribution(
        s.cm, tree.root, deposit, s.now() + 3600, b"\1" * 32, round_id=1
    )
    assert distribution == 1
    assert c.revenue.distribution_of_round(1) == 1
    with pytest.raises(ChainError, match="DistributionExists"):  # a retried revenue step never pays twice
        c.revenue.create_distribution(s.cm, tree.root, deposit, s.now() + 3600, b"\1" * 32, round_id=1)
    before = c.token.balance_of(s.peers[0].address)
    c.revenue.claim(s.peers[2].address, leaves[0], tree.proof(0))  # anyone may claim for the account
    assert c.token.balance_of(s.peers[0].address) == before + amounts[0]
    with pytest.raises(ChainError, match="AlreadyClaimed"):
        c.revenue.claim(s.peers[0].address, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="ShareProofInvalid"):
        c.revenue.claim(
            s.peers[1].address, dataclasses.replace(leaves[1], amount=amounts[1] + 1), tree.proof(1)
        )
    with pytest.raises(ChainError, match="NotSweepable"):
        c.revenue.sweep(s.cm, 1)
    s.travel(3601)
    with pytest.raises(ChainError, match="ClaimPeriodOver"):
        c.revenue.claim(s.peers[1].address, leaves[1], tree.proof(1))
    cm_before = c.token.balance_of(s.cm)
    assert c.revenue.carry() == 0
    receipt = c.revenue.sweep(s.peers[3].address, 1)
    (swept,) = c.revenue.contract.events.Swept().process_receipt(receipt)
    assert dict(swept["args"]) == {"distributionId": 1, "amount": deposit - amounts[0]}
    assert c.token.balance_of(s.cm) == cm_before  # nothing leaves the distributor
    assert c.revenue.carry() == deposit - amounts[0]
    assert c.token.balance_of(c.revenue.address) == deposit - amounts[0]
    with pytest.raises(ChainError, match="NotSweepable"):
        c.revenue.sweep(s.peers[3].address, 1)


def sweep_rest(s: Setup, rest: int) -> int:
    """Distribution 1 of ``rest`` to peer 0, never claimed, swept: the carry is ``rest``."""
    c = s.community
    leaves = revenue_leaves(1, {s.peers[0].address: rest})
    c.revenue.create_distribution(s.cm, revenue_tree(leaves).root, rest, s.now() + 60, b"\1" * 32, round_id=1)
    s.travel(61)
    c.revenue.sweep(s.peers[1].address, 1)
    assert c.revenue.carry() == rest
    return rest


def created_event(s: Setup, distribution_id: int) -> dict[str, object]:
    c = s.community
    event = c.revenue.contract.events.DistributionCreated()
    (log,) = event.get_logs(from_block=0, argument_filters={"distributionId": distribution_id})
    return dict(log["args"])


def test_the_next_distribution_takes_the_whole_carry_and_pays_it_pro_rata(setup: Setup) -> None:
    s, c = setup, setup.community
    carry = sweep_rest(s, 300_000)
    revenue = 1_000_000
    leaves = revenue_leaves(2, {p.address: revenue // len(s.peers) for p in s.peers})
    tree = revenue_tree(leaves)
    cm_before = c.token.balance_of(s.cm)
    c.revenue.create_distribution(s.cm, tree.root, revenue, s.now() + 3600, b"\2" * 32, round_id=2)
    assert c.token.balance_of(s.cm) == cm_before - revenue  # the CM deposits the new revenue, all of it
    assert c.revenue.carry() == 0
    event = created_event(s, 2)
    assert event["carriedIn"] == carry and event["revenue"] == revenue and event["documentHash"] == b"\2" * 32
    info = c.revenue.distribution(2)
    assert (info.revenue, info.total, info.carried_in, info.round_id) == (revenue, revenue + carry, carry, 2)
    for leaf in leaves:
        before = c.token.balance_of(leaf.account)
        c.revenue.claim(s.cm, leaf, tree.proof(leaf.index))
        assert c.token.balance_of(leaf.account) == before + 325_000  # 250,000 · 1.3
    assert c.token.balance_of(c.revenue.address) == 0


def test_a_tiny_revenue_takes_the_whole_carry_and_its_dust_carries_on(setup: Setup) -> None:
    s, c = setup, setup.community
    sweep_rest(s, 500_000)
    leaves = revenue_leaves(2, {s.peers[0].address: 1, s.peers[1].address: 2})
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 3, s.now() + 3600, b"\2" * 32, round_id=2)
    paid = {leaf.account: c.revenue.payout(2, leaf.amount) for leaf in leaves}
    assert sorted(paid.values()) == [166_667, 333_335]  # ⌊500,003/3⌋ and ⌊2·500,003/3⌋
    for leaf in leaves:
        c.revenue.claim(s.cm, leaf, tree.proof(leaf.index))
    s.travel(3601)
    c.revenue.sweep(s.cm, 2)
    assert c.revenue.carry() == 1 == c.token.balance_of(c.revenue.address)  # the rounding dust waits


def test_the_carry_cannot_be_routed_to_the_community_manager(setup: Setup) -> None:
    s, c = setup, setup.community
    carry = sweep_rest(s, 400_000)
    leaves = revenue_leaves(2, {s.cm: carry, s.peers[0].address: 1})
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, carry + 1, s.now() + 3600, b"\2" * 32, round_id=2)
    mine = next(leaf for leaf in leaves if leaf.account == s.cm)
    with pytest.raises(ChainError, match="RecipientNotEligible"):
        c.revenue.claim(s.cm, mine, tree.proof(mine.index))


def test_claims_of_a_carried_distribution_never_exceed_its_total(setup: Setup) -> None:
    s, c = setup, setup.community
    sweep_rest(s, 5_000)
    leaves = revenue_leaves(2, {p.address: 600 for p in s.peers[:2]})  # shares sum to 1200 > 1000
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 1000, s.now() + 3600, b"\2" * 32, round_id=2)
    assert c.revenue.carry() == 0  # all of it went in: the total is 6,000
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))  # pays 600 · 6 = 3,600
    with pytest.raises(ChainError, match="ShareExceedsDeposit"):
        c.revenue.claim(s.cm, leaves[1], tree.proof(1))
    assert c.token.balance_of(c.revenue.address) == 6_000 - 3_600


def test_claims_never_exceed_the_deposit(setup: Setup) -> None:
    s, c = setup, setup.community
    leaves = revenue_leaves(1, {p.address: 600 for p in s.peers[:2]})  # shares sum to 1200 > 1000
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 1000, s.now() + 3600, b"\1" * 32, round_id=1)
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="ShareExceedsDeposit"):
        c.revenue.claim(s.cm, leaves[1], tree.proof(1))
