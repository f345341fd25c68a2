"""Step 7 on chain: a settled round's flexibility offered, delivered, shared, deposited and claimed.

A 4-peer community on eth-tester (tests/audit/audit_world.py) with a small "down" product sized
for it (1 kW minimum, 16:00-18:00): the PV spill and the battery deliver. An unclaimed rest, swept
into the distributor's carry, is shared again by the next distribution (pro rata, exact integers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audit_world import TINY_DOWN, World, make_world

from flexunity.allocation.rules import RuleOptions
from flexunity.allocation.verify import verify_allocation
from flexunity.chain.node import advance_time
from flexunity.oracle.revenue import DistributionOutcome, distribute_revenue, payouts_from, shares_from
from flexunity.record.revenue import FORMAT, inputs_from_dict, leaves_of, options_from_dict


def test_shares_carry_the_carried_amount_pro_rata_in_exact_integers() -> None:
    payouts = {"0xc": 100, "0xa": 300, "0xb": -50, "0xd": 0}
    assert shares_from(payouts) == {"0xa": 300, "0xc": 100}
    # 7 carried pro rata to 300:100 -> 5.25 and 1.75; largest remainder gives the extra unit to 0xc
    assert shares_from(payouts, 7) == {"0xa": 305, "0xc": 102}
    assert sum(shares_from(payouts, 10**18 + 1).values()) == 400 + 10**18 + 1
    assert shares_from({"0xa": 1, "0xb": 1}, 1) == {"0xa": 2, "0xb": 1}  # a tie: the first address
    with pytest.raises(ValueError, match="no positive payout"):
        shares_from({"0xa": -5}, 3)
    with pytest.raises(ValueError, match="negative"):
        shares_from(payouts, -1)


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
        product=TINY_DOWN,
        seed=3,
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
    revenue = world.community.chain.clients.revenue.contract.functions
    round_id, _activations, root, total, claimed, _deadline, swept = revenue.distribution(1).call()
    assert round_id == outcome.round_id and revenue.distributionOfRound(round_id).call() == 1
    assert "0x" + bytes(root).hex() == outcome.merkle_root
    assert total == outcome.total == claimed and not swept
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
    assert document["carried_in"] == 0
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
        product="GB-DTU",
        options=RuleOptions(check_core=False),
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
        product=TINY_DOWN,
        rule="equal",
        seed=3,
    )
    assert outcome.distribution_id is not None and outcome.claims == 0
    revenue = world.community.chain.clients.revenue
    assert not revenue.is_claimed(outcome.distribution_id, 0)


@pytest.mark.chain
def test_an_unclaimed_rest_is_swept_into_the_carry_and_shared_by_the_next_distribution(
    world: World,
) -> None:
    chain = world.community.chain
    revenue, token = chain.clients.revenue, chain.clients.token
    round_id, data = world.run_round()
    left = distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        product=TINY_DOWN, seed=3, claim_window_s=3600,
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
        product=TINY_DOWN, seed=3, claimers=[w.account for w in wallets],
    )  # fmt: skip
    assert outcome.carried_in == carry and revenue.carry() == 0
    document = world.community.store.get_json(str(outcome.document_hash))
    assert document["carried_in"] == carry
    payouts = payouts_from(document["activations"], list(document["payouts"]))
    assert document["shares"] == shares_from(payouts, carry) == outcome.shares
    assert outcome.total == sum(v for v in payouts.values() if v > 0) + carry == sum(outcome.shares.values())
    minted = int(token.contract.functions.totalSupply().call()) - supply_before  # devnet: what the CM lacked
    assert cm_before + minted - token.balance_of(cm) == outcome.total - carry  # the CM paid only new money
    for w in wallets:
        assert token.balance_of(w.address) - before[w.address.lower()] == outcome.shares.get(
            w.address.lower(), 0
        )
    assert token.balance_of(revenue.address) == held - carry  # every share claimed, the carry with them
