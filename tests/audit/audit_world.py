"""Rounds to audit: a small community on eth-tester run by the oracle's own pipeline, with tampering hooks.

The community (4 peers, 4 hourly intervals) is deployed, funded and enrolled by
``flexunity.demo.prepare.prepare``; each round is opened and ordered by ``open_round_with_orders`` and
cleared, posted and settled by the oracle's ``RoundRunner``. A negative case swaps in a dishonest
clearer, a runner that drops an order or alters a leaf, or a chain adapter that posts a wrong root.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flexunity.chain.devnet import eth_tester_web3
from flexunity.chain.node import advance_time
from flexunity.chain.settlement import SettlementLeaf
from flexunity.data.scenario_io import scenario_from_dict, scenario_to_dict
from flexunity.demo.community import Gas, RoleKeys
from flexunity.demo.options import DemoOptions, Timer
from flexunity.demo.prepare import Community, open_round_with_orders, prepare
from flexunity.markets.products import BalancingProduct
from flexunity.oracle.outcomes import StepResult
from flexunity.oracle.port import RoundView
from flexunity.oracle.runner import RoundRunner, default_clearer
from flexunity.oracle.saved import Cleared, GateClosed
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import AcceptedOrder
from flexunity.record.store import FolderStore

WINDOW = 600
T = 4
RAW_SCENARIO: dict[str, Any] = {
    "format": "flexunity-scenario/1", "name": "audit-tiny", "start": "2026-06-01T16:00:00+01:00",
    "timezone": "Europe/London", "interval_minutes": 60, "intervals": T, "currency": "GBP",
    "tariffs": {"std": {"import_price": [0.28, 0.34, 0.34, 0.22], "export_price": 0.05}},
    "grid": {"connected": True, "capacity_charge_per_kw": 0.0},
    "community": {"fee_per_kwh": 0.01, "pricing": "dual"},
    "peers": [
        {"id": "sunny", "kind": "home", "tariff": "std", "load_kw": [0.4, 0.9, 1.1, 0.5],
         "pv_kw": [3.1, 1.4, 0.2, 0.0]},
        {"id": "flat", "kind": "home", "tariff": "std", "load_kw": [0.7, 1.6, 1.9, 0.8]},
        {"id": "shop", "kind": "business", "tariff": "std", "load_kw": [2.2, 2.0, 1.2, 0.3],
         "pv_kw": [1.5, 0.6, 0.0, 0.0]},
        {"id": "store", "kind": "home", "tariff": "std", "load_kw": [0.5, 1.0, 1.4, 0.6],
         "batteries": [{"id": "bat", "capacity_kwh": 5.0, "charge_kw": 2.5, "discharge_kw": 2.5,
                        "charge_efficiency": 0.95, "discharge_efficiency": 0.95, "soc_initial_kwh": 2.0}]},
    ],
}  # fmt: skip

Clearer = Callable[[dict[str, Any]], Any]


@dataclass
class World:
    """One deployed community on eth-tester and everything needed to run and audit its rounds."""

    community: Community
    out: Path
    scenario: dict[str, Any]

    @property
    def w3(self) -> Any:
        return self.community.chain.w3

    @property
    def manifest_path(self) -> Path:
        return self.community.manifest_path

    @property
    def store(self) -> Path:
        return self.community.store.folder

    def run_round(
        self, *, clearer: Clearer = default_clearer, runner_class: type[RoundRunner] = RoundRunner,
        chain: Any = None, settle: bool = True,
    ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        """Open a round, relay the peers' orders, close the gate, clear and post; settle if asked."""
        round_id, gate = open_round_with_orders(self.community, self.scenario, Timer({}, lambda _: None))
        advance_time(self.w3, gate - self.community.chain.now() + 1)
        db = StateDB(self.out / f"state-{round_id}.sqlite")
        runner = runner_class(chain or self.community.chain, self.community.store, db, clearer=clearer)
        state = runner.run(round_id, wait=False)
        if settle:
            advance_time(self.w3, WINDOW + 1)
            state = runner.run(round_id, wait=False)
            assert state.step is Step.DONE, state.step
        return round_id, state.data

    def document(self, round_id_data: dict[str, Any]) -> dict[str, Any]:
        return dict(json.loads(FolderStore(self.store).get(round_id_data["result_hash"])))


def make_world(out: Path, roles: RoleKeys | None = None) -> World:
    scenario = scenario_to_dict(scenario_from_dict(RAW_SCENARIO))
    options = DemoOptions(
        pilot=None,
        network="eth-tester",
        out=out,
        challenge_window=WINDOW,
        audit=False,
        plot=False,
        withdraw=False,
    )
    w3 = eth_tester_web3()
    community = prepare(
        w3, None, options, scenario, Timer({}, lambda _: None), Gas(), lambda _: None, roles=roles
    )
    return World(community, out, scenario)


# --- dishonest oracles ---------------------------------------------------------------------------


def suboptimal_clearer(scenario: dict[str, Any]) -> dict[str, Any]:
    """Clears honestly, then makes the first peer import and export 1 kWh more in interval 0:
    still feasible, costlier, re-hashed and posted as if optimal."""
    clearing: dict[str, Any] = default_clearer(scenario).to_dict()
    pid = scenario["peers"][0]["id"]
    for block, delta in (("alpha", 1.0), ("beta", -1.0)):
        clearing["variables"][block][pid][0] += delta
        clearing["peers"][pid][block][0] += delta
    return clearing


def overbilling_clearer(scenario: dict[str, Any]) -> dict[str, Any]:
    """Clears honestly, then bills the first peer 0.50 more for its trades than the prices say."""
    clearing: dict[str, Any] = default_clearer(scenario).to_dict()
    bill = clearing["bills"][scenario["peers"][0]["id"]]
    bill["trades"] += 0.5
    bill["total"] += 0.5
    return clearing


class DroppingRunner(RoundRunner):
    """Leaves the first order of the round out of the clearing and the document."""

    def _load_orders(self, round_id: int, view: RoundView) -> list[AcceptedOrder]:
        return super()._load_orders(round_id, view)[1:]


class SkimmingRunner(RoundRunner):
    """Takes 1,000 base units more from the first debited peer and credits them to the CM's leaf."""

    def step_clear(self, state: Any) -> Cleared:
        updates = super().step_clear(state)
        leaves = [SettlementLeaf.from_dict(state.round_id, x) for x in updates.leaves]
        cm = self.chain.cm_address().lower()
        victim = next(x for x in leaves if not x.is_credit and x.account.lower() != cm)
        fee = next(x for x in leaves if x.account.lower() == cm)
        changed = []
        for x in leaves:
            if x is victim:
                x = dataclasses.replace(x, amount=x.amount + 1000, is_credit=False)
            elif x is fee:
                x = dataclasses.replace(x, amount=x.amount + 1000, is_credit=True)
            changed.append(x.to_dict())
        return replace(updates, leaves=changed)


class ConfigSwappingRunner(RoundRunner):
    """Clears under a config of its own (the community fee doubled), stored and cited in the document,
    instead of the one the round was opened with on chain."""

    def step_close_gate(self, state: Any) -> StepResult:
        updates = super().step_close_gate(state)
        if not isinstance(updates, GateClosed):
            return updates
        config = dict(self.store.get_json(updates.config_hash))
        community = dict(config["community"])
        community["fee_per_kwh"] = 2 * float(community.get("fee_per_kwh", 0.01))
        return replace(updates, config_hash=self.store.put_json({**config, "community": community}))


class WrongRootChain:
    """The oracle's chain adapter, except that the root it computes (and so posts) is not the leaves'."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def merkle_root(self, round_id: int, leaves: list[SettlementLeaf]) -> str:
        return "0x" + "ab" * 32


# A balancing product sized for this small community (1 kW minimum, 16:00-18:00): its PV spill and
# battery can deliver, so revenue tests have something to share.
TINY_DOWN = BalancingProduct(
    name="TINY-DOWN",
    direction="down",
    min_offer_kw=1.0,
    notice_minutes=60,
    duration_minutes=60,
    windows=(("16:00", "18:00"),),
    availability_price_per_mw_h=20.0,
    utilisation_price_per_mwh=300.0,
    penalty_per_mwh=300.0,
    delivery_tolerance=0.05,
)
