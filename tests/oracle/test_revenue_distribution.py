"""Step 7 on chain: a settled round's flexibility offered, delivered, shared, deposited and claimed.

A 4-peer community on eth-tester (tests/audit/audit_world.py) with a small "down" product sized
for it (1 kW minimum, 16:00-18:00): the PV spill and the battery deliver. An unclaimed rest, swept
into the distributor's carry, is paid out again by the contract with the next distribution, pro rata
to its shares of the new revenue (⌊s·(R+C)/R⌋, exact integers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audit_world import TINY_DOWN, World, make_world

from flexunity.allocation.rules import RuleOptions
from flexunity.allocation.verify import verify_allocation
from flexunity.chain.node import advance_time
from flexunity.oracle.revenue import (
    DistributionOutcome,
    RevenuePlan,
    distribute_revenue,
    payouts_from,
    shares_from,
)
from flexunity.record.revenue import FORMAT, inputs_from_dict, leaves_of, options_from_dict


def test_on_chain_shares_are_the_positive_payouts_in_address_order() -> None:
    payouts = {"0xc": 100, "0xa": 300, "0xb": -50, "0xd": 0}
    assert list(shares_from(payouts).items()) == [("0xa", 300), ("0xc", 100)]
    assert shares_from({"0xa": -5}) == {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield make_world(tmp_path_factory.mktemp("revenue-world"))


@pytest.fixture(scope="module")
def distributed(world: World) -> tuple[DistributionOutcome, dict[str, int], str]:
    round_id, data = world.run_round()
    token = world.community.chain.clients.token
    before = {w.address.lower(): token.balance_of(w.address) for w in world.community.wallets}
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        plan=RevenuePlan(product=TINY_DOWN, seed=3),
        claimers=[w.account for w in world.community.wallets],
    )
    return outcome, before, data["result_hash"]


@pytest.mark.chain
def test_a_distribution_is_deposited_with_its_root_and_every_share_claimed(
    world: World, distributed: tuple[DistributionOutcome, dict[str, int], str]
) -> None:
    outcome, before, _ = distributed
    assert outcome.product == "TINY-DOWN" and outcome.activations >= 1, outcome.reasons
    assert outcome.distribution_id == 1 and outcome.total > 0 and outcome.carried_in == 0
    assert sum(outcome.shares.values()) == outcome.total  # exact integers summing to the deposit
    revenue = world.community.chain.clients.revenue
    info = revenue.distribution(1)
    assert info.round_id == outcome.round_id and revenue.distribution_of_round(info.round_id) == 1
    assert "0x" + info.root.hex() == outcome.merkle_root
    assert info.revenue == info.total == outcome.total == info.claimed and not info.swept
    assert outcome.claims == len(outcome.shares) and outcome.claimed == outcome.total
    token = world.community.chain.clients.token
    for w in world.community.wallets:
        got = token.balance_of(w.address) - before[w.address.lower()]
        assert got == outcome.shares.get(w.address.lower(), 0)
    assert token.balance_of(world.community.chain.clients.revenue.address) == 0
    assert outcome.gas["createDistribution"] > 0 and outcome.gas["claim (each)"] > 0


@pytest.mark.chain
def test_the_document_states_the_rule_its_inputs_and_shares(
    world: World, distributed: tuple[DistributionOutcome, dict[str, int], str]
) -> None:
    outcome, _, result_hash = distributed
    document = world.community.store.get_json(str(outcome.document_hash))
    assert document["format"] == FORMAT and document["result_hash"] == result_hash
    assert document["rule"] == "pro-rata" and document["total"] == outcome.total
    assert "carried_in" not in document  # the carry is the contract's to pay, pro rata to the shares
    for item in document["activations"]:
        if item["inputs"] is None:
            continue
        inputs = inputs_from_dict(item["inputs"])
        problems = verify_allocation(
            item["rule"], item["total"], inputs, item["shares"], options_from_dict(item["options"])
        )
        assert problems == []
        assert set(item["shares"]) <= set(document["payouts"])
    leaves = leaves_of(document)
    assert sum(leaf.amount for leaf in leaves) == document["total"]
    assert [leaf.index for leaf in leaves] == list(range(len(leaves)))


@pytest.mark.chain
def test_a_product_too_big_for_the_community_is_refused_with_the_reason(world: World) -> None:
    round_id, data = world.run_round()
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        plan=RevenuePlan(product="GB-DTU", options=RuleOptions(check_core=False)),
    )
    assert outcome.distribution_id is None and outcome.product is None
    assert "GB-DTU makes no offer" in outcome.reasons[0]


@pytest.mark.chain
def test_claims_can_be_left_to_the_peers(world: World) -> None:
    round_id, data = world.run_round()
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        plan=RevenuePlan(product=TINY_DOWN, rule="equal", seed=3),
    )
    assert outcome.distribution_id is not None and outcome.claims == 0
    revenue = world.community.chain.clients.revenue
    assert not revenue.is_claimed(outcome.distribution_id, 0)


@pytest.mark.chain
def test_an_unclaimed_rest_is_swept_into_the_carry_and_paid_with_the_next_distribution(
    world: World,
) -> None:
    chain = world.community.chain
    revenue, token = chain.clients.revenue, chain.clients.token
    round_id, data = world.run_round()
    left = distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        plan=RevenuePlan(product=TINY_DOWN, seed=3), claim_window_s=3600,
    )  # fmt: skip
    assert left.distribution_id is not None and left.claims == 0
    advance_time(world.w3, 3601)
    carry = revenue.carry()
    chain.sender.transact(revenue.contract.functions.sweep(left.distribution_id), "sweep")
    assert revenue.carry() == carry + left.total
    carry += left.total

    round_id, data = world.run_round()
    cm = chain.account.address
    cm_before = token.balance_of(cm)
    supply_before = int(token.contract.functions.totalSupply().call())
    held = token.balance_of(revenue.address)  # the carry and an earlier test's unclaimed distribution
    wallets = world.community.wallets
    before = {w.address.lower(): token.balance_of(w.address) for w in wallets}
    outcome = distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        plan=RevenuePlan(product=TINY_DOWN, seed=3), claimers=[w.account for w in wallets],
    )  # fmt: skip
    assert outcome.carried_in == carry and revenue.carry() == 0
    document = world.community.store.get_json(str(outcome.document_hash))
    payouts = payouts_from(document["activations"], list(document["payouts"]))
    assert document["shares"] == shares_from(payouts) == outcome.shares
    assert outcome.total == sum(v for v in payouts.values() if v > 0) == sum(outcome.shares.values())
    minted = int(token.contract.functions.totalSupply().call()) - supply_before  # devnet: what the CM lacked
    assert cm_before + minted - token.balance_of(cm) == outcome.total  # the CM paid the new revenue
    paid = 0
    for w in wallets:
        share = outcome.shares.get(w.address.lower(), 0)
        got = token.balance_of(w.address) - before[w.address.lower()]
        assert got == share * (outcome.total + carry) // outcome.total  # the carry follows the shares
        paid += got
    assert paid == outcome.claimed
    dust = outcome.total + carry - paid
    assert 0 <= dust < len(outcome.shares)  # rounded down: never a token created
    assert token.balance_of(revenue.address) == held - carry + dust
