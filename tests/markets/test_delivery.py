"""Flexibility, offer, re-dispatch and settlement on a small battery community (HiGHS)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flexunity.errors import InputError
from flexunity.markets.activation import Activation, load_activations, simulate_activations
from flexunity.markets.delivery import deliver
from flexunity.markets.products import BalancingProduct
from flexunity.markets.revenue import share_revenue
from flexunity.markets.workflow import clear_baseline, flexibility, offer
from flexunity.model import Scenario


def test_flexibility_is_within_asset_limits(battery_community: Scenario) -> None:
    cleared = clear_baseline(battery_community)
    f = flexibility(cleared)
    assert np.all(f.up_kw >= 0) and np.all(f.down_kw >= 0)
    assert np.all(f.up_kw[0] <= 20 + 1e-9)  # a's battery: at most charge 10 stopped + discharge 10 added
    assert np.all(f.up_kw[2] == 0) and np.all(f.down_kw[2] == 0)  # c has no assets


def test_full_delivery_pays_exactly_the_utilisation_price(
    battery_community: Scenario, small_product: BalancingProduct
) -> None:
    cleared = clear_baseline(battery_community)
    the_offer = offer(cleared, small_product)
    block = the_offer.blocks[0]
    act = Activation(block.start, block.intervals, 5.0, block.start - 1)
    result, plan = deliver(battery_community, cleared.dispatch, the_offer, act)
    assert float(plan.shortfall_kwh.sum()) == pytest.approx(0.0, abs=1e-7)
    assert result.delivered_kwh == pytest.approx(10.0)  # 5 kW × 2 h
    assert result.penalty == 0.0
    assert result.utilisation_revenue == pytest.approx(1.0)  # 10 kWh × £0.10
    # the re-dispatched community really consumes 10 kWh more in the block than the baseline
    delta = cleared.dispatch.p.sum(axis=0) - plan.dispatch.p.sum(axis=0)
    assert delta[block.start : block.start + 2] == pytest.approx([5.0, 5.0])


def test_delivery_shortfall_penalises_the_peer_that_failed(
    battery_community: Scenario, small_product: BalancingProduct
) -> None:
    cleared = clear_baseline(battery_community)
    the_offer = offer(cleared, small_product)
    block = the_offer.blocks[0]
    failing = Activation(
        block.start, block.intervals, block.capacity_kw, block.start - 1, {"a": 0.0, "b": 0.0}
    )
    result, _ = deliver(battery_community, cleared.dispatch, the_offer, failing)
    assert result.shortfall_kwh > 0 and result.penalty > 0
    for peer in ("a", "b"):
        assert result.credited_kwh[peer] == 0.0
        assert result.revenue_by_peer[peer] == 0.0  # nobody paid for flexibility not delivered
    assert sum(result.penalty_by_peer.values()) == pytest.approx(result.penalty)
    shared = share_revenue(result, small_product, "equal", hours=1.0, scale=100)
    assert all(amount <= 0 for amount in shared["payouts"].values())


def test_activation_file_and_notice(
    battery_community: Scenario, small_product: BalancingProduct, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    the_offer = offer(clear_baseline(battery_community), small_product)
    block = the_offer.blocks[0]
    doc = {
        "format": "flexunity-activation/1",
        "product": "toy-up",
        "activations": [{"start": block.start, "intervals": 2, "kw": 5, "instructed": block.start}],
    }
    path = tmp_path / "act.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="notice"):
        load_activations(path, the_offer)
    doc["activations"][0]["instructed"] = block.start - 1
    path.write_text(json.dumps(doc))
    assert load_activations(path, the_offer)[0].kw == 5


def test_simulated_operator_is_seeded(battery_community: Scenario, small_product: BalancingProduct) -> None:
    the_offer = offer(clear_baseline(battery_community), small_product)
    first = simulate_activations(the_offer, 7, probability=1.0)
    assert first == simulate_activations(the_offer, 7, probability=1.0)
    assert len(first) == len(the_offer.blocks)
    notice = small_product.notice_intervals(60)
    assert all(a.start - a.instructed >= notice for a in first)


def test_firm_offer_is_deliverable_when_every_block_is_activated(
    battery_community: Scenario, small_product: BalancingProduct
) -> None:
    from flexunity.markets.delivery import deliver_all

    cleared = clear_baseline(battery_community)
    draft = offer(cleared, small_product, firm=False)
    firm = offer(cleared, small_product)

    def all_blocks(o):  # type: ignore[no-untyped-def]
        return [Activation(b.start, b.intervals, b.capacity_kw, b.start - 1) for b in o.blocks]

    # the draft promises every block the batteries' full headroom: together it cannot be delivered
    _, draft_plan = deliver_all(battery_community, cleared.dispatch, draft, all_blocks(draft))
    assert draft_plan.shortfall_kwh.sum() > 1.0
    # the firm offer can, to the last kWh, and it says why a block was withdrawn
    results, plan = deliver_all(battery_community, cleared.dispatch, firm, all_blocks(firm))
    assert plan.shortfall_kwh.sum() == pytest.approx(0.0, abs=1e-6)
    assert all(r.penalty == 0 for r in results)
    assert any("deliverable on top of the earlier blocks" in r for r in firm.reasons)
