"""One round's steps, driven by the persisted state machine (flexunity.oracle.state).

Each ``step_*`` method reads the chain, does its work and returns what to save, or ``None`` when it
must wait (gate still open, challenge window running). ``RoundRunner.run`` saves each step's outputs
together with the step reached, so a restarted oracle continues where it stopped; steps that send
transactions first ask the chain whether their effect is already there. A step may also return a
``Jump`` to another step: what the oracle does on each on-chain outcome of a posted result
(flexunity.oracle.outcomes: rejected -> clear again, voided -> closed, lost -> post again).

An oracle that lost its state file rebuilds a round from the chain and its store: a result posted on
chain whose document is in the store restores the round at POSTED; otherwise the round is cleared
again, and since the result document is deterministic (same orders and config, same bytes: the wall
times are kept in the state, not in the document) it hashes to the one posted, which is not sent again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flexunity.errors import ChainError, InputError
from flexunity.oracle.outcomes import Jump, Outcome, OutcomeHandlers, StepResult, classify
from flexunity.oracle.port import ChainPort, RoundView
from flexunity.oracle.saved import (
    Cleared,
    DocumentStored,
    Finished,
    GateClosed,
    OrdersVerified,
    Posted,
    Settled,
)
from flexunity.oracle.settlement import leaves_from_amounts, peer_energy, settlement_amounts, totals
from flexunity.oracle.state import RoundState, StateDB, Step
from flexunity.record.orders import (
    AcceptedOrder,
    decode_payload,
    order_problems,
    order_ref,
    scenario_from_orders,
    schedule_problems,
)
from flexunity.record.store import FolderStore, canonical_json

RESULT_FORMAT = "flexunity-round-result/1"
FOUND_ON_CHAIN = "(found on chain)"  # post_tx of a result this oracle found posted, not sent
CRASH_ENV = "FLEXUNITY_ORACLE_CRASH_AT"  # tests: "POSTED" exits right after that step is saved;
# "POSTED:sent" exits after the posting transaction is mined but before the step is saved.

Reporter = Callable[[str], None]
Clearer = Callable[[dict[str, Any]], Any]
# a document key that differs between runs must never be hashed: clearing wall times go to the state
UNHASHED_CLEARING_KEYS = ("timings",)


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
class RoundRunner(OutcomeHandlers):
    chain: ChainPort
    store: FolderStore
    db: StateDB
    report: Reporter = field(default=lambda _: None)
    clearer: Clearer = default_clearer
    _orders: dict[int, list[AcceptedOrder]] = field(default_factory=dict)
    _said: set[tuple[int, str]] = field(default_factory=set)

    def say_once(self, round_id: int, key: str, message: str) -> None:
        """Report ``message`` once per round and ``key`` (a waiting oracle does not repeat itself)."""
        if (round_id, key) not in self._said:
            self._said.add((round_id, key))
            self.report(message)

    def run(
        self, round_id: int, *, wait: bool = True, poll: float = 0.5, timeout: float | None = None
    ) -> RoundState:
        """Advance the round as far as the chain allows; with ``wait``, until DONE (or VOIDED)."""
        self.db.bind(self.chain.identity())
        state = self.db.ensure(round_id)
        if state.step is Step.OPENED and not state.data:
            state = self.recover(state)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not state.step.terminal:
            started = time.perf_counter()
            outcome = self._steps()[state.step](state)
            if outcome is None:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    return state
                time.sleep(poll)
                continue
            reached, saved = (
                (outcome.step, outcome.updates) if isinstance(outcome, Jump) else (state.step.next, outcome)
            )
            elapsed = time.perf_counter() - started
            timings = {**state.saved.timings, reached.value: round(elapsed, 4)}
            updates = saved.updates() if saved is not None else {}
            state = self.db.advance(
                state, reached, {**updates, "timings": timings}, message=f"{elapsed:.3f} s"
            )
            self.report(f"round {round_id}: {reached.value} ({elapsed:.2f} s)")
            crash_point(reached.value)
        return state

    def _steps(self) -> dict[Step, Callable[[RoundState], StepResult]]:
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

    def step_close_gate(self, state: RoundState) -> StepResult:
        view = self.chain.view(state.round_id)
        if not view.exists:
            raise InputError(f"round {state.round_id} does not exist on chain {self.chain.chain_id}")
        if view.status == "VOID":
            return self._voided(state, view)
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
        return GateClosed(config_hash=view.config_hash, gate_closed_at=time.time())

    def step_verify_orders(self, state: RoundState) -> OrdersVerified:
        view = self.chain.view(state.round_id)
        orders = self._load_orders(state.round_id, view)
        return OrdersVerified(order_digest=view.order_digest, order_count=len(orders))

    def _load_orders(self, round_id: int, view: RoundView) -> list[AcceptedOrder]:
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

    def step_clear(self, state: RoundState) -> Cleared:
        view = self.chain.view(state.round_id)
        orders = self._load_orders(state.round_id, view)
        config = self.store.get_json(state.saved.config_hash)
        accepted, rejected = latest_valid_orders(orders, int(config["intervals"]), config)
        scenario = scenario_from_orders(
            config, [(o.peer_address, decode_payload(o.payload)) for o in accepted]
        )
        result = self.clearer(scenario)
        clearing = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        unhashed = {k: clearing.pop(k) for k in UNHASHED_CLEARING_KEYS if k in clearing}
        bills, fees = bills_and_fees(clearing)
        amounts = settlement_amounts(
            bills,
            decimals=int(config["settlement"]["token_decimals"]),
            fees=fees,
            cm=self.chain.cm_address(),
            supplier=self.chain.supplier_address(),
        )
        leaves = leaves_from_amounts(
            state.round_id, amounts, peer_energy(clearing) if "peers" in clearing else None
        )
        clearing_hash = self.store.put(canonical_json({"scenario": scenario, "clearing": clearing}))
        return Cleared(
            clearing_hash=clearing_hash,
            leaves=[leaf.to_dict() for leaf in leaves],
            rejected_orders=rejected,
            orders=[order_ref(o) for o in accepted],
            clearing_timings=unhashed.get("timings", {}),
        )

    def step_store_document(self, state: RoundState) -> DocumentStored:
        saved = state.saved
        leaves = list(saved.leaves)
        root = self.chain.merkle_root(state.round_id, leaves)
        debit, credit = totals(leaves)
        cleared = self.store.get_json(saved.clearing_hash)
        document = {
            "format": RESULT_FORMAT,
            "round": state.round_id,
            "attempt": saved.attempt,
            "chain_id": self.chain.chain_id,
            "contracts": self.chain.addresses(),
            "config_hash": saved.config_hash,
            "order_digest": saved.order_digest,
            "orders": saved.orders,
            "rejected_orders": saved.rejected_orders,
            "scenario": cleared["scenario"],
            "clearing": cleared["clearing"],
            "settlement": {
                "cm": self.chain.cm_address(),
                "supplier": self.chain.supplier_address(),
                "leaves": state.data["leaves"],  # as saved: a document stored again hashes the same
                "merkle_root": root,
                "total_debit": debit,
                "total_credit": credit,
            },
        }
        result_hash = self.store.put(canonical_json(document))
        return DocumentStored(
            result_hash=result_hash, merkle_root=root, total_debit=debit, total_credit=credit
        )

    def step_post(self, state: RoundState) -> StepResult:
        round_id, ours = state.round_id, state.saved.result_hash
        view = self.chain.view(round_id)
        if view.status == "VOID":
            return self._voided(state, view)
        if not view.gate_closed:
            return self._clock_went_back(state, view, "gate closure", view.gate_closure)
        if not view.result_posted and view.voidable_from and self.chain.now() >= view.voidable_from:
            self.say_once(round_id, "timed out", f"round {round_id}: {Outcome.TIMED_OUT.value} "
                          f"({view.voidable_from}): anyone may void it; posting while the chain still takes "
                          "a result")  # fmt: skip
        if not view.result_posted:
            # a transaction of ours broadcast before a crash may still land: let it, then look again
            self.chain.await_pending()
            view = self.chain.view(round_id)
        if view.result_posted:
            if view.result_hash.lower() != ours.lower():
                raise ChainError(
                    f"round {round_id} already has another result on chain ({view.result_hash}), not ours "
                    f"({ours}): is another CM or oracle posting for this deployment?"
                )
            self.report(f"round {round_id}: result already on chain, not sending again")
            return Posted(post_tx=state.saved.post_tx or FOUND_ON_CHAIN, gas_post=state.saved.gas_post)
        try:
            posted = self.chain.post_result(round_id, state.data)
        except ChainError:
            again = self.chain.view(round_id)  # the revert may be the effect we wanted, landed meanwhile
            if again.result_posted and again.result_hash.lower() == ours.lower():
                self.report(f"round {round_id}: our result reached the chain meanwhile; not sending again")
                return Posted(post_tx=FOUND_ON_CHAIN, gas_post=0)
            raise
        crash_point("POSTED:sent")
        return Posted(post_tx=posted.tx_hash, gas_post=posted.gas_used, post_block=posted.block)

    def step_wait_window(self, state: RoundState) -> StepResult:
        view = self.chain.view(state.round_id)
        saved = state.saved
        outcome = classify(view, saved.result_hash, self.chain.now(), saved.rejected_results)
        return self._on_outcome(state, view, outcome)

    def step_settle(self, state: RoundState) -> StepResult:
        view = self.chain.view(state.round_id)
        now = self.chain.now()
        saved = state.saved
        outcome = classify(view, saved.result_hash, now, saved.rejected_results)
        if outcome is Outcome.WINDOW_RUNNING and saved.window_ends:
            return self._clock_went_back(state, view, "end of the challenge window", view.window_ends)
        if outcome not in (Outcome.FINAL, Outcome.UPHELD):
            return self._on_outcome(state, view, outcome)  # settlement only ever follows a final result
        leaves = list(saved.leaves)
        done = self.chain.leaf_settled(state.round_id, leaves)
        todo = [leaf for leaf, settled in zip(leaves, done, strict=False) if not settled]
        gas, txs = saved.gas_settle, saved.settle_txs
        if len(todo) < len(leaves):
            self.report(f"round {state.round_id}: {len(leaves) - len(todo)} leaves already settled on chain")
        for posted in self.chain.settle(state.round_id, todo, leaves):
            gas += posted.gas_used
            txs += 1
        return Settled(gas_settle=gas, settle_txs=txs, leaves_settled=len(leaves))

    def step_finish(self, state: RoundState) -> Finished:
        leaves = list(state.saved.leaves)
        missing = [
            leaf.index
            for leaf, ok in zip(leaves, self.chain.leaf_settled(state.round_id, leaves), strict=False)
            if not ok
        ]
        if missing:
            raise ChainError(f"round {state.round_id}: leaves {missing[:10]} are still unsettled on chain")
        self.chain.finish(state.round_id)
        return Finished(finished_at=time.time())


def latest_valid_orders(
    orders: list[AcceptedOrder], intervals: int, config: dict[str, Any] | None = None
) -> tuple[list[AcceptedOrder], list[dict[str, Any]]]:
    """Each peer's last accepted order whose payload decodes (and fits ``config``: intervals and
    tariff, ``order_problems``); the others with the reason."""
    latest: dict[str, AcceptedOrder] = {}
    for order in orders:
        latest[order.peer_address.lower()] = order
    accepted: list[AcceptedOrder] = []
    rejected: list[dict[str, Any]] = []
    for address in sorted(latest):
        order = latest[address]
        if order.is_cancellation:
            continue
        try:
            document = decode_payload(order.payload, intervals)
        except InputError as exc:
            rejected.append({**order_ref(order), "reason": str(exc)})
            continue
        problems = order_problems(document, config) if config is not None else []
        if problems:
            rejected.append({**order_ref(order), "reason": "; ".join(problems)})
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
