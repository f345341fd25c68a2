"""RevenueDistributor: deposits with a root of shares, claims, the unclaimed rule."""

from __future__ import annotations

import dataclasses

import pytest
from contract_helpers import Setup

from flexunity.chain.settlement import revenue_leaves, revenue_tree
from flexunity.chain.units import amounts_to_base_units
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def test_claims_pay_exact_shares_and_unclaimed_is_swept_to_the_cm(setup: Setup) -> None:
    s, c = setup, setup.community
    deposit = 1_000_000
    amounts = amounts_to_base_units([1 / 3] * len(s.peers), 0, total=deposit)  # exact: sums to the deposit
    leaves = revenue_leaves(1, {p.address: a for p, a in zip(s.peers, amounts, strict=True)})
    tree = revenue_tree(leaves)
    with pytest.raises(ChainError, match="NotCommunityManager"):
        c.revenue.create_distribution(s.peers[0].address, tree.root, deposit, s.now() + 3600, b"\0" * 32)
    distribution = c.revenue.create_distribution(s.cm, tree.root, deposit, s.now() + 3600, b"\1" * 32)
    assert distribution == 1
    before = c.token.balance_of(s.peers[0].address)
    c.revenue.claim(s.peers[2].address, leaves[0], tree.proof(0))  # anyone may claim for the account
    assert c.token.balance_of(s.peers[0].address) == before + amounts[0]
    with pytest.raises(ChainError, match="AlreadyClaimed"):
        c.revenue.claim(s.peers[0].address, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="InvalidProof"):
        c.revenue.claim(
            s.peers[1].address, dataclasses.replace(leaves[1], amount=amounts[1] + 1), tree.proof(1)
        )
    with pytest.raises(ChainError, match="NotSweepable"):
        c.revenue.sweep(s.cm, 1)
    s.travel(3601)
    with pytest.raises(ChainError, match="ClaimPeriodOver"):
        c.revenue.claim(s.peers[1].address, leaves[1], tree.proof(1))
    cm_before = c.token.balance_of(s.cm)
    c.revenue.sweep(s.peers[3].address, 1)
    assert c.token.balance_of(s.cm) == cm_before + deposit - amounts[0]
    assert c.token.balance_of(c.revenue.address) == 0


def test_claims_never_exceed_the_deposit(setup: Setup) -> None:
    s, c = setup, setup.community
    leaves = revenue_leaves(1, {p.address: 600 for p in s.peers[:2]})  # shares sum to 1200 > 1000
    tree = revenue_tree(leaves)
    c.revenue.create_distribution(s.cm, tree.root, 1000, s.now() + 3600, b"\1" * 32)
    c.revenue.claim(s.cm, leaves[0], tree.proof(0))
    with pytest.raises(ChainError, match="ShareExceedsDeposit"):
        c.revenue.claim(s.cm, leaves[1], tree.proof(1))
