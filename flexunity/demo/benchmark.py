"""``flexunity bench round``: one round end to end on anvil, wall time per step and gas; and the order
payloads ``flexunity bench gas`` measures.

The community is a pilot or a generated one; the clock is moved past gate closure and the challenge
window (devnet only). The headline figure is ``gate_to_settled_s``: from gate closure to the last
leaf applied, the challenge window excluded (issue 6 targets: Corby < 10 s, 1,000 peers < 2 min).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from flexunity.chain.node import advance_time
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import devnet, open_round_with_orders, prepare
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import encode_order


def run_round_benchmark(
    pilot: str | None = None, peers: int | None = None, intervals: int = 48
) -> dict[str, Any]:
    """Measure one round on a fresh anvil; return a flat dict of figures."""
    if pilot is None and peers is None:
        pilot = "corby"
    with tempfile.TemporaryDirectory(prefix="flexunity-bench-") as tmp:
        options = DemoOptions(
            pilot=pilot, peers=peers, intervals=intervals, out=Path(tmp), audit=False, plot=False
        )
        wall: dict[str, float] = {}
        timer = Timer(wall, lambda _: None)
        scenario = build_scenario(options, "2026-06-15")
        with devnet("anvil") as (w3, rpc_url):
            gas = Gas()
            community = prepare(w3, rpc_url, options, scenario, timer, gas, lambda _: None)
            round_id, gate = open_round_with_orders(community, scenario, timer)
            advance_time(w3, gate - community.chain.now() + 1)
            runner = RoundRunner(community.chain, community.store, StateDB(Path(tmp) / "state.sqlite"))
            started = time.perf_counter()
            state = runner.run(round_id, wait=False)
            before_window = time.perf_counter()
            advance_time(w3, options.challenge_window + 1)
            after_window = time.perf_counter()
            state = runner.run(round_id, wait=False)
            finished = time.perf_counter()
        if state.step is not Step.DONE:
            raise RuntimeError(f"round stopped at {state.step.value}")
    chain_gas, leaves = community.chain.gas, len(state.data["leaves"])
    orders_gas = chain_gas.get("orders", 0)
    settle_gas = chain_gas.get("oracle: settle", 0)
    return {
        "community": scenario["name"],
        "peers": len(scenario["peers"]),
        "intervals": scenario["intervals"],
        "gate_to_settled_s": round((finished - started) - (after_window - before_window), 3),
        **{f"{step.lower()}_s": seconds for step, seconds in state.data.get("timings", {}).items()},
        "setup_s": round(wall.get("deploy", 0) + wall.get("wallets, deposits, enrolment", 0), 3),
        "orders_s": round(wall.get("orders", 0), 3),
        "gas_orders": orders_gas,
        "gas_per_order": round(orders_gas / max(1, len(scenario["peers"]))),
        "gas_post": chain_gas.get("oracle: verify, clear, store, post", 0),
        "gas_settle": settle_gas,
        "gas_per_leaf": round(settle_gas / max(1, leaves)),
        "leaves": leaves,
        "settle_txs": community.chain.txs.get("oracle: settle", 0),
    }


def generated_order_payloads(peers: int = 50, intervals: int = 24, seed: int = 0) -> list[bytes]:
    """The order payloads (``FXO1``, flexunity.record.orders) of a generated community of ``peers`` for
    a round of ``intervals`` hours: what the gas benchmark relays (the demo's peers send the same)."""
    from flexunity.data.generator import generate_community

    scenario = generate_community(peers, intervals, seed=seed, interval_minutes=60)
    return [encode_order(peer, intervals, 60) for peer in scenario["peers"]]
