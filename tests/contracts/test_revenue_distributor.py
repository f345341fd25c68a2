"""RevenueDistributor: deposits with a root of shares, claims, the unclaimed rule (sweep into the carry,
spent by later distributions before the CM pays)."""

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


def test_the_next_distribution_spends_the_carry_and_pulls_only_the_difference(setup: Setup) -> None:
    s, c = setup, setup.community
    carry = sweep_rest(s, 300_000)
    total = 1_000_000
    leaves = revenue_leaves(2, {p.address: total // len(s.peers) for p in s.peers})
    tree = revenue_tree(leaves)
    cm_before = c.token.balance_of(s.cm)
    assert c.revenue.to_pull(total) == total - carry
    c.revenue.create_distribution(s.cm, tree.root, total, s.now() + 3600, b"\2" * 32, round_id=2)
    assert c.token.balance_of(s.cm) == cm_before - (total - carry)
    assert c.revenue.carry() == 0
    event = created_event(s, 2)
    assert event["carriedIn"] == carry and event["total"] == total and event["documentHash"] == b"\2" * 32
    for leaf in leaves:
        c.revenue.claim(s.cm, leaf, tree.proof(leaf.index))
    assert c.token.balance_of(c.revenue.address) == 0


def test_a_carry_larger_than_the_total_pays_it_all_and_keeps_the_rest(setup: Setup) -> None:
    s, c = setup, setup.community
    carry = sweep_rest(s, 500_000)
    c.token.approve(s.cm, c.revenue.address, 0)  # nothing is pulled: no allowance needed
    leaves = revenue_leaves(2, {s.peers[0].address: 100_000, s.peers[1].address: 100_000})
    tree = revenue_tree(leaves)
    cm_before = c.token.balance_of(s.cm)
    assert c.revenue.to_pull(200_000) == 0
    c.revenue.create_distribution(s.cm, tree.root, 200_000, s.now() + 3600, b"\2" * 32, round_id=2)
    assert c.token.balance_of(s.cm) == cm_before
    assert c.revenue.carry() == carry - 200_000
    assert created_event(s, 2)["carriedIn"] == 200_000
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))
    # the balance is the unswept rest plus the carry
    assert c.token.balance_of(c.revenue.address) == 100_000 + carry - 200_000


def test_claims_of_a_carried_distribution_never_exceed_its_total(setup: Setup) -> None:
    s, c = setup, setup.community
    sweep_rest(s, 5_000)
    leaves = revenue_leaves(2, {p.address: 600 for p in s.peers[:2]})  # shares sum to 1200 > 1000
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 1000, s.now() + 3600, b"\2" * 32, round_id=2)
    assert c.revenue.carry() == 4_000  # the carry cannot be claimed through a distribution's tree
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="ShareExceedsDeposit"):
        c.revenue.claim(s.cm, leaves[1], tree.proof(1))
    assert c.token.balance_of(c.revenue.address) == 400 + 4_000


def test_claims_never_exceed_the_deposit(setup: Setup) -> None:
    s, c = setup, setup.community
    leaves = revenue_leaves(1, {p.address: 600 for p in s.peers[:2]})  # shares sum to 1200 > 1000
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 1000, s.now() + 3600, b"\1" * 32, round_id=1)
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="ShareExceedsDeposit"):
        c.revenue.claim(s.cm, leaves[1], tree.proof(1))
