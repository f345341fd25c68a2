"""One round's steps, driven by the persisted state machine (flexunity.oracle.state).

Each ``step_*`` method reads the chain, does its work and returns what to save, or ``None`` when it
must wait (gate still open, challenge window running). ``RoundRunner.run`` saves each step's outputs
together with the step reached, so a restarted oracle continues where it stopped; steps that send
transactions first ask the chain whether their effect is already there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flexunity.errors import ChainError, InputError
from flexunity.oracle.port import ChainPort, RoundView
from flexunity.oracle.settlement import leaves_from_amounts, peer_energy, settlement_amounts, totals
from flexunity.oracle.state import RoundState, StateDB, Step
from flexunity.record.orders import Order, decode_payload, order_ref, scenario_from_orders, schedule_problems
from flexunity.record.settlement import Leaf
from flexunity.record.store import FolderStore, canonical_json

RESULT_FORMAT = "flexunity-round-result/1"
CRASH_ENV = "FLEXUNITY_ORACLE_CRASH_AT"  # tests: "POSTED" exits right after that step is saved;
# "POSTED:sent" exits after the posting transaction is mined but before the step is saved.

Reporter = Callable[[str], None]
Clearer = Callable[[dict[str, Any]], Any]


def crash_point(name: str) -> None:
    """Die like a killed process (no cleanup, no flush) when the crash-injection variable says so."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)


def default_clearer(scenario_dict: dict[str, Any]) -> Any:
    from flexunity.data.scenario_io import scenario_from_dict
    from flexunity.optimize import clear

    scenario = scenario_from_dict(scenario_dict)
    return clear(scenario, pricing=scenario.community.pricing, enforce_ir=scenario.community.enforce_ir)


@dataclass
class RoundRunner:
    chain: ChainPort
    store: FolderStore
    db: StateDB
    report: Reporter = field(default=lambda _: None)
    clearer: Clearer = default_clearer
    _orders: dict[int, list[Order]] = field(default_factory=dict)
    _result: dict[int, dict[str, Any]] = field(default_factory=dict)

    def run(
        self, round_id: int, *, wait: bool = True, poll: float = 0.5, timeout: float | None = None
    ) -> RoundState:
        """Advance the round as far as the chain allows; with ``wait``, until DONE."""
        self.db.bind(self.chain.identity())
        state = self.db.ensure(round_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while state.step is not Step.DONE:
            started = time.perf_counter()
            updates = self._steps()[state.step](state)
            if updates is None:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    return state
                time.sleep(poll)
                continue
            reached = state.step.next
            elapsed = time.perf_counter() - started
            timings = {**state.data.get("timings", {}), reached.value: round(elapsed, 4)}
            state = self.db.advance(
                state, reached, {**updates, "timings": timings}, message=f"{elapsed:.3f} s"
            )
            self.report(f"round {round_id}: {reached.value} ({elapsed:.2f} s)")
            crash_point(reached.value)
        return state

    def _steps(self) -> dict[Step, Callable[[RoundState], dict[str, Any] | None]]:
        return {
            Step.OPENED: self.step_close_gate,
            Step.GATE_CLOSED: self.step_verify_orders,
            Step.ORDERS_VERIFIED: self.step_clear,
            Step.CLEARED: self.step_store_document,
            Step.DOCUMENT_STORED: self.step_post,
            Step.POSTED: self.step_wait_window,
            Step.WINDOW_PASSED: self.step_settle,
            Step.SETTLED: self.step_finish,
        }

    # --- steps --------------------------------------------------------------------------------

    def step_close_gate(self, state: RoundState) -> dict[str, Any] | None:
        view = self.chain.view(state.round_id)
        if not view.exists:
            raise InputError(f"round {state.round_id} does not exist on chain {self.chain.chain_id}")
        if not view.gate_closed:
            return None
        if not view.config_hash:
            raise InputError(f"round {state.round_id} names no config on chain (docs/oracle.md)")
        try:  # the config the chain binds the round to: present, and its bytes hash to that hash
            config = self.store.get_json(view.config_hash)
        except InputError as exc:
            raise InputError(
                f"round {state.round_id}: the config its openRound bound it to is unusable: {exc}"
            ) from None
        problems = schedule_problems(config, state.round_id, view.interval_count, view.interval_seconds)
        if problems:
            raise InputError(
                f"round {state.round_id}, the config its openRound bound it to: {'; '.join(problems)}"
            )
        return {"config_hash": view.config_hash, "gate_closed_at": time.time()}

    def step_verify_orders(self, state: RoundState) -> dict[str, Any]:
        view = self.chain.view(state.round_id)
        orders = self._load_orders(state.round_id, view)
        return {"order_digest": view.order_digest, "order_count": len(orders)}

    def _load_orders(self, round_id: int, view: RoundView) -> list[Order]:
        if round_id in self._orders:
            return self._orders[round_id]
        orders = self.chain.orders(round_id)
        digest = self.chain.running_digest(round_id, orders)
        if digest.lower() != view.order_digest.lower():
            raise ChainError(
                f"round {round_id}: the orders rebuilt from events hash to {digest}, the chain says "
                f"{view.order_digest}; an order event is missing or altered"
            )
        self._orders[round_id] = orders
        return orders

    def step_clear(self, state: RoundState) -> dict[str, Any]:
        view = self.chain.view(state.round_id)
        orders = self._load_orders(state.round_id, view)
        config = self.store.get_json(state.data["config_hash"])
        accepted, rejected = latest_valid_orders(orders, int(config["intervals"]))
        scenario = scenario_from_orders(
            config, [(o.peer_address, decode_payload(o.payload)) for o in accepted]
        )
        result = self.clearer(scenario)
        clearing = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        bills, fees = bills_and_fees(clearing)
        amounts = settlement_amounts(
            bills,
            decimals=int(config["settlement"]["token_decimals"]),
            fees=fees,
            cm=self.chain.cm_address(),
            supplier=self.chain.supplier_address(),
        )
        leaves = leaves_from_amounts(amounts, peer_energy(clearing) if "peers" in clearing else None)
        clearing_hash = self.store.put(canonical_json({"scenario": scenario, "clearing": clearing}))
        self._result[state.round_id] = {"scenario": scenario, "clearing": clearing}
        return {
            "clearing_hash": clearing_hash,
            "leaves": [leaf.to_dict() for leaf in leaves],
            "rejected_orders": rejected,
            "orders": [order_ref(o) for o in accepted],
        }

    def step_store_document(self, state: RoundState) -> dict[str, Any]:
        leaves = _leaves(state)
        root = self.chain.merkle_root(state.round_id, leaves)
        debit, credit = totals(leaves)
        cleared = self.store.get_json(state.data["clearing_hash"])
        document = {
            "format": RESULT_FORMAT,
            "round": state.round_id,
            "chain_id": self.chain.chain_id,
            "contracts": self.chain.addresses(),
            "config_hash": state.data["config_hash"],
            "order_digest": state.data["order_digest"],
            "orders": state.data["orders"],
            "rejected_orders": state.data["rejected_orders"],
            "scenario": cleared["scenario"],
            "clearing": cleared["clearing"],
            "settlement": {
                "cm": self.chain.cm_address(),
                "supplier": self.chain.supplier_address(),
                "leaves": state.data["leaves"],
                "merkle_root": root,
                "total_debit": debit,
                "total_credit": credit,
            },
        }
        result_hash = self.store.put(canonical_json(document))
        return {"result_hash": result_hash, "merkle_root": root, "total_debit": debit, "total_credit": credit}

    def step_post(self, state: RoundState) -> dict[str, Any]:
        view = self.chain.view(state.round_id)
        if view.result_posted:
            if view.result_hash.lower() != state.data["result_hash"].lower():
                raise ChainError(
                    f"round {state.round_id} already has another result on chain ({view.result_hash}); "
                    "an arbiter must reject it before a corrected one can be posted"
                )
            self.report(f"round {state.round_id}: result already on chain, not sending again")
            return {
                "post_tx": state.data.get("post_tx", "(found on chain)"),
                "gas_post": state.data.get("gas_post", 0),
            }
        posted = self.chain.post_result(state.round_id, state.data)
        crash_point("POSTED:sent")
        return {"post_tx": posted.tx_hash, "gas_post": posted.gas_used, "post_block": posted.block}

    def step_wait_window(self, state: RoundState) -> dict[str, Any] | None:
        view = self.chain.view(state.round_id)
        if view.disputed:
            self.report(
                f"round {state.round_id}: result disputed; settlement frozen until the arbiter decides"
            )
            return None
        if not view.finalized and self.chain.now() < view.window_ends:
            return None
        return {"window_ends": view.window_ends}

    def step_settle(self, state: RoundState) -> dict[str, Any]:
        leaves = _leaves(state)
        done = self.chain.leaf_settled(state.round_id, leaves)
        todo = [leaf for leaf, settled in zip(leaves, done, strict=False) if not settled]
        gas = int(state.data.get("gas_settle", 0))
        txs = int(state.data.get("settle_txs", 0))
        if len(todo) < len(leaves):
            self.report(f"round {state.round_id}: {len(leaves) - len(todo)} leaves already settled on chain")
        for posted in self.chain.settle(state.round_id, todo, leaves):
            gas += posted.gas_used
            txs += 1
        state = self.db.save_data(state, {"gas_settle": gas, "settle_txs": txs})
        return {"gas_settle": gas, "settle_txs": txs, "leaves_settled": len(leaves)}

    def step_finish(self, state: RoundState) -> dict[str, Any]:
        leaves = _leaves(state)
        missing = [
            leaf.index
            for leaf, ok in zip(leaves, self.chain.leaf_settled(state.round_id, leaves), strict=False)
            if not ok
        ]
        if missing:
            raise ChainError(f"round {state.round_id}: leaves {missing[:10]} are still unsettled on chain")
        self.chain.finish(state.round_id)
        return {"finished_at": time.time()}


def latest_valid_orders(orders: list[Order], intervals: int) -> tuple[list[Order], list[dict[str, Any]]]:
    """Each peer's last accepted order whose payload decodes; the others with the reason."""
    latest: dict[str, Order] = {}
    for order in orders:
        latest[order.peer_address.lower()] = order
    accepted: list[Order] = []
    rejected: list[dict[str, Any]] = []
    for address in sorted(latest):
        order = latest[address]
        if order.is_cancellation:
            continue
        try:
            decode_payload(order.payload, intervals)
        except InputError as exc:
            rejected.append({**order_ref(order), "reason": str(exc)})
            continue
        accepted.append(order)
    return accepted, rejected


def bills_and_fees(clearing: dict[str, Any]) -> tuple[dict[str, float], float]:
    """Per-peer bills (currency, positive = pays) and the community fees, from a ``flexunity-result/1``.

    Money paid by peers goes to the CM (``fees``) and to the supplier (retail import and export and the
    community grid term G); ``money_balance`` in the result says the two sides agree.
    """
    bills = {pid: float(bill["total"]) for pid, bill in clearing["bills"].items()}
    fees = sum(float(bill.get("fees", 0.0)) for bill in clearing["bills"].values())
    return bills, fees


def _leaves(state: RoundState) -> list[Leaf]:
    return [Leaf.from_dict(x) for x in state.data["leaves"]]
